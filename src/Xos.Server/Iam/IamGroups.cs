namespace Xos.Server.Iam;

/// <summary>Groups of the account's IAM users: their members get the group's policies.</summary>
public static class IamGroups
{
    public const int MaxNameLength = 128;

    public static async Task<IamEntity> NamedAsync(IamCall c)
    {
        var name = IamRules.Name(c, "GroupName", MaxNameLength);
        return await c.Store.GetEntityAsync(IamKind.Group, c.Account, name, c.Ct) ?? throw IamErrors.NoSuchEntity($"The group with name {name} cannot be found.");
    }

    public static async Task CreateAsync(IamCall c)
    {
        var name = IamRules.Name(c, "GroupName", MaxNameLength);
        var group = new IamEntity(IamRules.NewId("AGPA"), c.Account, name, IamRules.Path(c), IamUsers.Now());
        switch (await c.Store.CreateEntityAsync(IamKind.Group, group, IamQuotas.Groups, c.Ct))
        {
            case IamWrite.Exists: throw IamErrors.Exists($"Group with name {name} already exists.");
            case IamWrite.Limit: throw IamErrors.LimitExceeded($"Cannot exceed quota for GroupsQuota: {IamQuotas.Groups}");
        }
        await c.RespondElementAsync("Group", w => w.Group(group));
    }

    public static async Task GetAsync(IamCall c)
    {
        var group = await NamedAsync(c);
        var (page, next) = IamRules.Page(c, await c.Store.ListGroupMembersAsync(group.Id, c.Ct));
        await c.RespondAsync(w =>
        {
            w.WriteStartElement("Group");
            w.Group(group);
            w.WriteEndElement();
            w.Members("Users", page, (x, u) => x.User(u));
            w.Paging(next);
        });
    }

    public static async Task ListAsync(IamCall c) =>
        await RespondGroupsAsync(c, await c.Store.ListEntitiesAsync(IamKind.Group, c.Account, IamRules.PathPrefix(c), c.Ct));

    public static async Task ListForUserAsync(IamCall c) =>
        await RespondGroupsAsync(c, await c.Store.ListGroupsForUserAsync((await IamUsers.NamedAsync(c)).Id, c.Ct));

    private static Task RespondGroupsAsync(IamCall c, IReadOnlyList<IamEntity> groups)
    {
        var (page, next) = IamRules.Page(c, groups);
        return c.RespondAsync(w =>
        {
            w.Members("Groups", page, (x, g) => x.Group(g));
            w.Paging(next);
        });
    }

    public static Task UpdateAsync(IamCall c) => IamEntities.UpdateAsync(c, IamKind.Group, MaxNameLength);

    public static Task DeleteAsync(IamCall c) =>
        IamEntities.DeleteAsync(c, IamKind.Group, MaxNameLength, "Cannot delete entity, must remove users from group and delete policies first.");

    public static async Task MembershipAsync(IamCall c, bool add)
    {
        var group = IamRules.Name(c, "GroupName", MaxNameLength);
        var user = IamRules.Name(c, "UserName", IamUsers.MaxNameLength);
        if (await c.Store.SetMembershipAsync(c.Account, group, user, add, c.Ct) == IamWrite.NotFound)
            throw IamErrors.NoSuchEntity(add ? $"The user with name {user} or the group with name {group} cannot be found."
                : $"User {user} is not in group {group}.");
        await c.RespondAsync();
    }
}
