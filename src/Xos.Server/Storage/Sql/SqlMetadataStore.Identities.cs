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
        if (_credentials.TryGet(accessKey, out var cached)) return cached;
        var generation = _credentials.Generation;
        var found = await ReadAccessKeyAsync(accessKey, ct);
        if (found is not null) _credentials.Add(found.AccessKey, found, generation);
        return found;
    }

    private async Task<AccessKeyRecord?> ReadAccessKeyAsync(string accessKey, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct, "FindAccessKeyAsync");
        await using var cmd = Command(db, null,
            "SELECT k.access_key, k.secret_key, k.user_id, u.display_name FROM access_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key = @ak",
            ("@ak", accessKey));
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            if (await r.ReadAsync(ct)) return new AccessKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3));
        await using var session = Command(db, null,
            "SELECT s.access_key, s.secret_key, s.user_id, u.display_name, s.token_hash, s.role_name, s.session_name, s.session_policy, s.expires, r.policy " +
            "FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN roles r ON r.name = s.role_name WHERE s.access_key = @ak", ("@ak", accessKey));
        await using var sr = await session.ExecuteReaderAsync(ct);
        if (!await sr.ReadAsync(ct)) return null;
        // A role removed after the session began grants nothing: its policy is then the empty policy.
        // Sessions without a role (GetSessionToken) have no policy of their own.
        var roleName = sr.GetString(5);
        var rolePolicy = roleName.Length == 0 ? null
            : NullableString(sr, 9) ?? """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}""";
        var grant = new SessionGrant(roleName, sr.GetString(6), rolePolicy, NullableString(sr, 7), FromMillis(sr.GetInt64(8)));
        return new AccessKeyRecord(sr.GetString(0), sr.GetString(1), sr.GetString(2), sr.GetString(3), new TemporaryKey(sr.GetString(4), grant));
    }

    public Task CreateSessionAsync(string accessKey, string secretKey, string tokenHash, string userId, string roleName, string sessionName,
        string? sessionPolicy, DateTimeOffset expires, CancellationToken ct) => WriteAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO sessions(access_key, secret_key, token_hash, user_id, role_name, session_name, session_policy, expires) " +
            "VALUES (@ak, @sk, @th, @user, @role, @name, @policy, @expires)", ct,
            ("@ak", accessKey), ("@sk", secretKey), ("@th", tokenHash), ("@user", userId), ("@role", roleName), ("@name", sessionName),
            ("@policy", sessionPolicy), ("@expires", Millis(expires)));
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
        return await ExecAsync(db, tx, "DELETE FROM users WHERE id = @id", ct, ("@id", userId)) == 1;
    }, ct);

    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null,
            "SELECT k.access_key, k.secret_key, k.user_id, u.display_name FROM access_keys k JOIN users u ON u.id = k.user_id " +
            "WHERE k.user_id = @user ORDER BY k.created, k.access_key", ("@user", userId));
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
