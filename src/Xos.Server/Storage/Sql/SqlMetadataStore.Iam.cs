using System.Data.Common;
using Xos.Server.Iam;

namespace Xos.Server.Storage.Sql;

/// <summary>IAM users and groups of accounts, group membership, and the access keys of IAM users and account roots.</summary>
public sealed partial class SqlMetadataStore
{
    private static string KindName(IamKind kind) => kind switch
    {
        IamKind.User => "user",
        IamKind.Group => "group",
        _ => "role",
    };

    private static string EntityTable(IamKind kind) => kind == IamKind.User ? "iam_users" : "iam_groups";

    private static IamEntity ReadEntity(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), FromMillis(r.GetInt64(4)));

    private static async Task<List<T>> ReadAllAsync<T>(DbCommand cmd, Func<DbDataReader, T> read, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await r.ReadAsync(ct)) list.Add(read(r));
        return list;
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct, params (string, object?)[] args)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, sql, args);
        return await ReadAllAsync(cmd, read, ct);
    }

    /// <summary>The id of the named user or group (the name of a role) in the account, inside a transaction; null when there is none.</summary>
    private static async Task<string?> EntityIdAsync(DbConnection db, DbTransaction tx, IamKind kind, string accountId, string name, CancellationToken ct) =>
        await ScalarAsync(db, tx, kind == IamKind.Role
            ? "SELECT name FROM roles WHERE account_id = @a AND lower(name) = @k"
            : $"SELECT id FROM {EntityTable(kind)} WHERE account_id = @a AND name_key = @k", ct,
            ("@a", accountId), ("@k", name.ToLowerInvariant())) as string;

    public Task<IamWrite> CreateEntityAsync(IamKind kind, IamEntity e, int limit, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (Convert.ToInt64(await ScalarAsync(db, tx, $"SELECT COUNT(*) FROM {EntityTable(kind)} WHERE account_id = @a", ct, ("@a", e.AccountId))) >= limit)
            return IamWrite.Limit;
        return await ExecAsync(db, tx,
            $"INSERT INTO {EntityTable(kind)}(id, account_id, name, name_key, path, created) VALUES (@id, @a, @name, @k, @path, @now) ON CONFLICT DO NOTHING",
            ct, ("@id", e.Id), ("@a", e.AccountId), ("@name", e.Name), ("@k", e.Name.ToLowerInvariant()), ("@path", e.Path),
            ("@now", Millis(e.Created))) == 1 ? IamWrite.Done : IamWrite.Exists;
    }, ct);

    public async Task<(long Users, long Groups, long Roles, long Policies, long Providers, long RootKeys)> CountIamAsync(string accountId, CancellationToken ct) =>
        (await QueryAsync(
            "SELECT (SELECT COUNT(*) FROM iam_users WHERE account_id = @a), (SELECT COUNT(*) FROM iam_groups WHERE account_id = @a), " +
            "(SELECT COUNT(*) FROM roles WHERE account_id = @a), (SELECT COUNT(*) FROM iam_policies WHERE account_id = @a), " +
            "(SELECT COUNT(*) FROM iam_oidc_providers WHERE account_id = @a), (SELECT COUNT(*) FROM access_keys WHERE user_id = @a AND iam_user_id IS NULL)",
            r => (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)), ct, ("@a", accountId)))[0];

    public async Task<IamEntity?> GetEntityAsync(IamKind kind, string accountId, string name, CancellationToken ct) =>
        (await QueryAsync($"SELECT id, account_id, name, path, created FROM {EntityTable(kind)} WHERE account_id = @a AND name_key = @k",
            ReadEntity, ct, ("@a", accountId), ("@k", name.ToLowerInvariant()))).FirstOrDefault();

    public async Task<IReadOnlyList<IamEntity>> ListEntitiesAsync(IamKind kind, string accountId, string pathPrefix, CancellationToken ct) =>
        await QueryAsync($"SELECT id, account_id, name, path, created FROM {EntityTable(kind)} WHERE account_id = @a AND substr(path, 1, @n) = @p ORDER BY name_key",
            ReadEntity, ct, ("@a", accountId), ("@n", pathPrefix.Length), ("@p", pathPrefix));

    public Task<IamWrite> UpdateEntityAsync(IamKind kind, string accountId, string name, string? newName, string? newPath, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            if (await EntityIdAsync(db, tx, kind, accountId, name, ct) is not { } id) return IamWrite.NotFound;
            if (newName is not null && !newName.Equals(name, StringComparison.OrdinalIgnoreCase)
                && await EntityIdAsync(db, tx, kind, accountId, newName, ct) is not null) return IamWrite.Exists;
            await ExecAsync(db, tx,
                $"UPDATE {EntityTable(kind)} SET name = COALESCE(@name, name), name_key = COALESCE(@k, name_key), path = COALESCE(@path, path) WHERE id = @id",
                ct, ("@id", id), ("@name", newName), ("@k", newName?.ToLowerInvariant()), ("@path", newPath));
            return IamWrite.Done;
        }, ct);

    public Task<IamWrite> DeleteEntityAsync(IamKind kind, string accountId, string name, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (await EntityIdAsync(db, tx, kind, accountId, name, ct) is not { } id) return IamWrite.NotFound;
        // As IAM: keys, inline and attached policies (and a group's members) must be removed first. A user's group
        // memberships go with it, as RGW does.
        var dependents = kind == IamKind.User
            ? "SELECT COUNT(*) FROM access_keys WHERE iam_user_id = @id"
            : "SELECT COUNT(*) FROM iam_group_members WHERE group_id = @id";
        if (Convert.ToInt64(await ScalarAsync(db, tx, dependents, ct, ("@id", id))) > 0
            || await HasPoliciesAsync(db, tx, kind, id, ct)) return IamWrite.Conflict;
        await DeleteTagsAsync(db, tx, kind, id, ct);
        await ExecAsync(db, tx, $"DELETE FROM {EntityTable(kind)} WHERE id = @id", ct, ("@id", id));
        return IamWrite.Done;
    }, ct);

    private static async Task<bool> HasPoliciesAsync(DbConnection db, DbTransaction tx, IamKind kind, string ownerId, CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync(db, tx,
            "SELECT (SELECT COUNT(*) FROM iam_inline_policies WHERE owner_kind = @kind AND owner_id = @id) + " +
            "(SELECT COUNT(*) FROM iam_attachments WHERE owner_kind = @kind AND owner_id = @id)", ct,
            ("@kind", KindName(kind)), ("@id", ownerId))) > 0;

    private static Task<int> DeleteTagsAsync(DbConnection db, DbTransaction tx, IamKind kind, string ownerId, CancellationToken ct) =>
        ExecAsync(db, tx, "DELETE FROM iam_tags WHERE owner_kind = @kind AND owner_id = @id", ct, ("@kind", KindName(kind)), ("@id", ownerId));

    public Task<IamWrite> SetMembershipAsync(string accountId, string groupName, string userName, bool member, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            if (await EntityIdAsync(db, tx, IamKind.Group, accountId, groupName, ct) is not { } group
                || await EntityIdAsync(db, tx, IamKind.User, accountId, userName, ct) is not { } user) return IamWrite.NotFound;
            var changed = await ExecAsync(db, tx, member
                ? "INSERT INTO iam_group_members(group_id, user_id) VALUES (@g, @u) ON CONFLICT DO NOTHING"
                : "DELETE FROM iam_group_members WHERE group_id = @g AND user_id = @u", ct, ("@g", group), ("@u", user));
            return member || changed == 1 ? IamWrite.Done : IamWrite.NotFound;
        }, ct);

    public async Task<IReadOnlyList<IamEntity>> ListGroupMembersAsync(string groupId, CancellationToken ct) =>
        await QueryAsync("SELECT u.id, u.account_id, u.name, u.path, u.created FROM iam_users u JOIN iam_group_members m ON m.user_id = u.id " +
                         "WHERE m.group_id = @g ORDER BY u.name_key", ReadEntity, ct, ("@g", groupId));

    public async Task<IReadOnlyList<IamEntity>> ListGroupsForUserAsync(string userId, CancellationToken ct) =>
        await QueryAsync("SELECT g.id, g.account_id, g.name, g.path, g.created FROM iam_groups g JOIN iam_group_members m ON m.group_id = g.id " +
                         "WHERE m.user_id = @u ORDER BY g.name_key", ReadEntity, ct, ("@u", userId));

    // ---------------------------------------------------------------- access keys

    /// <summary>The keys of an IAM user, or the account root's own keys (those of no IAM user).</summary>
    private const string KeyOwnerFilter = "user_id = @a AND COALESCE(iam_user_id, '') = @u";

    public Task<IamWrite> CreateIamAccessKeyAsync(string accountId, string? iamUserId, string accessKey, string secretKey, DateTimeOffset created, int limit,
        CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            if (Convert.ToInt64(await ScalarAsync(db, tx, $"SELECT COUNT(*) FROM access_keys WHERE {KeyOwnerFilter}", ct,
                    ("@a", accountId), ("@u", iamUserId ?? ""))) >= limit) return IamWrite.Limit;
            await ExecAsync(db, tx,
                "INSERT INTO access_keys(access_key, secret_key, user_id, created, iam_user_id, status) VALUES (@ak, @sk, @a, @now, @u, 'Active')",
                ct, ("@ak", accessKey), ("@sk", secretKey), ("@a", accountId), ("@now", Millis(created)), ("@u", iamUserId));
            return IamWrite.Done;
        }, ct);

    public async Task<IReadOnlyList<IamAccessKey>> ListIamAccessKeysAsync(string accountId, string? iamUserId, CancellationToken ct) =>
        await QueryAsync($"SELECT access_key, status, created FROM access_keys WHERE {KeyOwnerFilter} ORDER BY created, access_key",
            r => new IamAccessKey(r.GetString(0), r.GetString(1), FromMillis(r.GetInt64(2))), ct, ("@a", accountId), ("@u", iamUserId ?? ""));

    /// <summary>Sets the key's status, or deletes it when <paramref name="status"/> is null.</summary>
    public Task<IamWrite> UpdateIamAccessKeyAsync(string accountId, string? iamUserId, string accessKey, string? status, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) => await ExecAsync(db, tx, status is null
                ? $"DELETE FROM access_keys WHERE access_key = @ak AND {KeyOwnerFilter}"
                : $"UPDATE access_keys SET status = @status WHERE access_key = @ak AND {KeyOwnerFilter}",
            ct, [("@ak", accessKey), ("@a", accountId), ("@u", iamUserId ?? ""), .. status is null ? [] : new[] { ("@status", (object?)status) }])
            == 1 ? IamWrite.Done : IamWrite.NotFound, ct);

    public async Task<(bool Found, string? IamUserName)> FindIamAccessKeyOwnerAsync(string accountId, string accessKey, CancellationToken ct)
    {
        var rows = await QueryAsync("SELECT u.name FROM access_keys k LEFT JOIN iam_users u ON u.id = k.iam_user_id WHERE k.access_key = @ak AND k.user_id = @a",
            r => NullableString(r, 0), ct, ("@ak", accessKey), ("@a", accountId));
        return rows.Count == 0 ? (false, null) : (true, rows[0]);
    }
}
