using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>What users and groups share: renaming or moving them, and deleting them once nothing depends on them.</summary>
public static class IamEntities
{
    private static S3Exception NotFound(IamKind kind, string name) =>
        IamErrors.NoSuchEntity($"The {kind.ToString().ToLowerInvariant()} with name {name} cannot be found.");

    /// <summary>Update{KIND}: New{KIND}Name and NewPath, both optional.</summary>
    public static async Task UpdateAsync(IamCall c, IamKind kind, int maxName)
    {
        var name = IamRules.Name(c, kind + "Name", maxName);
        var newName = c.Optional($"New{kind}Name") is null ? null : IamRules.Name(c, $"New{kind}Name", maxName);
        var newPath = c.Optional("NewPath") is null ? null : IamRules.Path(c, "NewPath");
        switch (await c.Store.UpdateEntityAsync(kind, c.Account, name, newName, newPath, c.Ct))
        {
            case IamWrite.NotFound: throw NotFound(kind, name);
            case IamWrite.Exists: throw IamErrors.Exists($"{kind} with name {newName} already exists.");
        }
        await c.RespondAsync();
    }

    public static async Task DeleteAsync(IamCall c, IamKind kind, int maxName, string conflict)
    {
        var name = IamRules.Name(c, kind + "Name", maxName);
        switch (await c.Store.DeleteEntityAsync(kind, c.Account, name, c.Ct))
        {
            case IamWrite.NotFound: throw NotFound(kind, name);
            case IamWrite.Conflict: throw IamErrors.DeleteConflict(conflict);
        }
        await c.RespondAsync();
    }
}
