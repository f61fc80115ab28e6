using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>Inline policies of users, groups and roles: Put/Get/List/Delete{User,Group,Role}Policy.</summary>
public static class IamInlinePolicies
{
    public const int MaxNameLength = 128;

    /// <summary>The owner's id in the store (a role's is its name) and its name as the answers spell it.</summary>
    private static async Task<(string Id, string Name)> OwnerAsync(IamCall c, IamKind kind)
    {
        switch (kind)
        {
            case IamKind.User:
                var user = await IamUsers.NamedAsync(c);
                return (user.Id, user.Name);
            case IamKind.Group:
                var group = await IamGroups.NamedAsync(c);
                return (group.Id, group.Name);
            default:
                var role = await IamRoles.NamedAsync(c);
                return (role.Name, role.Name);
        }
    }

    private static string OwnerElement(IamKind kind) => kind + "Name";

    public static async Task PutAsync(IamCall c, IamKind kind)
    {
        var name = IamRules.Name(c, "PolicyName", MaxNameLength);
        var document = IamRules.PolicyDocument(c, "PolicyDocument", IamRules.MaxInlinePolicyChars);
        var (ownerId, _) = await OwnerAsync(c, kind);
        await c.Store.PutInlinePolicyAsync(c.Account, kind, ownerId, name, document, c.Ct);
        await c.RespondAsync();
    }

    public static async Task GetAsync(IamCall c, IamKind kind)
    {
        var name = IamRules.Name(c, "PolicyName", MaxNameLength);
        var (ownerId, ownerName) = await OwnerAsync(c, kind);
        var document = await c.Store.GetInlinePolicyAsync(kind, ownerId, name, c.Ct)
                       ?? throw IamErrors.NoSuchEntity($"The {kind.ToString().ToLowerInvariant()} policy with name {name} cannot be found.");
        await c.RespondAsync(w =>
        {
            w.Element(OwnerElement(kind), ownerName);
            w.Element("PolicyName", name);
            w.Document("PolicyDocument", document);
        });
    }

    public static async Task ListAsync(IamCall c, IamKind kind)
    {
        var (ownerId, _) = await OwnerAsync(c, kind);
        var (page, next) = IamRules.Page(c, await c.Store.ListInlinePoliciesAsync(kind, ownerId, c.Ct));
        await c.RespondAsync(w =>
        {
            w.Strings("PolicyNames", page);
            w.Paging(next);
        });
    }

    public static async Task DeleteAsync(IamCall c, IamKind kind)
    {
        var name = IamRules.Name(c, "PolicyName", MaxNameLength);
        var (ownerId, _) = await OwnerAsync(c, kind);
        if (!await c.Store.DeleteInlinePolicyAsync(kind, ownerId, name, c.Ct))
            throw IamErrors.NoSuchEntity($"The {kind.ToString().ToLowerInvariant()} policy with name {name} cannot be found.");
        await c.RespondAsync();
    }

    /// <summary>The store id of the user, group or role an attachment names (exposed for managed policies).</summary>
    public static async Task<string> OwnerIdAsync(IamCall c, IamKind kind) => (await OwnerAsync(c, kind)).Id;
}
