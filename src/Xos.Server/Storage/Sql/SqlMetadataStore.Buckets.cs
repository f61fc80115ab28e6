using System.Data.Common;
using System.Text.Json;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Sql;

/// <summary>Buckets and their configuration documents.</summary>
public sealed partial class SqlMetadataStore
{
    private const string BucketColumns = "id, name, owner_id, created, location, acl, versioning";

    private static BucketRecord ReadBucket(DbDataReader r, int o = 0) =>
        new(r.GetInt64(o), r.GetString(o + 1), r.GetString(o + 2), FromMillis(r.GetInt64(o + 3)), r.GetString(o + 4), NullableString(r, o + 5), r.GetString(o + 6));

    /// <summary>
    /// The settings every request's authorization and write path consults, read with the bucket in the same query:
    /// 2 columns after <see cref="BucketColumns"/> (the bucket's settings folded into one JSON object, one index range
    /// instead of a lookup per setting; the account's public access block), read back by <see cref="ReadBucketWithSettings"/>.
    /// </summary>
    private string BucketSettingColumns(string bucket) =>
        // The names are filtered in the aggregate rather than in WHERE: an IN list in WHERE makes SQLite build a temporary
        // index of its values on every execution, which cost a fifth of an anonymous GET's metadata lookup.
        $"(SELECT {_db.JsonObjectAggregate("s.name", "s.value")} FILTER (WHERE s.name IN " +
        $"({string.Join(", ", RecordSettings.Select(n => $"'{n}'"))})) FROM bucket_settings s WHERE s.bucket_id = {bucket}.id), " +
        $"(SELECT a.value FROM account_settings a WHERE a.owner_id = {bucket}.owner_id AND a.name = 'public-access-block')";

    private const int BucketSettingColumnCount = 2;

    /// <summary>The bucket settings read into every <see cref="BucketRecord"/> (and so cached with it).</summary>
    private static readonly string[] RecordSettings = ["encryption", "policy", "object-lock", "lifecycle", "ownership", "public-access-block", "logging", "notification"];

    /// <summary>A write that changes what a <see cref="BucketRecord"/> holds: gateways that cache buckets are told.</summary>
    private Task<T> WriteBucketAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct,
        [System.Runtime.CompilerServices.CallerMemberName] string call = "") =>
        WriteSharedAsync(SharedChange.Buckets, work, ct, call);

    private Task WriteBucketAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken ct,
        [System.Runtime.CompilerServices.CallerMemberName] string call = "") =>
        WriteSharedAsync(SharedChange.Buckets, work, ct, call);

    // Built once: the statements every request runs are looked up by their text, which need not be built per request.
    private string? _bucketByNameSql;
    private string? _bucketAndLatestSql;
    private string? _bucketAndVersionSql;

    private static BucketRecord ReadBucketWithSettings(DbDataReader r)
    {
        var bucket = ReadBucket(r) with { AccountPublicAccessBlock = NullableString(r, 8) };
        // SQLite folds no rows into "{}", PostgreSQL into NULL: most buckets have none of these settings.
        if (r.IsDBNull(7) || r.GetString(7) is not { } text || text == "{}") return bucket;
        var s = ParsedSettings.Get(text);
        return bucket with
        {
            DefaultEncryption = s.Encryption, Policy = s.Policy, ObjectLock = s.ObjectLock, Lifecycle = s.Lifecycle, Ownership = s.Ownership,
            PublicAccessBlock = s.PublicAccessBlock, Logging = s.Logging, Notification = s.Notification,
        };
    }

    private sealed record BucketSettings(string? Encryption, string? Policy, string? ObjectLock, string? Lifecycle, string? Ownership,
        string? PublicAccessBlock, string? Logging, string? Notification);

    /// <summary>
    /// A bucket's settings by the text of their aggregate: read with every request to the bucket where buckets are not
    /// cached (SQLite), they are parsed once, and their texts are then the same strings each time, for the caches of
    /// what they parse to in turn.
    /// </summary>
    private static readonly Caching.ParsedByText<BucketSettings> ParsedSettings = new(static text =>
    {
        string? encryption = null, policy = null, objectLock = null, lifecycle = null, ownership = null, publicAccessBlock = null, logging = null, notification = null;
        using var settings = JsonDocument.Parse(text);
        foreach (var setting in settings.RootElement.EnumerateObject())
        {
            var value = setting.Value.GetString();
            switch (setting.Name)
            {
                case "encryption": encryption = value; break;
                case "policy": policy = value; break;
                case "object-lock": objectLock = value; break;
                case "lifecycle": lifecycle = value; break;
                case "ownership": ownership = value; break;
                case "public-access-block": publicAccessBlock = value; break;
                case "logging": logging = value; break;
                case "notification": notification = value; break;
            }
        }
        return new BucketSettings(encryption, policy, objectLock, lifecycle, ownership, publicAccessBlock, logging, notification);
    });

    public Task SetBucketVersioningAsync(long bucketId, string status, CancellationToken ct) => WriteBucketAsync(async (db, tx) =>
    {
        if (await ExecAsync(db, tx, "UPDATE buckets SET versioning = @v WHERE id = @id", ct, ("@v", status), ("@id", bucketId)) == 0)
            throw S3Errors.NoSuchBucket("");
    }, ct);

    public async Task<BucketRecord?> GetBucketAsync(string name, CancellationToken ct)
    {
        if (_buckets.TryGet(name, out var cached)) return cached;
        var generation = _buckets.Generation;
        await using var db = await OpenAsync(ct);
        var bucket = await GetBucketAsync(db, null, name, ct);
        if (bucket is not null) _buckets.Add(name, bucket, generation);
        return bucket;
    }

    private async Task<BucketRecord?> GetBucketAsync(DbConnection db, DbTransaction? tx, string name, CancellationToken ct)
    {
        await using var cmd = Command(db, tx, _bucketByNameSql ??= $"SELECT {BucketColumns}, {BucketSettingColumns("buckets")} FROM buckets WHERE name = @name", ("@name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? ReadBucketWithSettings(r)
            : null;
    }

    public Task<(BucketRecord Bucket, bool Created)> CreateBucketAsync(string name, string ownerId, string location, string? acl, string? objectLock,
        string? ownership, CancellationToken ct) => WriteAsync<(BucketRecord Bucket, bool Created)>(async (db, tx) =>
    {
        var inserted = await ExecAsync(db, tx,
            "INSERT INTO buckets(name, owner_id, created, location, acl, versioning) VALUES (@name, @owner, @now, @loc, @acl, @versioning) " +
            "ON CONFLICT(name) DO NOTHING",
            ct, ("@name", name), ("@owner", ownerId), ("@now", Millis(DateTimeOffset.UtcNow)), ("@loc", location), ("@acl", acl),
            ("@versioning", objectLock is null ? "" : "Enabled"));
        if (inserted == 1 && objectLock is not null)
            await ExecAsync(db, tx, "INSERT INTO bucket_settings(bucket_id, name, value) SELECT id, 'object-lock', @value FROM buckets WHERE name = @name", ct,
                ("@value", objectLock), ("@name", name));
        if (inserted == 1 && ownership is not null)
            await ExecAsync(db, tx, "INSERT INTO bucket_settings(bucket_id, name, value) SELECT id, 'ownership', @value FROM buckets WHERE name = @name", ct,
                ("@value", ownership), ("@name", name));
        var bucket = await GetBucketAsync(db, tx, name, ct) ?? throw new InvalidOperationException("bucket vanished inside its transaction");
        return (bucket, inserted == 1);
    }, ct);

    public Task<WriteOutcome?> DeleteBucketIfEmptyAsync(long bucketId, CancellationToken ct) => WriteBucketAsync<WriteOutcome?>(async (db, tx) =>
    {
        if (await ScalarAsync(db, tx, "SELECT 1 FROM objects WHERE bucket_id = @id LIMIT 1", ct, ("@id", bucketId)) is not null) return null;
        var blobs = new List<string>();
        await using (var cmd = Command(db, tx, "SELECT p.blob_id FROM parts p JOIN uploads u ON u.id = p.upload_id WHERE u.bucket_id = @id", ("@id", bucketId)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) blobs.Add(r.GetString(0));
        await ExecAsync(db, tx, "DELETE FROM uploads WHERE bucket_id = @id", ct, ("@id", bucketId));
        try
        {
            if (await ExecAsync(db, tx, "DELETE FROM buckets WHERE id = @id", ct, ("@id", bucketId)) != 1) return null;
        }
        catch (DbException e) when (_db.IsForeignKeyViolation(e))
        {
            return null;
        }
        return new WriteOutcome(blobs);
    }, ct);

    public async Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string ownerId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, $"SELECT {BucketColumns} FROM buckets WHERE owner_id = @owner ORDER BY name", ("@owner", ownerId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<BucketRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadBucket(r));
        return list;
    }

    public Task SetBucketAclAsync(long bucketId, string? acl, CancellationToken ct) => WriteBucketAsync(async (db, tx) =>
    {
        if (await ExecAsync(db, tx, "UPDATE buckets SET acl = @acl WHERE id = @id", ct, ("@acl", acl), ("@id", bucketId)) == 0)
            throw S3Errors.NoSuchBucket("");
    }, ct);

    public async Task<string?> GetBucketSettingAsync(long bucketId, string name, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ScalarAsync(db, null, "SELECT value FROM bucket_settings WHERE bucket_id = @b AND name = @name", ct,
            ("@b", bucketId), ("@name", name)) as string;
    }

    public async Task<IReadOnlyList<(string Name, string Value)>> ListBucketSettingsAsync(long bucketId, string prefix, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT name, value FROM bucket_settings WHERE bucket_id = @b AND substr(name, 1, @n) = @prefix ORDER BY name",
            ("@b", bucketId), ("@n", prefix.Length), ("@prefix", prefix));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<(string, string)>();
        while (await r.ReadAsync(ct)) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    public Task<bool> SetBucketSettingAsync(long bucketId, string name, string? value, CancellationToken ct) =>
        RecordSettings.Contains(name)
            ? WriteBucketAsync((db, tx) => WriteBucketSettingAsync(db, tx, bucketId, name, value, ct), ct)
            : WriteAsync((db, tx) => WriteBucketSettingAsync(db, tx, bucketId, name, value, ct), ct);

    private async Task<bool> WriteBucketSettingAsync(DbConnection db, DbTransaction tx, long bucketId, string name, string? value, CancellationToken ct)
    {
        if (value is null)
            return await ExecAsync(db, tx, "DELETE FROM bucket_settings WHERE bucket_id = @b AND name = @name", ct, ("@b", bucketId), ("@name", name)) == 1;
        try
        {
            await ExecAsync(db, tx,
                "INSERT INTO bucket_settings(bucket_id, name, value) VALUES (@b, @name, @value) ON CONFLICT(bucket_id, name) DO UPDATE SET value = excluded.value",
                ct, ("@b", bucketId), ("@name", name), ("@value", value));
        }
        catch (DbException e) when (_db.IsForeignKeyViolation(e))
        {
            throw BucketGone();
        }
        return true;
    }

    public async Task<string?> GetAccountSettingAsync(string ownerId, string name, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ScalarAsync(db, null, "SELECT value FROM account_settings WHERE owner_id = @o AND name = @name", ct,
            ("@o", ownerId), ("@name", name)) as string;
    }

    public Task<bool> SetAccountSettingAsync(string ownerId, string name, string? value, CancellationToken ct) => WriteBucketAsync<bool>(async (db, tx) =>
    {
        if (value is null)
            return await ExecAsync(db, tx, "DELETE FROM account_settings WHERE owner_id = @o AND name = @name", ct, ("@o", ownerId), ("@name", name)) == 1;
        await ExecAsync(db, tx,
            "INSERT INTO account_settings(owner_id, name, value) VALUES (@o, @name, @value) ON CONFLICT(owner_id, name) DO UPDATE SET value = excluded.value",
            ct, ("@o", ownerId), ("@name", name), ("@value", value));
        return true;
    }, ct);

    public Task<bool> SetObjectAclAsync(long bucketId, string key, string? versionId, string? acl, CancellationToken ct,
        Notifications.EventOrigin? events = null) =>
        SetObjectColumnAsync("acl", bucketId, key, versionId, acl, events, ct);

    public Task<bool> SetObjectTagsAsync(long bucketId, string key, string? versionId, string? tags, CancellationToken ct,
        Notifications.EventOrigin? events = null) =>
        SetObjectColumnAsync("tags", bucketId, key, versionId, tags, events, ct);

    private Task<bool> SetObjectColumnAsync(string column, long bucketId, string key, string? versionId, string? value,
        Notifications.EventOrigin? origin, CancellationToken ct) =>
        WriteObjectAsync<bool>(key, origin, async (db, tx) =>
    {
        string? changedVersion = null, etag = null;
        long size = 0;
        await using (var cmd = Command(db, tx,
            $"UPDATE objects SET {column} = @value WHERE bucket_id = @b AND key = @key AND {(versionId is null ? "is_latest = 1" : "version_id = @v")} AND delete_marker = 0 " +
            "RETURNING version_id, etag, size",
            ("@value", value), ("@b", bucketId), ("@key", KeyRange.Bytes(key)), ("@v", versionId)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return false;
            (changedVersion, etag, size) = (r.GetString(0), r.GetString(1), r.GetInt64(2));
        }
        if (origin is not null)
            await AddEventsAsync(db, tx, origin.Render(origin.Action, key, size, etag, changedVersion, DateTimeOffset.UtcNow), ct);
        return true;
    }, ct);
}
