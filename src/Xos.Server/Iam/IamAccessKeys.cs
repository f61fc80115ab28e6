using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>
/// Access keys of the account's IAM users, or (without UserName) of the caller: an IAM user's own, or the account
/// root's. They are rows of the same access_keys table as every other key, so the credential cache follows them.
/// </summary>
public static class IamAccessKeys
{
    public const int PerUser = 2;

    /// <summary>Whose keys: (IAM user id or null for the root, the user name to answer).</summary>
    private static async Task<(string? UserId, string UserName)> OwnerAsync(IamCall c)
    {
        if (c.Optional("UserName") is null)
            return c.Caller.IamUser is { } self ? (self.Id, self.Name) : (null, c.Caller.DisplayName);
        var user = await IamUsers.NamedAsync(c);
        return (user.Id, user.Name);
    }

    public static async Task CreateAsync(IamCall c)
    {
        var (userId, userName) = await OwnerAsync(c);
        var accessKey = RootCredentials.NewAccessKey();
        var secretKey = RootCredentials.NewSecretKey();
        var created = IamUsers.Now();
        if (await c.Store.CreateIamAccessKeyAsync(c.Account, userId, accessKey, secretKey, created, PerUser, c.Ct) == IamWrite.Limit)
            throw IamErrors.LimitExceeded($"Cannot exceed quota for AccessKeysPerUser: {PerUser}");
        await c.RespondAsync(w =>
        {
            w.WriteStartElement("AccessKey");
            w.Element("UserName", userName);
            w.Element("AccessKeyId", accessKey);
            w.Element("Status", "Active");
            w.Element("SecretAccessKey", secretKey);
            w.Element("CreateDate", created);
            w.WriteEndElement();
        });
    }

    public static async Task ListAsync(IamCall c)
    {
        var (userId, userName) = await OwnerAsync(c);
        var keys = await c.Store.ListIamAccessKeysAsync(c.Account, userId, c.Ct);
        var (page, next) = IamRules.Page(c, keys);
        await c.RespondAsync(w =>
        {
            w.Element("UserName", userName);
            w.Members("AccessKeyMetadata", page, (x, k) =>
            {
                x.Element("UserName", userName);
                x.Element("AccessKeyId", k.AccessKey);
                x.Element("Status", k.Status);
                x.Element("CreateDate", k.Created);
            });
            w.Paging(next);
        });
    }

    public static async Task UpdateAsync(IamCall c)
    {
        var status = c.Required("Status");
        if (status is not ("Active" or "Inactive"))
            throw IamErrors.Validation($"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]");
        await ChangeAsync(c, status);
    }

    public static Task DeleteAsync(IamCall c) => ChangeAsync(c, null);

    private static async Task ChangeAsync(IamCall c, string? status)
    {
        var (userId, _) = await OwnerAsync(c);
        var accessKey = c.Required("AccessKeyId");
        if (await c.Store.UpdateIamAccessKeyAsync(c.Account, userId, accessKey, status, c.Ct) == IamWrite.NotFound)
            throw IamErrors.NoSuchEntity($"The Access Key with id {accessKey} cannot be found.");
        await c.RespondAsync();
    }

    /// <summary>XOS does not record when a key was last used: the answer is IAM's for a key never used.</summary>
    public static async Task LastUsedAsync(IamCall c)
    {
        var accessKey = c.Required("AccessKeyId");
        var (found, iamUserName) = await c.Store.FindIamAccessKeyOwnerAsync(c.Account, accessKey, c.Ct);
        if (!found) throw IamErrors.NoSuchEntity($"The Access Key with id {accessKey} cannot be found.");
        var userName = iamUserName ?? c.Caller.DisplayName;
        await c.RespondAsync(w =>
        {
            w.Element("UserName", userName);
            w.WriteStartElement("AccessKeyLastUsed");
            w.Element("ServiceName", "N/A");
            w.Element("Region", "N/A");
            w.WriteEndElement();
        });
    }
}
