using System.Globalization;

namespace Xos.Server.Iam;

/// <summary>
/// Roles of the account, in the same roles table as XOS's own (xos admin role): a role made here has a trust policy
/// naming who may assume it, and its inline and attached policies say what its sessions may do.
/// </summary>
public static class IamRoles
{
    public const int MaxNameLength = 64;

    public static async Task<IamRole> NamedAsync(IamCall c)
    {
        var name = IamRules.Name(c, "RoleName", MaxNameLength);
        return await c.Store.GetIamRoleAsync(c.Account, name, c.Ct) ?? throw IamErrors.NoSuchEntity($"The role with name {name} cannot be found.");
    }

    private static int? MaxSession(IamCall c)
    {
        if (c.Optional("MaxSessionDuration") is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 3600 or > 43200)
            throw IamErrors.Validation($"1 validation error detected: Value '{text}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200");
        return seconds;
    }

    private static string? Description(IamCall c) => c.Optional("Description") is { Length: > 1000 }
        ? throw IamErrors.Validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
        : c.Optional("Description");

    public static async Task CreateAsync(IamCall c)
    {
        var name = IamRules.Name(c, "RoleName", MaxNameLength);
        var trust = IamRules.PolicyDocument(c, "AssumeRolePolicyDocument", IamRules.MaxInlinePolicyChars, trust: true);
        var tags = IamTags.Parse(c);
        var role = new IamRole(name, IamRules.NewId("AROA"), c.Account, IamRules.Path(c), Description(c), MaxSession(c) ?? 3600, trust, IamUsers.Now());
        if (await c.Store.CreateIamRoleAsync(role, c.Ct) == IamWrite.Exists) throw IamErrors.Exists($"Role with name {name} already exists.");
        if (tags.Count > 0) await c.Store.TagAsync(c.Account, IamKind.Role, role.Name, tags, IamTags.Limit, c.Ct);
        await c.RespondElementAsync("Role", w => w.Role(role, tags));
    }

    public static async Task GetAsync(IamCall c)
    {
        var role = await NamedAsync(c);
        var tags = await c.Store.ListTagsAsync(IamKind.Role, role.Name, c.Ct);
        await c.RespondElementAsync("Role", w => w.Role(role, tags));
    }

    public static async Task ListAsync(IamCall c)
    {
        var (page, next) = IamRules.Page(c, await c.Store.ListIamRolesAsync(c.Account, IamRules.PathPrefix(c), c.Ct));
        await c.RespondAsync(w =>
        {
            w.Members("Roles", page, (x, r) => x.Role(r));
            w.Paging(next);
        });
    }

    public static Task UpdateAsync(IamCall c) => ChangeAsync(c, Description(c), MaxSession(c), null);

    public static Task UpdateTrustAsync(IamCall c) =>
        ChangeAsync(c, null, null, IamRules.PolicyDocument(c, "PolicyDocument", IamRules.MaxInlinePolicyChars, trust: true));

    private static async Task ChangeAsync(IamCall c, string? description, int? maxSession, string? trust)
    {
        var name = IamRules.Name(c, "RoleName", MaxNameLength);
        if (await c.Store.UpdateIamRoleAsync(c.Account, name, description, maxSession, trust, c.Ct) == IamWrite.NotFound)
            throw IamErrors.NoSuchEntity($"The role with name {name} cannot be found.");
        await c.RespondAsync(c.Action == "UpdateRole" ? _ => { } : null);
    }

    public static async Task DeleteAsync(IamCall c)
    {
        var name = IamRules.Name(c, "RoleName", MaxNameLength);
        switch (await c.Store.DeleteIamRoleAsync(c.Account, name, c.Ct))
        {
            case IamWrite.NotFound: throw IamErrors.NoSuchEntity($"The role with name {name} cannot be found.");
            case IamWrite.Conflict: throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        }
        await c.RespondAsync();
    }

    public static async Task TagAsync(IamCall c) => await IamTags.TagAsync(c, IamKind.Role, (await NamedAsync(c)).Name);
    public static async Task UntagAsync(IamCall c) => await IamTags.UntagAsync(c, IamKind.Role, (await NamedAsync(c)).Name);
    public static async Task ListTagsAsync(IamCall c) => await IamTags.ListAsync(c, IamKind.Role, (await NamedAsync(c)).Name);
}
