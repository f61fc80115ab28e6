using System.Data.Common;
using System.Text.Json;
using Xos.Server.Auth;

namespace Xos.Server.Storage.Sql;

/// <summary>Users, access keys, STS sessions and roles.</summary>
public sealed partial class SqlMetadataStore
{
    public Task EnsureUserAsync(string userId, string displayName, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO users(id, display_name, created) VALUES (@id, @name, @now) ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name",
            ct, ("@id", userId), ("@name", displayName), ("@now", Millis(DateTimeOffset.UtcNow)));
    }, ct);

    public Task PutAccessKeyAsync(AccessKeyRecord key, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO access_keys(access_key, secret_key, user_id, created) VALUES (@ak, @sk, @user, @now) " +
            "ON CONFLICT(access_key) DO UPDATE SET secret_key = excluded.secret_key, user_id = excluded.user_id",
            ct, ("@ak", key.AccessKey), ("@sk", key.SecretKey), ("@user", key.OwnerId), ("@now", Millis(DateTimeOffset.UtcNow)));
    }, ct);

    /// <summary>Writes keys, users or roles (see <see cref="WriteSharedAsync{T}"/>).</summary>
    private Task WriteCredentialsAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken ct,
        [System.Runtime.CompilerServices.CallerMemberName] string call = "") =>
        WriteSharedAsync(SharedChange.Credentials, work, ct, call);

    private Task<T> WriteCredentialsAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct,
        [System.Runtime.CompilerServices.CallerMemberName] string call = "") =>
        WriteSharedAsync(SharedChange.Credentials, work, ct, call);

    /// <summary>
    /// Keeps found access keys and buckets in memory while the database notifies this process of every change to them
    /// (PostgreSQL); returns when <paramref name="stop"/> is cancelled. Without it (and on SQLite) every lookup reads
    /// the database.
    /// </summary>
    public Task CacheSharedRecordsAsync(CancellationToken stop) =>
        _db.ListenForChangesAsync(Forget, listening =>
        {
            _credentials.SetListening(listening);
            _buckets.SetListening(listening);
        }, stop);

    public async Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKey, CancellationToken ct)
    {
        CheckOtherProcesses();
        if (_credentials.TryGet(accessKey, out var cached)) return cached;
        var generation = _credentials.Generation;
        var found = await ReadAccessKeyAsync(accessKey, ct);
        if (found is not null) _credentials.Add(found.AccessKey, found, generation);
        return found;
    }

    private async Task<AccessKeyRecord?> ReadAccessKeyAsync(string accessKey, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct, "FindAccessKeyAsync");
        AccessKeyRecord? found = null;
        (string Id, string Name, string Path)? iamUser = null;
        var adminPolicies = false;
        await using (var cmd = Command(db, null,
                         "SELECT k.access_key, k.secret_key, k.user_id, u.display_name, iu.id, iu.name, iu.path, " + HasAdminPolicies("k.user_id") +
                         " FROM access_keys k JOIN users u ON u.id = k.user_id LEFT JOIN iam_users iu ON iu.id = k.iam_user_id " +
                         "WHERE k.access_key = @ak AND k.status = 'Active'",
                         ("@ak", accessKey)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            if (await r.ReadAsync(ct))
            {
                found = new AccessKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3));
                iamUser = ReadIamUser(r, 4);
                adminPolicies = Convert.ToInt64(r.GetValue(7)) != 0;
            }
        found ??= await ReadSessionKeyAsync(db, accessKey, ct, user => iamUser = user, has => adminPolicies = has);
        if (found is null) return null;
        // The administrator's policies on the key's account (its id is its user name in the administrator's namespace).
        if (adminPolicies) found = found with { AdminPolicies = await IdentityPoliciesAsync(db, Iam.IamKind.User, found.OwnerId, ct) };
        // Read after the key's reader is closed: a PostgreSQL connection runs one command at a time.
        if (found.Temporary is { Grant: { RolePolicy: null, RoleName.Length: > 0 } grant } temporary)
            found = found with { Temporary = temporary with { Grant = grant with { RolePolicies = await IdentityPoliciesAsync(db, Iam.IamKind.Role, grant.RoleName, ct) } } };
        if (iamUser is { } user)
            found = found with { IamUser = new IamPrincipal(user.Id, user.Name, user.Path, await IdentityPoliciesAsync(db, Iam.IamKind.User, user.Id, ct)) };
        return found;
    }

    /// <summary>
    /// A column that says whether the account has administrator policies (inline or attached, under its canonical id),
    /// so that the common key, of an account without any, costs no second query.
    /// </summary>
    private static string HasAdminPolicies(string account) =>
        $"CASE WHEN EXISTS (SELECT 1 FROM iam_inline_policies ap WHERE ap.owner_kind = 'user' AND ap.owner_id = {account}) " +
        $"OR EXISTS (SELECT 1 FROM iam_attachments aa WHERE aa.owner_kind = 'user' AND aa.owner_id = {account}) THEN 1 ELSE 0 END";

    private static (string Id, string Name, string Path)? ReadIamUser(DbDataReader r, int at) =>
        r.IsDBNull(at) ? null : (r.GetString(at), r.GetString(at + 1), r.GetString(at + 2));

    /// <summary>A temporary key: its session, and for a role made with the IAM API no single role policy (its policies are read after).</summary>
    private static async Task<AccessKeyRecord?> ReadSessionKeyAsync(DbConnection db, string accessKey, CancellationToken ct,
        Action<(string, string, string)?> iamUser, Action<bool> hasAdminPolicies)
    {
        await using var session = Command(db, null,
            "SELECT s.access_key, s.secret_key, s.user_id, u.display_name, s.token_hash, s.role_name, s.session_name, s.session_policy, s.expires, r.policy, " +
            "r.name, r.account_id, iu.id, iu.name, iu.path, r.path, r.role_id, " + HasAdminPolicies("s.user_id") + " " +
            "FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN roles r ON r.name = s.role_name LEFT JOIN iam_users iu ON iu.id = s.iam_user_id " +
            "WHERE s.access_key = @ak", ("@ak", accessKey));
        await using var sr = await session.ExecuteReaderAsync(ct);
        if (!await sr.ReadAsync(ct)) return null;
        // A role removed after the session began grants nothing: its policy is then the empty policy.
        // Sessions without a role (GetSessionToken) have no policy of their own.
        var roleName = sr.GetString(5);
        var iamRole = !sr.IsDBNull(11);
        var rolePolicy = roleName.Length == 0 || iamRole ? null
            : (sr.IsDBNull(10) ? null : NullableString(sr, 9)) ?? """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}""";
        iamUser(ReadIamUser(sr, 12));
        hasAdminPolicies(Convert.ToInt64(sr.GetValue(17)) != 0);
        var roleArn = iamRole ? $"arn:aws:iam::{Iam.AdministratorNamespace.ArnAccount(sr.GetString(11))}:role{sr.GetString(15)}{roleName}" : null;
        var grant = new SessionGrant(roleName, sr.GetString(6), rolePolicy, NullableString(sr, 7), FromMillis(sr.GetInt64(8)), null, roleArn,
            iamRole ? NullableString(sr, 16) : null);
        return new AccessKeyRecord(sr.GetString(0), sr.GetString(1), sr.GetString(2), sr.GetString(3), new TemporaryKey(sr.GetString(4), grant));
    }

    public Task CreateSessionAsync(string accessKey, string secretKey, string tokenHash, string userId, string roleName, string sessionName,
        string? sessionPolicy, DateTimeOffset expires, CancellationToken ct, string? iamUserId = null) => WriteAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO sessions(access_key, secret_key, token_hash, user_id, role_name, session_name, session_policy, expires, iam_user_id) " +
            "VALUES (@ak, @sk, @th, @user, @role, @name, @policy, @expires, @iam)", ct,
            ("@ak", accessKey), ("@sk", secretKey), ("@th", tokenHash), ("@user", userId), ("@role", roleName), ("@name", sessionName),
            ("@policy", sessionPolicy), ("@expires", Millis(expires)), ("@iam", iamUserId));
    }, ct);

    public Task<UserRecord?> CreateUserAsync(string name, string canonicalId, CancellationToken ct) => WriteAsync<UserRecord?>(async (db, tx) =>
    {
        var now = DateTimeOffset.UtcNow;
        var inserted = await ExecAsync(db, tx,
            "INSERT INTO users(id, display_name, created) VALUES (@id, @name, @now) ON CONFLICT DO NOTHING",
            ct, ("@id", canonicalId), ("@name", name), ("@now", Millis(now)));
        return inserted == 1 ? new UserRecord(canonicalId, name, FromMillis(Millis(now))) : null;
    }, ct);

    public async Task<UserRecord?> GetUserByNameAsync(string name, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT id, display_name, created FROM users WHERE display_name = @name", ("@name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new UserRecord(r.GetString(0), r.GetString(1), FromMillis(r.GetInt64(2))) : null;
    }

    public async Task<bool> UserExistsAsync(string userId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ScalarAsync(db, null, "SELECT 1 FROM users WHERE id = @id", ct, ("@id", userId)) is not null;
    }

    public async Task<IReadOnlyDictionary<string, string>> GetDisplayNamesAsync(IReadOnlyCollection<string> userIds, CancellationToken ct)
    {
        var names = new Dictionary<string, string>();
        if (userIds.Count == 0) return names;
        await using var db = await OpenAsync(ct);
        var args = userIds.Select((id, i) => ($"@id{i}", (object?)id)).ToArray();
        await using var cmd = Command(db, null, $"SELECT id, display_name FROM users WHERE id IN ({string.Join(", ", args.Select(a => a.Item1))})", args);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) names[r.GetString(0)] = r.GetString(1);
        return names;
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT id, display_name, created FROM users ORDER BY display_name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var users = new List<UserRecord>();
        while (await r.ReadAsync(ct)) users.Add(new UserRecord(r.GetString(0), r.GetString(1), FromMillis(r.GetInt64(2))));
        return users;
    }

    public Task<bool> DeleteUserAsync(string userId, CancellationToken ct) => WriteCredentialsAsync<bool>(async (db, tx) =>
    {
        // The administrator's policies on the account (held under its id in the administrator's namespace) go with it.
        await ExecAsync(db, tx, "DELETE FROM iam_inline_policies WHERE owner_kind = 'user' AND owner_id = @id", ct, ("@id", userId));
        await ExecAsync(db, tx, "DELETE FROM iam_attachments WHERE owner_kind = 'user' AND owner_id = @id", ct, ("@id", userId));
        return await ExecAsync(db, tx, "DELETE FROM users WHERE id = @id", ct, ("@id", userId)) == 1;
    }, ct);

    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null,
            "SELECT k.access_key, k.secret_key, k.user_id, u.display_name FROM access_keys k JOIN users u ON u.id = k.user_id " +
            "WHERE k.user_id = @user AND k.iam_user_id IS NULL ORDER BY k.created, k.access_key", ("@user", userId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var keys = new List<AccessKeyRecord>();
        while (await r.ReadAsync(ct)) keys.Add(new AccessKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)));
        return keys;
    }

    public Task<bool> DeleteAccessKeyAsync(string accessKey, CancellationToken ct) => WriteCredentialsAsync<bool>(async (db, tx) =>
    {
        return await ExecAsync(db, tx, "DELETE FROM access_keys WHERE access_key = @ak", ct, ("@ak", accessKey)) == 1;
    }, ct);

    // ---------------------------------------------------------------- roles

    private static RoleRecord ReadRole(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), JsonSerializer.Deserialize(r.GetString(2), StorageJson.Default.ListString)!, FromMillis(r.GetInt64(3)));

    public Task PutRoleAsync(RoleRecord role, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO roles(name, policy, trusted_users, created) VALUES (@name, @policy, @trust, @now) " +
            "ON CONFLICT(name) DO UPDATE SET policy = excluded.policy, trusted_users = excluded.trusted_users",
            ct, ("@name", role.Name), ("@policy", role.Policy),
            ("@trust", JsonSerializer.Serialize(role.TrustedUsers.ToList(), StorageJson.Default.ListString)), ("@now", Millis(role.Created)));
    }, ct);

    public async Task<RoleRecord?> GetRoleAsync(string name, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT name, policy, trusted_users, created FROM roles WHERE name = @name", ("@name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadRole(r) : null;
    }

    public async Task<IReadOnlyList<RoleRecord>> ListRolesAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT name, policy, trusted_users, created FROM roles ORDER BY name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var roles = new List<RoleRecord>();
        while (await r.ReadAsync(ct)) roles.Add(ReadRole(r));
        return roles;
    }

    public Task<bool> DeleteRoleAsync(string name, CancellationToken ct) => WriteCredentialsAsync<bool>(async (db, tx) =>
    {
        return await ExecAsync(db, tx, "DELETE FROM roles WHERE name = @name", ct, ("@name", name)) == 1;
    }, ct);
}
