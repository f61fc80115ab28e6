using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>Inline policies of users, groups and roles: Put/Get/List/Delete{User,Group,Role}Policy.</summary>
public static class IamInlinePolicies
{
    public const int MaxNameLength = 128;

    /// <summary>
    /// The owner's id in the store (a role's is its name), its name as the answers spell it and the account whose
    /// namespace holds it. A user name may also designate an account in the administrator's namespace (its canonical
    /// id is then both its name and its id there; see <see cref="AdministratorNamespace"/>).
    /// </summary>
    private static async Task<(string Id, string Name, string Account)> OwnerAsync(IamCall c, IamKind kind)
    {
        switch (kind)
        {
            case IamKind.User:
                var name = IamRules.Name(c, "UserName", IamUsers.MaxNameLength);
                if (await c.Store.GetEntityAsync(IamKind.User, c.Account, name, c.Ct) is { } user) return (user.Id, user.Name, c.Account);
                if (await AdministratorNamespace.AccountUserAsync(c, name) is { } account) return (account, account, AdministratorNamespace.AccountId!);
                throw IamErrors.NoSuchEntity($"The user with name {name} cannot be found.");
            case IamKind.Group:
                var group = await IamGroups.NamedAsync(c);
                return (group.Id, group.Name, c.Account);
            default:
                var role = await IamRoles.NamedAsync(c);
                return (role.Name, role.Name, c.Account);
        }
    }

    private static string OwnerElement(IamKind kind) => kind + "Name";

    public static async Task PutAsync(IamCall c, IamKind kind)
    {
        var name = IamRules.Name(c, "PolicyName", MaxNameLength);
        var document = IamRules.PolicyDocument(c, "PolicyDocument", IamRules.MaxInlinePolicyChars);
        var (ownerId, _, account) = await OwnerAsync(c, kind);
        await c.Store.PutInlinePolicyAsync(account, kind, ownerId, name, document, c.Ct);
        await c.RespondAsync();
    }

    public static async Task GetAsync(IamCall c, IamKind kind)
    {
        var name = IamRules.Name(c, "PolicyName", MaxNameLength);
        var (ownerId, ownerName, _) = await OwnerAsync(c, kind);
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
        var (ownerId, _, _) = await OwnerAsync(c, kind);
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
        var (ownerId, _, _) = await OwnerAsync(c, kind);
        if (!await c.Store.DeleteInlinePolicyAsync(kind, ownerId, name, c.Ct))
            throw IamErrors.NoSuchEntity($"The {kind.ToString().ToLowerInvariant()} policy with name {name} cannot be found.");
        await c.RespondAsync();
    }

    /// <summary>The store id of the user, group or role an attachment names (exposed for managed policies).</summary>
    public static async Task<string> OwnerIdAsync(IamCall c, IamKind kind) => (await OwnerAsync(c, kind)).Id;
}
