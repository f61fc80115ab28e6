using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>IAM users of the caller's account: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser and their tags.</summary>
public static class IamUsers
{
    public const int MaxNameLength = 64;

    public static async Task<IamEntity> FindAsync(IamCall c, string name) =>
        await c.Store.GetEntityAsync(IamKind.User, c.Account, name, c.Ct) ?? throw IamErrors.NoSuchEntity($"The user with name {name} cannot be found.");

    /// <summary>The user named by UserName.</summary>
    public static Task<IamEntity> NamedAsync(IamCall c) => FindAsync(c, IamRules.Name(c, "UserName", MaxNameLength));

    public static async Task CreateAsync(IamCall c)
    {
        var name = IamRules.Name(c, "UserName", MaxNameLength);
        var path = IamRules.Path(c);
        var tags = IamTags.Parse(c);
        var user = new IamEntity(IamRules.NewId("AIDA"), c.Account, name, path, Now());
        switch (await c.Store.CreateEntityAsync(IamKind.User, user, IamQuotas.Users, c.Ct))
        {
            case IamWrite.Exists: throw IamErrors.Exists($"User with name {name} already exists.");
            case IamWrite.Limit: throw IamErrors.LimitExceeded($"Cannot exceed quota for UsersQuota: {IamQuotas.Users}");
        }
        if (tags.Count > 0) await c.Store.TagAsync(c.Account, IamKind.User, user.Id, tags, IamTags.Limit, c.Ct);
        await c.RespondElementAsync("User", w => w.User(user, tags));
    }

    /// <summary>IAM keeps times to the millisecond.</summary>
    public static DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>The named user, or without a name the caller: an IAM user itself, or the account root (whose ARN ends in :root).</summary>
    public static async Task GetAsync(IamCall c)
    {
        if (c.Optional("UserName") is null && c.Caller.IamUser is null)
        {
            var account = await c.Ctx.Store.GetUserByNameAsync(c.Caller.DisplayName, c.Ct);
            await c.RespondElementAsync("User", w =>
            {
                w.Element("Path", "/");
                w.Element("UserName", c.Caller.DisplayName);
                w.Element("UserId", c.Account);
                w.Element("Arn", c.Caller.Arn);
                w.Element("CreateDate", account?.Created ?? DateTimeOffset.UnixEpoch);
            });
            return;
        }
        var user = await FindAsync(c, c.Optional("UserName") is null ? c.Caller.IamUser!.Name : IamRules.Name(c, "UserName", MaxNameLength));
        var tags = await c.Store.ListTagsAsync(IamKind.User, user.Id, c.Ct);
        await c.RespondElementAsync("User", w => w.User(user, tags));
    }

    public static async Task ListAsync(IamCall c)
    {
        var users = await c.Store.ListEntitiesAsync(IamKind.User, c.Account, IamRules.PathPrefix(c), c.Ct);
        var (page, next) = IamRules.Page(c, users);
        await c.RespondAsync(w =>
        {
            w.Members("Users", page, (x, u) => x.User(u));
            w.Paging(next);
        });
    }

    public static Task UpdateAsync(IamCall c) => IamEntities.UpdateAsync(c, IamKind.User, MaxNameLength);

    public static Task DeleteAsync(IamCall c) =>
        IamEntities.DeleteAsync(c, IamKind.User, MaxNameLength, "Cannot delete entity, must delete access keys and policies first.");

    public static async Task TagAsync(IamCall c) => await IamTags.TagAsync(c, IamKind.User, (await NamedAsync(c)).Id);
    public static async Task UntagAsync(IamCall c) => await IamTags.UntagAsync(c, IamKind.User, (await NamedAsync(c)).Id);
    public static async Task ListTagsAsync(IamCall c) => await IamTags.ListAsync(c, IamKind.User, (await NamedAsync(c)).Id);
}

/// <summary>Tags of users and roles: at most 50, keys of 1-128 and values of 0-256 characters.</summary>
public static class IamTags
{
    public const int Limit = 50;

    public static List<KeyValuePair<string, string>> Parse(IamCall c)
    {
        var keys = c.Members("Tags", ".Key");
        var tags = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < keys.Count; i++)
        {
            var value = c.Optional($"Tags.member.{i + 1}.Value") ?? "";
            if (keys[i].Length is < 1 or > 128 || value.Length > 256)
                throw IamErrors.Validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: tag keys are 1-128 and values 0-256 characters");
            if (tags.Any(t => t.Key.Equals(keys[i], StringComparison.OrdinalIgnoreCase)))
                throw IamErrors.InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
            tags.Add(KeyValuePair.Create(keys[i], value));
        }
        if (tags.Count > Limit) throw IamErrors.LimitExceeded($"The number of tags has reached the maximum limit of {Limit}.");
        return tags;
    }

    public static async Task TagAsync(IamCall c, IamKind kind, string ownerId)
    {
        var tags = Parse(c);
        if (await c.Store.TagAsync(c.Account, kind, ownerId, tags, Limit, c.Ct) == IamWrite.Limit)
            throw IamErrors.LimitExceeded($"The number of tags has reached the maximum limit of {Limit}.");
        await c.RespondAsync();
    }

    public static async Task UntagAsync(IamCall c, IamKind kind, string ownerId)
    {
        await c.Store.UntagAsync(kind, ownerId, c.Members("TagKeys"), c.Ct);
        await c.RespondAsync();
    }

    public static async Task ListAsync(IamCall c, IamKind kind, string ownerId)
    {
        var tags = await c.Store.ListTagsAsync(kind, ownerId, c.Ct);
        await c.RespondAsync(w =>
        {
            w.Tags(tags, always: true);
            w.Element("IsTruncated", false);
        });
    }
}
