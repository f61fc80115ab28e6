using System.Data;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xos.Server.Auth;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Sqlite;

/// <summary>
/// The embedded metadata store: one SQLite database in WAL mode with full fsync on commit.
/// Write transactions start with BEGIN IMMEDIATE so concurrent writers queue instead of deadlocking.
/// </summary>
public sealed class SqliteMetadataStore : IMetadataStore
{
    private const string ObjectColumns =
        "o.id, o.key, o.version_id, o.delete_marker, o.size, o.etag, o.last_modified, o.content_type, o.headers, " +
        "o.storage_class, o.owner_id, o.blob_id, o.parts_count, o.acl, o.tags, o.encryption, o.is_latest";
    private const string UploadColumns =
        "id, upload_id, bucket_id, key, initiated, owner_id, content_type, headers, storage_class, acl, tags, encryption";

    private readonly string _connectionString;

    public SqliteMetadataStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 60,
        }.ToString();
    }

    public bool IsSharedByProcesses => false;

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await ExecAsync(db, null, "PRAGMA journal_mode=WAL;", ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        await ExecAsync(db, tx, SqliteSchema.Create, ct);
        var version = await ScalarAsync(db, tx, "SELECT MAX(version) FROM schema_version", ct);
        if (version is null or DBNull)
            await ExecAsync(db, tx, $"INSERT INTO schema_version(version) VALUES ({SqliteSchema.Version})", ct);
        else if (Convert.ToInt32(version) > SqliteSchema.Version)
            throw new InvalidOperationException($"The metadata database has schema version {version}, newer than this server ({SqliteSchema.Version}).");
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// SQLite has one writer at a time; queueing this process's writers here avoids the busy-retry sleeps of
    /// contending connections. Correctness does not depend on it: every invariant is in the transaction itself.
    /// </summary>
    private readonly SemaphoreSlim _writerGate = new(1, 1);

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken ct)
    {
        await _writerGate.WaitAsync(ct);
        try
        {
            var db = new GatedConnection(_connectionString, _writerGate);
            await db.OpenAsync(ct);
            await PragmasAsync(db, ct);
            return db;
        }
        catch
        {
            _writerGate.Release();
            throw;
        }
    }

    /// <summary>A connection that lets the next writer in when it is disposed.</summary>
    private sealed class GatedConnection(string connectionString, SemaphoreSlim gate) : SqliteConnection(connectionString)
    {
        private int _released;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    private static async Task PragmasAsync(SqliteConnection db, CancellationToken ct)
    {
        await using var pragma = db.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL;";
        await pragma.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A connection for reading; writes go through <see cref="OpenWriterAsync"/>, which also sets full fsync.</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var db = new SqliteConnection(_connectionString);
        await db.OpenAsync(ct);
        return db;
    }

    private static SqliteCommand Command(SqliteConnection db, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    private static async Task<int> ExecAsync(SqliteConnection db, SqliteTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection db, SqliteTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        return await cmd.ExecuteScalarAsync(ct);
    }

    private static long Millis(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    private static DateTimeOffset FromMillis(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string? HeadersJson(IReadOnlyDictionary<string, string> headers) =>
        headers.Count == 0 ? null : JsonSerializer.Serialize(headers, StorageJson.Default.IReadOnlyDictionaryStringString);

    private static IReadOnlyDictionary<string, string> ParseHeaders(SqliteDataReader r, int i) =>
        r.IsDBNull(i) ? ObjectRecord.EmptyHeaders
                      : JsonSerializer.Deserialize(r.GetString(i), StorageJson.Default.DictionaryStringString)!;

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static bool IsForeignKeyViolation(SqliteException e) => e.SqliteErrorCode == 19 && e.SqliteExtendedErrorCode == 787;

    // ---------------------------------------------------------------- accounts

    public async Task EnsureUserAsync(string userId, string displayName, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await ExecAsync(db, null,
            "INSERT INTO users(id, display_name, created) VALUES (@id, @name, @now) ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name",
            ct, ("@id", userId), ("@name", displayName), ("@now", Millis(DateTimeOffset.UtcNow)));
    }

    public async Task PutAccessKeyAsync(AccessKeyRecord key, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await ExecAsync(db, null,
            "INSERT INTO access_keys(access_key, secret_key, user_id, created) VALUES (@ak, @sk, @user, @now) " +
            "ON CONFLICT(access_key) DO UPDATE SET secret_key = excluded.secret_key, user_id = excluded.user_id",
            ct, ("@ak", key.AccessKey), ("@sk", key.SecretKey), ("@user", key.OwnerId), ("@now", Millis(DateTimeOffset.UtcNow)));
    }

    public async Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKey, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
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
        var grant = new SessionGrant(sr.GetString(5), sr.GetString(6), NullableString(sr, 9) ?? """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}""",
            NullableString(sr, 7), FromMillis(sr.GetInt64(8)));
        return new AccessKeyRecord(sr.GetString(0), sr.GetString(1), sr.GetString(2), sr.GetString(3), new TemporaryKey(sr.GetString(4), grant));
    }

    public async Task CreateSessionAsync(string accessKey, string secretKey, string tokenHash, string userId, string roleName, string sessionName,
        string? sessionPolicy, DateTimeOffset expires, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await ExecAsync(db, null,
            "INSERT INTO sessions(access_key, secret_key, token_hash, user_id, role_name, session_name, session_policy, expires) " +
            "VALUES (@ak, @sk, @th, @user, @role, @name, @policy, @expires)", ct,
            ("@ak", accessKey), ("@sk", secretKey), ("@th", tokenHash), ("@user", userId), ("@role", roleName), ("@name", sessionName),
            ("@policy", sessionPolicy), ("@expires", Millis(expires)));
    }

    public async Task<UserRecord?> CreateUserAsync(string name, string canonicalId, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var inserted = await ExecAsync(db, null,
            "INSERT INTO users(id, display_name, created) VALUES (@id, @name, @now) ON CONFLICT DO NOTHING",
            ct, ("@id", canonicalId), ("@name", name), ("@now", Millis(now)));
        return inserted == 1 ? new UserRecord(canonicalId, name, FromMillis(Millis(now))) : null;
    }

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

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT id, display_name, created FROM users ORDER BY display_name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var users = new List<UserRecord>();
        while (await r.ReadAsync(ct)) users.Add(new UserRecord(r.GetString(0), r.GetString(1), FromMillis(r.GetInt64(2))));
        return users;
    }

    public async Task<bool> DeleteUserAsync(string userId, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        return await ExecAsync(db, null, "DELETE FROM users WHERE id = @id", ct, ("@id", userId)) == 1;
    }

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

    public async Task<bool> DeleteAccessKeyAsync(string accessKey, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        return await ExecAsync(db, null, "DELETE FROM access_keys WHERE access_key = @ak", ct, ("@ak", accessKey)) == 1;
    }

    // ---------------------------------------------------------------- roles

    private static RoleRecord ReadRole(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), JsonSerializer.Deserialize(r.GetString(2), StorageJson.Default.ListString)!, FromMillis(r.GetInt64(3)));

    public async Task PutRoleAsync(RoleRecord role, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await ExecAsync(db, null,
            "INSERT INTO roles(name, policy, trusted_users, created) VALUES (@name, @policy, @trust, @now) " +
            "ON CONFLICT(name) DO UPDATE SET policy = excluded.policy, trusted_users = excluded.trusted_users",
            ct, ("@name", role.Name), ("@policy", role.Policy),
            ("@trust", JsonSerializer.Serialize(role.TrustedUsers.ToList(), StorageJson.Default.ListString)), ("@now", Millis(role.Created)));
    }

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

    public async Task<bool> DeleteRoleAsync(string name, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        return await ExecAsync(db, null, "DELETE FROM roles WHERE name = @name", ct, ("@name", name)) == 1;
    }

    // ---------------------------------------------------------------- buckets

    private const string BucketColumns = "id, name, owner_id, created, location, acl, versioning";

    private static BucketRecord ReadBucket(SqliteDataReader r, int o = 0) =>
        new(r.GetInt64(o), r.GetString(o + 1), r.GetString(o + 2), FromMillis(r.GetInt64(o + 3)), r.GetString(o + 4), NullableString(r, o + 5), r.GetString(o + 6));

    public async Task SetBucketVersioningAsync(long bucketId, string status, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        if (await ExecAsync(db, null, "UPDATE buckets SET versioning = @v WHERE id = @id", ct, ("@v", status), ("@id", bucketId)) == 0)
            throw S3Errors.NoSuchBucket("");
    }

    public async Task<BucketRecord?> GetBucketAsync(string name, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await GetBucketAsync(db, null, name, ct);
    }

    private static async Task<BucketRecord?> GetBucketAsync(SqliteConnection db, SqliteTransaction? tx, string name, CancellationToken ct)
    {
        await using var cmd = Command(db, tx,
            $"SELECT {BucketColumns}, (SELECT s.value FROM bucket_settings s WHERE s.bucket_id = buckets.id AND s.name = 'encryption'), " +
            "(SELECT s.value FROM bucket_settings s WHERE s.bucket_id = buckets.id AND s.name = 'policy') " +
            "FROM buckets WHERE name = @name", ("@name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadBucket(r) with { DefaultEncryption = NullableString(r, 7), Policy = NullableString(r, 8) } : null;
    }

    public async Task<(BucketRecord Bucket, bool Created)> CreateBucketAsync(string name, string ownerId, string location, string? acl, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        var inserted = await ExecAsync(db, tx,
            "INSERT INTO buckets(name, owner_id, created, location, acl) VALUES (@name, @owner, @now, @loc, @acl) ON CONFLICT(name) DO NOTHING",
            ct, ("@name", name), ("@owner", ownerId), ("@now", Millis(DateTimeOffset.UtcNow)), ("@loc", location), ("@acl", acl));
        var bucket = await GetBucketAsync(db, tx, name, ct) ?? throw new InvalidOperationException("bucket vanished inside its transaction");
        await tx.CommitAsync(ct);
        return (bucket, inserted == 1);
    }

    public async Task<bool> DeleteBucketIfEmptyAsync(long bucketId, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        try
        {
            return await ExecAsync(db, null,
                "DELETE FROM buckets WHERE id = @id AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = @id) " +
                "AND NOT EXISTS (SELECT 1 FROM uploads WHERE bucket_id = @id)", ct, ("@id", bucketId)) == 1;
        }
        catch (SqliteException e) when (IsForeignKeyViolation(e))
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string ownerId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, $"SELECT {BucketColumns} FROM buckets WHERE owner_id = @owner ORDER BY name", ("@owner", ownerId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<BucketRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadBucket(r));
        return list;
    }

    public async Task SetBucketAclAsync(long bucketId, string? acl, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        if (await ExecAsync(db, null, "UPDATE buckets SET acl = @acl WHERE id = @id", ct, ("@acl", acl), ("@id", bucketId)) == 0)
            throw S3Errors.NoSuchBucket("");
    }

    public async Task<string?> GetBucketSettingAsync(long bucketId, string name, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ScalarAsync(db, null, "SELECT value FROM bucket_settings WHERE bucket_id = @b AND name = @name", ct,
            ("@b", bucketId), ("@name", name)) as string;
    }

    public async Task<bool> SetBucketSettingAsync(long bucketId, string name, string? value, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        if (value is null)
            return await ExecAsync(db, null, "DELETE FROM bucket_settings WHERE bucket_id = @b AND name = @name", ct, ("@b", bucketId), ("@name", name)) == 1;
        try
        {
            await ExecAsync(db, null,
                "INSERT INTO bucket_settings(bucket_id, name, value) VALUES (@b, @name, @value) ON CONFLICT(bucket_id, name) DO UPDATE SET value = excluded.value",
                ct, ("@b", bucketId), ("@name", name), ("@value", value));
        }
        catch (SqliteException e) when (IsForeignKeyViolation(e))
        {
            throw S3Errors.NoSuchBucket("");
        }
        return true;
    }

    public Task<bool> SetObjectAclAsync(long bucketId, string key, string? versionId, string? acl, CancellationToken ct) =>
        SetObjectColumnAsync("acl", bucketId, key, versionId, acl, ct);

    public Task<bool> SetObjectTagsAsync(long bucketId, string key, string? versionId, string? tags, CancellationToken ct) =>
        SetObjectColumnAsync("tags", bucketId, key, versionId, tags, ct);

    private async Task<bool> SetObjectColumnAsync(string column, long bucketId, string key, string? versionId, string? value, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        return await ExecAsync(db, null,
            $"UPDATE objects SET {column} = @value WHERE bucket_id = @b AND key = @key AND {(versionId is null ? "is_latest = 1" : "version_id = @v")} AND delete_marker = 0",
            ct, ("@value", value), ("@b", bucketId), ("@key", KeyRange.Bytes(key)), ("@v", versionId)) == 1;
    }

    // ---------------------------------------------------------------- objects

    private static ObjectRecord ReadObject(SqliteDataReader r, long bucketId, int o = 0) => new()
    {
        BucketId = bucketId,
        Key = KeyRange.Text((byte[])r.GetValue(o + 1)),
        VersionId = r.GetString(o + 2),
        IsDeleteMarker = r.GetInt64(o + 3) != 0,
        Size = r.GetInt64(o + 4),
        ETag = r.GetString(o + 5),
        LastModified = FromMillis(r.GetInt64(o + 6)),
        ContentType = r.GetString(o + 7),
        Headers = ParseHeaders(r, o + 8),
        StorageClass = r.GetString(o + 9),
        OwnerId = r.GetString(o + 10),
        BlobId = NullableString(r, o + 11),
        PartsCount = (int)r.GetInt64(o + 12),
        Acl = NullableString(r, o + 13),
        Tags = NullableString(r, o + 14),
        Encryption = NullableString(r, o + 15),
        IsLatest = r.GetInt64(o + 16) != 0,
    };

    private static async Task<ObjectRecord> WithSegmentsAsync(SqliteConnection db, SqliteTransaction? tx, long objectId, ObjectRecord obj, CancellationToken ct)
    {
        if (obj.BlobId is not null || obj.IsDeleteMarker) return obj;
        return obj with { Segments = await ReadSegmentsAsync(db, tx, objectId, ct) };
    }

    private static async Task<List<Segment>> ReadSegmentsAsync(SqliteConnection db, SqliteTransaction? tx, long objectId, CancellationToken ct)
    {
        await using var cmd = Command(db, tx, "SELECT blob_id, size, part_number FROM object_segments WHERE object_id = @id ORDER BY seq", ("@id", objectId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var segments = new List<Segment>();
        while (await r.ReadAsync(ct)) segments.Add(new Segment(r.GetString(0), r.GetInt64(1), (int)r.GetInt64(2)));
        return segments;
    }

    /// <summary>Selects the latest version, or the one named by @v.</summary>
    private static string VersionFilter(string? versionId) => versionId is null ? "o.is_latest = 1" : "o.version_id = @v";

    public async Task<(BucketRecord? Bucket, ObjectRecord? Object)> GetBucketAndObjectAsync(string bucket, string key, string? versionId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null,
            "SELECT b.id, b.name, b.owner_id, b.created, b.location, b.acl, b.versioning, " +
            "(SELECT s.value FROM bucket_settings s WHERE s.bucket_id = b.id AND s.name = 'lifecycle'), " +
            $"(SELECT s.value FROM bucket_settings s WHERE s.bucket_id = b.id AND s.name = 'policy'), {ObjectColumns} FROM buckets b " +
            $"LEFT JOIN objects o ON o.bucket_id = b.id AND o.key = @key AND {VersionFilter(versionId)} WHERE b.name = @name",
            ("@name", bucket), ("@key", KeyRange.Bytes(key)), ("@v", versionId));
        long objectId;
        BucketRecord b;
        ObjectRecord obj;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return (null, null);
            b = ReadBucket(r) with { Lifecycle = NullableString(r, 7), Policy = NullableString(r, 8) };
            if (r.IsDBNull(9)) return (b, null);
            objectId = r.GetInt64(9);
            obj = ReadObject(r, b.Id, 9);
        }
        return (b, await WithSegmentsAsync(db, null, objectId, obj, ct));
    }

    public async Task<ObjectRecord?> GetObjectAsync(long bucketId, string key, string? versionId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await GetVersionAsync(db, null, bucketId, key, versionId, ct);
    }

    private static async Task<ObjectRecord?> GetVersionAsync(SqliteConnection db, SqliteTransaction? tx, long bucketId, string key, string? versionId, CancellationToken ct)
    {
        await using var cmd = Command(db, tx,
            $"SELECT {ObjectColumns} FROM objects o WHERE o.bucket_id = @b AND o.key = @key AND {VersionFilter(versionId)}",
            ("@b", bucketId), ("@key", KeyRange.Bytes(key)), ("@v", versionId));
        long objectId;
        ObjectRecord obj;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return null;
            objectId = r.GetInt64(0);
            obj = ReadObject(r, bucketId);
        }
        return await WithSegmentsAsync(db, tx, objectId, obj, ct);
    }

    public async Task<WriteOutcome> PutObjectAsync(ObjectRecord obj, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        try
        {
            var displaced = await ReplaceObjectAsync(db, tx, obj, ct);
            await tx.CommitAsync(ct);
            return new WriteOutcome(displaced);
        }
        catch (SqliteException e) when (IsForeignKeyViolation(e))
        {
            throw S3Errors.NoSuchBucket("");
        }
    }

    /// <summary>Removes the key's "null" version (returning its blobs) and inserts <paramref name="obj"/> as the latest.</summary>
    private static async Task<List<string>> ReplaceObjectAsync(SqliteConnection db, SqliteTransaction tx, ObjectRecord obj, CancellationToken ct)
    {
        var key = KeyRange.Bytes(obj.Key);
        var displaced = new List<string>();
        long? oldId = null;
        await using (var find = Command(db, tx, "SELECT id, blob_id FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v",
                         ("@b", obj.BucketId), ("@key", key), ("@v", obj.VersionId)))
        await using (var r = await find.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct))
            {
                oldId = r.GetInt64(0);
                if (!r.IsDBNull(1)) displaced.Add(r.GetString(1));
            }
        }
        if (oldId is not null)
        {
            displaced.AddRange((await ReadSegmentsAsync(db, tx, oldId.Value, ct)).Select(s => s.BlobId));
            await ExecAsync(db, tx, "DELETE FROM objects WHERE id = @id", ct, ("@id", oldId.Value));
        }
        await ExecAsync(db, tx, "UPDATE objects SET is_latest = 0 WHERE bucket_id = @b AND key = @key AND is_latest = 1", ct,
            ("@b", obj.BucketId), ("@key", key));
        var id = (long)(await ScalarAsync(db, tx,
            "INSERT INTO objects(bucket_id, key, version_id, is_latest, delete_marker, size, etag, last_modified, content_type, headers, " +
            "storage_class, owner_id, blob_id, parts_count, acl, tags, encryption) VALUES " +
            "(@b, @key, @v, 1, @dm, @size, @etag, @lm, @ct, @headers, @sc, @owner, @blob, @parts, @acl, @tags, @enc) RETURNING id",
            ct, ("@b", obj.BucketId), ("@key", key), ("@v", obj.VersionId), ("@dm", obj.IsDeleteMarker ? 1 : 0), ("@size", obj.Size),
            ("@etag", obj.ETag), ("@lm", Millis(obj.LastModified)), ("@ct", obj.ContentType), ("@headers", HeadersJson(obj.Headers)),
            ("@sc", obj.StorageClass), ("@owner", obj.OwnerId), ("@blob", obj.BlobId), ("@parts", obj.PartsCount),
            ("@acl", obj.Acl), ("@tags", obj.Tags), ("@enc", obj.Encryption)))!;
        if (obj.Segments is { } segments)
        {
            await using var insert = Command(db, tx,
                "INSERT INTO object_segments(object_id, seq, blob_id, size, part_number) VALUES (@id, @seq, @blob, @size, @part)",
                ("@id", id), ("@seq", 0), ("@blob", ""), ("@size", 0L), ("@part", 0));
            for (var i = 0; i < segments.Count; i++)
            {
                insert.Parameters["@seq"].Value = i;
                insert.Parameters["@blob"].Value = segments[i].BlobId;
                insert.Parameters["@size"].Value = segments[i].Size;
                insert.Parameters["@part"].Value = segments[i].PartNumber;
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
        return displaced;
    }

    public async Task<DeleteOutcome> DeleteObjectAsync(BucketRecord bucket, string key, ObjectRecord marker, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        if (bucket.VersioningConfigured)
        {
            try
            {
                var displaced = await ReplaceObjectAsync(db, tx, marker with { BucketId = bucket.Id, Key = key, IsDeleteMarker = true }, ct);
                await tx.CommitAsync(ct);
                return new DeleteOutcome(new WriteOutcome(displaced), marker.VersionId, true);
            }
            catch (SqliteException e) when (IsForeignKeyViolation(e))
            {
                throw S3Errors.NoSuchBucket("");
            }
        }
        var existing = await GetVersionAsync(db, tx, bucket.Id, key, "null", ct);
        if (existing is null) return new DeleteOutcome(WriteOutcome.Nothing, null, false);
        await ExecAsync(db, tx, "DELETE FROM objects WHERE bucket_id = @b AND key = @key AND version_id = 'null'", ct,
            ("@b", bucket.Id), ("@key", KeyRange.Bytes(key)));
        await tx.CommitAsync(ct);
        return new DeleteOutcome(new WriteOutcome(existing.BlobIds.ToList()), null, false);
    }

    public async Task<DeleteOutcome?> DeleteObjectVersionAsync(long bucketId, string key, string versionId, CancellationToken ct)
    {
        var keyBytes = KeyRange.Bytes(key);
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        var existing = await GetVersionAsync(db, tx, bucketId, key, versionId, ct);
        if (existing is null) return null;
        await ExecAsync(db, tx, "DELETE FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v", ct,
            ("@b", bucketId), ("@key", keyBytes), ("@v", versionId));
        if (existing.IsLatest)
            await ExecAsync(db, tx,
                "UPDATE objects SET is_latest = 1 WHERE id = (SELECT MAX(id) FROM objects WHERE bucket_id = @b AND key = @key)", ct,
                ("@b", bucketId), ("@key", keyBytes));
        await tx.CommitAsync(ct);
        return new DeleteOutcome(new WriteOutcome(existing.BlobIds.ToList()), existing.VersionId, existing.IsDeleteMarker);
    }

    public async Task<IReadOnlyList<VersionListEntry>> ListObjectVersionsAsync(long bucketId, string prefix, string? keyMarker, string? versionIdMarker,
        bool skipKeyPrefix, int limit, CancellationToken ct)
    {
        var lower = KeyRange.Bytes(prefix);
        var upper = KeyRange.PrefixUpperBound(lower);
        await using var db = await OpenAsync(ct);
        var sql = "SELECT id, key, version_id, is_latest, delete_marker, last_modified, etag, size, storage_class, owner_id, tags FROM objects " +
                  "WHERE bucket_id = @b AND key >= @lo" + (upper is null ? "" : " AND key < @hi");
        await using var cmd = Command(db, null, "", ("@b", bucketId), ("@lo", lower), ("@limit", limit));
        if (upper is not null) cmd.Parameters.AddWithValue("@hi", upper);
        if (keyMarker is not null)
        {
            var km = KeyRange.Bytes(keyMarker);
            if (skipKeyPrefix)
            {
                var past = KeyRange.PrefixUpperBound(km);
                if (past is null) return [];
                sql += " AND key >= @km";
                cmd.Parameters.AddWithValue("@km", past);
            }
            else if (versionIdMarker is null)
            {
                sql += " AND key > @km";
                cmd.Parameters.AddWithValue("@km", km);
            }
            else
            {
                var markerRow = await ScalarAsync(db, null, "SELECT id FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v", ct,
                    ("@b", bucketId), ("@key", km), ("@v", versionIdMarker));
                if (markerRow is null) throw S3Errors.InvalidArgument("Invalid version id specified", "version-id-marker", versionIdMarker);
                sql += " AND (key > @km OR (key = @km AND id < @mid))";
                cmd.Parameters.AddWithValue("@km", km);
                cmd.Parameters.AddWithValue("@mid", (long)markerRow);
            }
        }
        cmd.CommandText = sql + " ORDER BY key, id DESC LIMIT @limit";
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<VersionListEntry>();
        while (await r.ReadAsync(ct))
            list.Add(new VersionListEntry(r.GetInt64(0), KeyRange.Text((byte[])r.GetValue(1)), r.GetString(2), r.GetInt64(3) != 0, r.GetInt64(4) != 0,
                FromMillis(r.GetInt64(5)), r.GetString(6), r.GetInt64(7), r.GetString(8), r.GetString(9), NullableString(r, 10)));
        return list;
    }

    public async Task<IReadOnlyList<ObjectListEntry>> ListObjectsAsync(long bucketId, string prefix, string? after, bool skipAfterPrefix, int limit, CancellationToken ct)
    {
        var lower = KeyRange.Bytes(prefix);
        var upper = KeyRange.PrefixUpperBound(lower);
        var afterBytes = after is null ? null : KeyRange.Bytes(after);
        var afterOp = ">";
        if (afterBytes is not null && skipAfterPrefix)
        {
            afterBytes = KeyRange.PrefixUpperBound(afterBytes);
            if (afterBytes is null) return [];
            afterOp = ">=";
        }
        var sql = "SELECT key, size, etag, last_modified, storage_class, owner_id FROM objects " +
                  "WHERE bucket_id = @b AND is_latest = 1 AND delete_marker = 0 AND key >= @lo" +
                  (upper is null ? "" : " AND key < @hi") +
                  (afterBytes is null ? "" : $" AND key {afterOp} @after") +
                  " ORDER BY key LIMIT @limit";
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, sql, ("@b", bucketId), ("@lo", lower), ("@limit", limit));
        if (upper is not null) cmd.Parameters.AddWithValue("@hi", upper);
        if (afterBytes is not null) cmd.Parameters.AddWithValue("@after", afterBytes);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<ObjectListEntry>(Math.Min(limit, 1024));
        while (await r.ReadAsync(ct))
            list.Add(new ObjectListEntry(KeyRange.Text((byte[])r.GetValue(0)), r.GetInt64(1), r.GetString(2),
                FromMillis(r.GetInt64(3)), r.GetString(4), r.GetString(5)));
        return list;
    }

    // ---------------------------------------------------------------- multipart uploads

    private static UploadRecord ReadUpload(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        UploadId = r.GetString(1),
        BucketId = r.GetInt64(2),
        Key = KeyRange.Text((byte[])r.GetValue(3)),
        Initiated = FromMillis(r.GetInt64(4)),
        OwnerId = r.GetString(5),
        ContentType = r.GetString(6),
        Headers = ParseHeaders(r, 7),
        StorageClass = r.GetString(8),
        Acl = NullableString(r, 9),
        Tags = NullableString(r, 10),
        Encryption = NullableString(r, 11),
    };

    public async Task CreateUploadAsync(UploadRecord u, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        try
        {
            await ExecAsync(db, null,
                "INSERT INTO uploads(upload_id, bucket_id, key, initiated, owner_id, content_type, headers, storage_class, acl, tags, encryption) " +
                "VALUES (@uid, @b, @key, @init, @owner, @ct, @headers, @sc, @acl, @tags, @enc)",
                ct, ("@uid", u.UploadId), ("@b", u.BucketId), ("@key", KeyRange.Bytes(u.Key)), ("@init", Millis(u.Initiated)),
                ("@owner", u.OwnerId), ("@ct", u.ContentType), ("@headers", HeadersJson(u.Headers)), ("@sc", u.StorageClass),
                ("@acl", u.Acl), ("@tags", u.Tags), ("@enc", u.Encryption));
        }
        catch (SqliteException e) when (IsForeignKeyViolation(e))
        {
            throw S3Errors.NoSuchBucket("");
        }
    }

    public async Task<UploadRecord?> GetUploadAsync(long bucketId, string key, string uploadId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, $"SELECT {UploadColumns} FROM uploads WHERE upload_id = @uid AND bucket_id = @b AND key = @key",
            ("@uid", uploadId), ("@b", bucketId), ("@key", KeyRange.Bytes(key)));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadUpload(r) : null;
    }

    public async Task<WriteOutcome> PutPartAsync(long uploadPk, PartRecord part, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        try
        {
            var old = await ScalarAsync(db, tx, "SELECT blob_id FROM parts WHERE upload_id = @u AND part_number = @n", ct,
                ("@u", uploadPk), ("@n", part.PartNumber));
            await ExecAsync(db, tx,
                "INSERT INTO parts(upload_id, part_number, blob_id, size, etag, last_modified) VALUES (@u, @n, @blob, @size, @etag, @lm) " +
                "ON CONFLICT(upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, " +
                "etag = excluded.etag, last_modified = excluded.last_modified",
                ct, ("@u", uploadPk), ("@n", part.PartNumber), ("@blob", part.BlobId), ("@size", part.Size), ("@etag", part.ETag),
                ("@lm", Millis(part.LastModified)));
            await tx.CommitAsync(ct);
            return old is string s ? new WriteOutcome([s]) : WriteOutcome.Nothing;
        }
        catch (SqliteException e) when (IsForeignKeyViolation(e))
        {
            throw S3Errors.NoSuchUpload("");
        }
    }

    public async Task<IReadOnlyList<PartRecord>> ListPartsAsync(long uploadPk, int afterPartNumber, int limit, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ReadPartsAsync(db, null, uploadPk, afterPartNumber, limit, ct);
    }

    private static async Task<List<PartRecord>> ReadPartsAsync(SqliteConnection db, SqliteTransaction? tx, long uploadPk, int after, int limit, CancellationToken ct)
    {
        await using var cmd = Command(db, tx,
            "SELECT part_number, blob_id, size, etag, last_modified FROM parts WHERE upload_id = @u AND part_number > @after ORDER BY part_number LIMIT @limit",
            ("@u", uploadPk), ("@after", after), ("@limit", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var parts = new List<PartRecord>();
        while (await r.ReadAsync(ct))
            parts.Add(new PartRecord((int)r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), FromMillis(r.GetInt64(4))));
        return parts;
    }

    public async Task<(ObjectRecord Object, WriteOutcome Outcome)> CompleteUploadAsync(UploadRecord upload,
        Func<IReadOnlyList<PartRecord>, ObjectRecord> assemble, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        var exists = await ScalarAsync(db, tx, "SELECT 1 FROM uploads WHERE id = @u", ct, ("@u", upload.Id));
        if (exists is null) throw S3Errors.NoSuchUpload(upload.UploadId);
        var parts = await ReadPartsAsync(db, tx, upload.Id, 0, int.MaxValue, ct);
        var obj = assemble(parts);
        List<string> displaced;
        try
        {
            displaced = await ReplaceObjectAsync(db, tx, obj, ct);
        }
        catch (SqliteException e) when (IsForeignKeyViolation(e))
        {
            throw S3Errors.NoSuchBucket("");
        }
        await ExecAsync(db, tx, "DELETE FROM uploads WHERE id = @u", ct, ("@u", upload.Id));
        await tx.CommitAsync(ct);
        var used = obj.BlobIds.ToHashSet();
        displaced.AddRange(parts.Select(p => p.BlobId).Where(b => !used.Contains(b)));
        return (obj, new WriteOutcome(displaced));
    }

    public async Task<WriteOutcome?> AbortUploadAsync(long uploadPk, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        var parts = await ReadPartsAsync(db, tx, uploadPk, 0, int.MaxValue, ct);
        var deleted = await ExecAsync(db, tx, "DELETE FROM uploads WHERE id = @u", ct, ("@u", uploadPk));
        await tx.CommitAsync(ct);
        return deleted == 0 ? null : new WriteOutcome(parts.Select(p => p.BlobId).ToList());
    }

    public async Task<IReadOnlyList<UploadRecord>> ListUploadsAsync(long bucketId, string prefix, string? keyMarker, string? uploadIdMarker,
        int limit, CancellationToken ct)
    {
        var lower = KeyRange.Bytes(prefix);
        var upper = KeyRange.PrefixUpperBound(lower);
        var sql = $"SELECT {UploadColumns} FROM uploads WHERE bucket_id = @b AND key >= @lo" +
                  (upper is null ? "" : " AND key < @hi") +
                  (keyMarker is null ? "" : uploadIdMarker is null ? " AND key > @km" : " AND (key > @km OR (key = @km AND upload_id > @um))") +
                  " ORDER BY key, upload_id LIMIT @limit";
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, sql, ("@b", bucketId), ("@lo", lower), ("@limit", limit));
        if (upper is not null) cmd.Parameters.AddWithValue("@hi", upper);
        if (keyMarker is not null) cmd.Parameters.AddWithValue("@km", KeyRange.Bytes(keyMarker));
        if (keyMarker is not null && uploadIdMarker is not null) cmd.Parameters.AddWithValue("@um", uploadIdMarker);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<UploadRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadUpload(r));
        return list;
    }

    // ---------------------------------------------------------------- background work

    public async Task<IReadOnlyList<BucketRecord>> ListBucketsWithSettingAsync(string name, long afterBucketId, int limit, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null,
            "SELECT b.id, b.name, b.owner_id, b.created, b.location, b.acl, b.versioning FROM buckets b JOIN bucket_settings s ON s.bucket_id = b.id " +
            "WHERE s.name = @name AND b.id > @after ORDER BY b.id LIMIT @limit", ("@name", name), ("@after", afterBucketId), ("@limit", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<BucketRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadBucket(r));
        return list;
    }

    public async Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken ct)
    {
        var now = Millis(DateTimeOffset.UtcNow);
        await using var db = await OpenWriterAsync(ct);
        var changed = await ExecAsync(db, null,
            "INSERT INTO leases(name, holder, expires) VALUES (@name, @holder, @expires) " +
            "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires WHERE leases.holder = excluded.holder OR leases.expires < @now",
            ct, ("@name", name), ("@holder", holder), ("@expires", now + (long)duration.TotalMilliseconds), ("@now", now));
        return changed == 1;
    }

    public async Task<DeleteOutcome?> DeleteVersionIfUnchangedAsync(long bucketId, string key, long rowId, CancellationToken ct)
    {
        var keyBytes = KeyRange.Bytes(key);
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        ObjectRecord? existing;
        await using (var cmd = Command(db, tx, $"SELECT {ObjectColumns} FROM objects o WHERE o.id = @id AND o.bucket_id = @b AND o.key = @key",
                         ("@id", rowId), ("@b", bucketId), ("@key", keyBytes)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            existing = await r.ReadAsync(ct) ? ReadObject(r, bucketId) : null;
        if (existing is null) return null;
        existing = await WithSegmentsAsync(db, tx, rowId, existing, ct);
        await ExecAsync(db, tx, "DELETE FROM objects WHERE id = @id", ct, ("@id", rowId));
        if (existing.IsLatest)
            await ExecAsync(db, tx, "UPDATE objects SET is_latest = 1 WHERE id = (SELECT MAX(id) FROM objects WHERE bucket_id = @b AND key = @key)", ct,
                ("@b", bucketId), ("@key", keyBytes));
        await tx.CommitAsync(ct);
        return new DeleteOutcome(new WriteOutcome(existing.BlobIds.ToList()), existing.VersionId, existing.IsDeleteMarker);
    }

    public async Task<DeleteOutcome?> AddDeleteMarkerIfLatestAsync(long bucketId, string key, long rowId, ObjectRecord marker, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        if (await ScalarAsync(db, tx, "SELECT 1 FROM objects WHERE id = @id AND is_latest = 1 AND delete_marker = 0", ct, ("@id", rowId)) is null) return null;
        var displaced = await ReplaceObjectAsync(db, tx, marker with { BucketId = bucketId, Key = key, IsDeleteMarker = true }, ct);
        await tx.CommitAsync(ct);
        return new DeleteOutcome(new WriteOutcome(displaced), marker.VersionId, true);
    }

    public async Task<bool> SetStorageClassAsync(long rowId, string storageClass, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        return await ExecAsync(db, null, "UPDATE objects SET storage_class = @sc WHERE id = @id AND delete_marker = 0", ct, ("@sc", storageClass), ("@id", rowId)) == 1;
    }

    // ---------------------------------------------------------------- housekeeping

    public async Task<int> DeleteExpiredSessionsAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        return await ExecAsync(db, null, "DELETE FROM sessions WHERE expires < @before", ct, ("@before", Millis(before)));
    }

    public async Task<bool> IsBlobReferencedAsync(string blobId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var hit = await ScalarAsync(db, null,
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM objects WHERE blob_id = @id) OR EXISTS (SELECT 1 FROM object_segments WHERE blob_id = @id) " +
            "OR EXISTS (SELECT 1 FROM parts WHERE blob_id = @id)", ct, ("@id", blobId));
        return hit is not null;
    }

    public void Dispose() => SqliteConnection.ClearAllPools();
}
