using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xos.Server.Auth;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Storage;

namespace Xos.Server.Admin;

/// <summary>A refused administration request: what was wrong, and the HTTP status the admin API answers with.</summary>
public sealed class AdminException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}

public sealed record UserSummary(string Name, string CanonicalId, DateTimeOffset Created, IReadOnlyList<string> AccessKeys);
public sealed record CreatedKey(string User, string CanonicalId, string AccessKey, string SecretKey);
public sealed record RoleSummary(string Name, string Arn, IReadOnlyList<string> TrustedUsers, string Policy, DateTimeOffset Created);

/// <summary>Users, access keys and roles: what the administrator manages, shared by `xos admin` and the admin HTTP API.</summary>
public sealed partial class AdminService(IMetadataStore store, string rootUserId, Kms.KeyService? kms = null) : IAdministration
{
    [GeneratedRegex(@"^[A-Za-z0-9+=,.@_-]{1,64}$")]
    private static partial Regex Name();

    [GeneratedRegex("^[A-Za-z0-9]{3,128}$")]
    private static partial Regex AccessKeyShape();

    public static string RoleArn(string name) => $"arn:aws:iam::role/{name}";

    private static void ValidateName(string kind, string name)
    {
        if (!Name().IsMatch(name)) throw new AdminException($"{kind} names are 1-64 characters of letters, digits and +=,.@_-");
    }

    private static (string AccessKey, string SecretKey) KeyPair(string? accessKey, string? secretKey)
    {
        if ((accessKey is null) != (secretKey is null)) throw new AdminException("give both --access-key and --secret-key, or neither");
        accessKey ??= RootCredentials.NewAccessKey();
        secretKey ??= RootCredentials.NewSecretKey();
        if (!AccessKeyShape().IsMatch(accessKey)) throw new AdminException("an access key is 3-128 letters and digits");
        if (secretKey.Length is < 8 or > 128 || secretKey.Any(char.IsWhiteSpace)) throw new AdminException("a secret key is 8-128 characters without spaces");
        return (accessKey, secretKey);
    }

    public async Task<CreatedKey> AddUserAsync(string name, string? accessKey, string? secretKey, CancellationToken ct)
    {
        ValidateName("user", name);
        if (name == RootCredentials.DisplayName) throw new AdminException("the name 'root' is reserved", 409);
        var (ak, sk) = KeyPair(accessKey, secretKey);
        if (await store.FindAccessKeyAsync(ak, ct) is not null) throw new AdminException($"access key {ak} is already in use", 409);
        var user = await store.CreateUserAsync(name, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), ct)
                   ?? throw new AdminException($"user {name} already exists", 409);
        await store.PutAccessKeyAsync(new AccessKeyRecord(ak, sk, user.Id, user.Name), ct);
        return new CreatedKey(user.Name, user.Id, ak, sk);
    }

    public async Task<IReadOnlyList<UserSummary>> ListUsersAsync(CancellationToken ct)
    {
        var result = new List<UserSummary>();
        foreach (var u in await store.ListUsersAsync(ct))
            result.Add(new UserSummary(u.Name, u.Id, u.Created, (await store.ListAccessKeysAsync(u.Id, ct)).Select(k => k.AccessKey).ToList()));
        return result;
    }

    private async Task<UserRecord> RequireUserAsync(string name, CancellationToken ct) =>
        await store.GetUserByNameAsync(name, ct) ?? throw new AdminException($"no user named {name}", 404);

    public async Task RemoveUserAsync(string name, CancellationToken ct)
    {
        var user = await RequireUserAsync(name, ct);
        if (user.Id == rootUserId) throw new AdminException("the root user cannot be removed", 409);
        var buckets = await store.ListBucketsAsync(user.Id, ct);
        if (buckets.Count > 0)
            throw new AdminException($"user {name} still owns {buckets.Count} bucket(s): {string.Join(", ", buckets.Take(5).Select(b => b.Name))}", 409);
        await store.DeleteUserAsync(user.Id, ct);
    }

    public async Task<CreatedKey> AddKeyAsync(string userName, string? accessKey, string? secretKey, CancellationToken ct)
    {
        var user = await RequireUserAsync(userName, ct);
        if (user.Id == rootUserId) throw new AdminException("the root key comes from XOS_ROOT_ACCESS_KEY/XOS_ROOT_SECRET_KEY or root-credentials.json", 409);
        var (ak, sk) = KeyPair(accessKey, secretKey);
        if (await store.FindAccessKeyAsync(ak, ct) is not null) throw new AdminException($"access key {ak} is already in use", 409);
        await store.PutAccessKeyAsync(new AccessKeyRecord(ak, sk, user.Id, user.Name), ct);
        return new CreatedKey(user.Name, user.Id, ak, sk);
    }

    public async Task RemoveKeyAsync(string accessKey, CancellationToken ct)
    {
        var key = await store.FindAccessKeyAsync(accessKey, ct) ?? throw new AdminException($"no access key {accessKey}", 404);
        if (key.OwnerId == rootUserId) throw new AdminException("the root key cannot be removed; rotate it with XOS_ROOT_ACCESS_KEY/XOS_ROOT_SECRET_KEY", 409);
        await store.DeleteAccessKeyAsync(accessKey, ct);
    }

    public async Task<RoleSummary> AddRoleAsync(string name, string policy, IReadOnlyList<string> trustedUsers, CancellationToken ct)
    {
        ValidateName("role", name);
        try
        {
            Auth.Policies.PolicyDocument.ParseIdentity(policy);
        }
        catch (Protocol.S3Exception e)
        {
            throw new AdminException("the role policy is not valid: " + e.Message);
        }
        foreach (var u in trustedUsers) await RequireUserAsync(u, ct);
        var role = new RoleRecord(name, policy, trustedUsers.Distinct().ToList(), DateTimeOffset.UtcNow);
        await store.PutRoleAsync(role, ct);
        return Summary(role);
    }

    public async Task<IReadOnlyList<RoleSummary>> ListRolesAsync(CancellationToken ct) => (await store.ListRolesAsync(ct)).Select(Summary).ToList();

    public async Task RemoveRoleAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteRoleAsync(name, ct)) throw new AdminException($"no role named {name}", 404);
    }

    /// <summary>The user's account-wide public access block, combined with each of their buckets' own; null when not set.</summary>
    public async Task<PublicAccessBlockConfiguration?> GetAccountPublicAccessBlockAsync(string userName, CancellationToken ct)
    {
        var user = await RequireUserAsync(userName, ct);
        return await store.GetAccountSettingAsync(user.Id, BucketPublicAccessBlock.SettingName, ct) is { } json ? PublicAccessBlockConfiguration.FromJson(json) : null;
    }

    public async Task SetAccountPublicAccessBlockAsync(string userName, PublicAccessBlockConfiguration? config, CancellationToken ct)
    {
        var user = await RequireUserAsync(userName, ct);
        await store.SetAccountSettingAsync(user.Id, BucketPublicAccessBlock.SettingName, config?.ToJson(), ct);
    }

    private static RoleSummary Summary(RoleRecord r) => new(r.Name, RoleArn(r.Name), r.TrustedUsers, r.Policy, r.Created);
}
