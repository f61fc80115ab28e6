using System.Data.Common;
using Xos.Server.Notifications;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Sql;

/// <summary>Object versions: reads, writes, deletes and listings.</summary>
public sealed partial class SqlMetadataStore
{
    private static ObjectRecord ReadObject(DbDataReader r, long bucketId, int o = 0) => new()
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
        Checksum = r.IsDBNull(o + 17) ? null : new ObjectChecksum(r.GetString(o + 17), r.GetString(o + 18), r.GetString(o + 19)),
        UploadId = NullableString(r, o + 20),
        Retention = r.IsDBNull(o + 21) ? null : new ObjectRetention(r.GetString(o + 21), FromMillis(r.GetInt64(o + 22))),
        LegalHold = r.GetInt64(o + 23) != 0,
        InlineData = r.IsDBNull(o + 24) ? null : (byte[])r.GetValue(o + 24),
    };

    private static async Task<ObjectRecord> WithSegmentsAsync(DbConnection db, DbTransaction? tx, long objectId, ObjectRecord obj, CancellationToken ct)
    {
        if (obj.BlobId is not null || obj.InlineData is not null || obj.IsDeleteMarker) return obj;
        return obj with { Segments = await ReadSegmentsAsync(db, tx, objectId, ct) };
    }

    private static async Task<List<Segment>> ReadSegmentsAsync(DbConnection db, DbTransaction? tx, long objectId, CancellationToken ct)
    {
        await using var cmd = Command(db, tx, "SELECT blob_id, size, part_number, checksum FROM object_segments WHERE object_id = @id ORDER BY seq", ("@id", objectId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var segments = new List<Segment>();
        while (await r.ReadAsync(ct)) segments.Add(new Segment(r.GetString(0), r.GetInt64(1), (int)r.GetInt64(2), NullableString(r, 3)));
        return segments;
    }

    /// <summary>Selects the latest version, or the one named by @v.</summary>
    private static string VersionFilter(string? versionId) => versionId is null ? "o.is_latest = 1" : "o.version_id = @v";

    private string BucketAndObjectSql(string? versionId) =>
        $"SELECT b.id, b.name, b.owner_id, b.created, b.location, b.acl, b.versioning, {BucketSettingColumns("b")}, {ObjectColumns} FROM buckets b " +
        $"LEFT JOIN objects o ON o.bucket_id = b.id AND o.key = @key AND {VersionFilter(versionId)} WHERE b.name = @name";

    public async Task<(BucketRecord? Bucket, ObjectRecord? Object)> GetBucketAndObjectAsync(string bucket, string key, string? versionId, CancellationToken ct)
    {
        var rows = ObjectRows();
        if (rows is not null && rows.TryGetRow(bucket, key, versionId, out var cachedBucket, out var cachedObject)) return (cachedBucket, cachedObject);
        var stamp = rows?.Begin(key) ?? default;
        await using var db = await OpenAsync(ct);
        // A cached bucket leaves the object's own row to read: the lighter query, and on a shared database the only one.
        // Finding no version, the bucket itself is read again: another gateway may have just deleted it, and a missing
        // bucket must say NoSuchBucket, not NoSuchKey.
        if (_buckets.TryGet(bucket, out var cached) && await GetVersionAsync(db, null, cached.Id, key, versionId, ct) is { } found) return (cached, found);
        var generation = _buckets.Generation;
        var sql = versionId is null ? _bucketAndLatestSql ??= BucketAndObjectSql(null) : _bucketAndVersionSql ??= BucketAndObjectSql(versionId);
        await using var cmd = Command(db, null, sql, ("@name", bucket), ("@key", KeyRange.Bytes(key)), ("@v", versionId));
        long objectId;
        BucketRecord b;
        ObjectRecord obj;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                if (cached is not null) _buckets.Clear();
                return (null, null);
            }
            b = ReadBucketWithSettings(r);
            _buckets.Add(bucket, b, generation);
            const int objectAt = 7 + BucketSettingColumnCount;
            if (r.IsDBNull(objectAt)) return (b, null);
            objectId = r.GetInt64(objectAt);
            obj = ReadObject(r, b.Id, objectAt);
        }
        obj = await WithSegmentsAsync(db, null, objectId, obj, ct);
        rows?.AddRow(bucket, key, versionId, b, obj, stamp);
        return (b, obj);
    }

    public async Task<ObjectRecord?> GetObjectAsync(long bucketId, string key, string? versionId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await GetVersionAsync(db, null, bucketId, key, versionId, ct);
    }

    private static async Task<ObjectRecord?> GetVersionAsync(DbConnection db, DbTransaction? tx, long bucketId, string key, string? versionId, CancellationToken ct)
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

    public Task<WriteOutcome> PutObjectAsync(ObjectRecord obj, WriteCondition? condition, CancellationToken ct, EventOrigin? events = null)
    {
        // The version is known before the transaction: its events are rendered here, not in the writer's turn (on
        // SQLite one writer runs every write in turn, so work done inside a write delays the others).
        var rendered = events is null ? null : Events(events, events.Action, obj.Key, obj, null);
        return WriteObjectAsync<WriteOutcome>(obj.Key, events, async (db, tx) =>
    {
        try
        {
            return new WriteOutcome(await ReplaceObjectAsync(db, tx, obj, condition, lockKey: true, ct, rendered));
        }
        catch (DbException e) when (_db.IsForeignKeyViolation(e))
        {
            throw BucketGone();
        }
    }, ct);
    }

    public Task<ObjectRecord?> UpdateObjectLockAsync(long bucketId, string key, string? versionId, Func<ObjectRecord, ObjectRecord> change, CancellationToken ct) => WriteObjectAsync<ObjectRecord?>(key, null, async (db, tx) =>
    {
        await LockKeyAsync(db, tx, bucketId, key, ct);
        var existing = await GetVersionAsync(db, tx, bucketId, key, versionId, ct);
        if (existing is null || existing.IsDeleteMarker) return existing;
        var changed = change(existing);
        await ExecAsync(db, tx, "UPDATE objects SET lock_mode = @mode, lock_until = @until, legal_hold = @hold " +
                                "WHERE bucket_id = @b AND key = @key AND version_id = @v", ct,
            ("@mode", changed.Retention?.Mode), ("@until", changed.Retention is { } r ? Millis(r.RetainUntil) : null), ("@hold", changed.LegalHold ? 1 : 0),
            ("@b", bucketId), ("@key", KeyRange.Bytes(key)), ("@v", existing.VersionId));
        return changed;
    }, ct);

    /// <summary>The etag a conditional write is checked against: the key's current version's, none for a delete marker.</summary>
    private const string ConditionEtagSql = "SELECT etag FROM objects WHERE bucket_id = @b AND key = @key AND is_latest = 1 AND delete_marker = 0";

    private const string InsertObjectSql =
        "INSERT INTO objects(bucket_id, key, version_id, is_latest, delete_marker, size, etag, last_modified, content_type, headers, " +
        "storage_class, owner_id, blob_id, parts_count, acl, tags, encryption, seq, checksum_algorithm, checksum_type, checksum, upload_id, " +
        "lock_mode, lock_until, legal_hold, inline_data) VALUES (@b, @key, @v, 1, @dm, @size, @etag, @lm, @ct, @headers, @sc, @owner, @blob, @parts, @acl, " +
        "@tags, @enc, @seq, @ca, @cty, @cv, @upload, @lmode, @luntil, @hold, @inline) RETURNING id";

    private const string InsertSegmentSql =
        "INSERT INTO object_segments(object_id, seq, blob_id, size, part_number, checksum) " +
        "SELECT id, @seq, @blob, @size, @part, @sum FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v RETURNING seq";

    /// <summary>
    /// Makes <paramref name="obj"/> the key's latest version, replacing the version of the same id (the "null" one of an
    /// unversioned bucket) and returning the blobs that version held. With <paramref name="lockKey"/> it first takes
    /// the key's write lock; a <paramref name="condition"/> is checked against the version current under that lock.
    /// All of it is one <see cref="SqlBatch"/>: on PostgreSQL a PUT's metadata is one round trip and its COMMIT.
    /// </summary>
    /// <remarks><paramref name="events"/>, the events the change causes, go into the outbox in the same batch.</remarks>
    private async Task<List<string>> ReplaceObjectAsync(DbConnection db, DbTransaction tx, ObjectRecord obj, WriteCondition? condition,
        bool lockKey, CancellationToken ct, IReadOnlyList<OutboxEvent>? events = null)
    {
        var key = KeyRange.Bytes(obj.Key);
        (string, object?) b = ("@b", obj.BucketId), k = ("@key", key), v = ("@v", obj.VersionId);
        var batch = new SqlBatch();
        if (lockKey && _db.LockStatement("object", obj.BucketId, key) is { } lockStatement) batch.Add(lockStatement.Sql, lockStatement.Args);
        var conditionAt = condition is null ? -1 : batch.Add(ConditionEtagSql, b, k);
        var oldSegmentsAt = batch.Add("SELECT s.blob_id FROM object_segments s JOIN objects o ON o.id = s.object_id " +
                                      "WHERE o.bucket_id = @b AND o.key = @key AND o.version_id = @v", b, k, v);
        var oldAt = batch.Add("DELETE FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v RETURNING blob_id", b, k, v);
        batch.Add("UPDATE objects SET is_latest = 0 WHERE bucket_id = @b AND key = @key AND is_latest = 1 RETURNING id", b, k);
        batch.Add(InsertObjectSql,
            b, k, v, ("@dm", obj.IsDeleteMarker ? 1 : 0), ("@size", obj.Size),
            ("@etag", obj.ETag), ("@lm", Millis(obj.LastModified)), ("@ct", obj.ContentType), ("@headers", HeadersJson(obj.Headers)),
            ("@sc", obj.StorageClass), ("@owner", obj.OwnerId), ("@blob", obj.BlobId), ("@parts", obj.PartsCount),
            ("@acl", obj.Acl), ("@tags", obj.Tags), ("@enc", obj.Encryption), ("@seq", VersionIds.SequenceFor(obj.VersionId)),
            ("@ca", obj.Checksum?.Algorithm), ("@cty", obj.Checksum?.Type), ("@cv", obj.Checksum?.Value), ("@upload", obj.UploadId),
            ("@lmode", obj.Retention?.Mode), ("@luntil", obj.Retention is { } retention ? Millis(retention.RetainUntil) : null),
            ("@hold", obj.LegalHold ? 1 : 0), ("@inline", obj.InlineData));
        if (obj.Segments is { } segments)
            for (var i = 0; i < segments.Count; i++)
                batch.Add(InsertSegmentSql, ("@seq", i), ("@blob", segments[i].BlobId), ("@size", segments[i].Size),
                    ("@part", segments[i].PartNumber), ("@sum", segments[i].Checksum), b, k, v);
        AddEvents(batch, events);
        var displaced = new List<string>();
        await batch.RunAsync(_db, db, tx, async (i, r) =>
        {
            if (i == conditionAt) condition!.Check(obj.Key, await r.ReadAsync(ct) ? r.GetString(0) : null);
            else if (i == oldSegmentsAt || i == oldAt)
                while (await r.ReadAsync(ct))
                    if (!r.IsDBNull(0)) displaced.Add(r.GetString(0));
        }, ct);
        return displaced;
    }

    public Task<DeleteOutcome> DeleteObjectAsync(BucketRecord bucket, string key, ObjectRecord marker, CancellationToken ct, EventOrigin? events = null) =>
        WriteObjectAsync<DeleteOutcome>(key, events, async (db, tx) =>
    {
        if (bucket.VersioningConfigured)
        {
            try
            {
                var record = marker with { BucketId = bucket.Id, Key = key, IsDeleteMarker = true };
                var displaced = await ReplaceObjectAsync(db, tx, record, null, lockKey: true, ct,
                    events is null ? null : Events(events, EventTypes.Removal(events.Action, marker: true), key, record, null));
                return new DeleteOutcome(new WriteOutcome(displaced), marker.VersionId, true);
            }
            catch (DbException e) when (_db.IsForeignKeyViolation(e))
            {
                throw BucketGone();
            }
        }
        await LockKeyAsync(db, tx, bucket.Id, key, ct);
        var existing = await GetVersionAsync(db, tx, bucket.Id, key, "null", ct);
        if (existing is null) return new DeleteOutcome(WriteOutcome.Nothing, null, false);
        await ExecAsync(db, tx, "DELETE FROM objects WHERE bucket_id = @b AND key = @key AND version_id = 'null'", ct,
            ("@b", bucket.Id), ("@key", KeyRange.Bytes(key)));
        if (events is not null) await AddEventsAsync(db, tx, Events(events, EventTypes.Removal(events.Action, marker: false), key, null, null), ct);
        return new DeleteOutcome(new WriteOutcome(existing.BlobIds.ToList()), null, false);
    }, ct);

    public Task<DeleteOutcome?> DeleteObjectVersionAsync(long bucketId, string key, string versionId, Action<ObjectRecord>? guard, CancellationToken ct,
        EventOrigin? events = null) => WriteObjectAsync<DeleteOutcome?>(key, events, async (db, tx) =>
    {
        var keyBytes = KeyRange.Bytes(key);
        await LockKeyAsync(db, tx, bucketId, key, ct);
        var existing = await GetVersionAsync(db, tx, bucketId, key, versionId, ct);
        if (existing is null) return null;
        guard?.Invoke(existing);
        await ExecAsync(db, tx, "DELETE FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v", ct,
            ("@b", bucketId), ("@key", keyBytes), ("@v", versionId));
        if (existing.IsLatest)
            await ExecAsync(db, tx,
                PromoteNewestSql, ct,
                ("@b", bucketId), ("@key", keyBytes));
        if (events is not null) await AddEventsAsync(db, tx, Events(events, EventTypes.Removal(events.Action, marker: false), key, null, existing.VersionId), ct);
        return new DeleteOutcome(new WriteOutcome(existing.BlobIds.ToList()), existing.VersionId, existing.IsDeleteMarker);
    }, ct);

    public async Task<IReadOnlyList<VersionListEntry>> ListObjectVersionsAsync(long bucketId, string prefix, string? keyMarker, string? versionIdMarker,
        bool skipKeyPrefix, int limit, CancellationToken ct)
    {
        var lower = KeyRange.Bytes(prefix);
        var upper = KeyRange.PrefixUpperBound(lower);
        await using var db = await OpenAsync(ct);
        var sql = "SELECT id, key, version_id, is_latest, delete_marker, last_modified, etag, size, storage_class, owner_id, tags FROM objects " +
                  "WHERE bucket_id = @b AND key >= @lo" + (upper is null ? "" : " AND key < @hi");
        var args = new List<(string, object?)> { ("@b", bucketId), ("@lo", lower), ("@limit", limit) };
        if (upper is not null) args.Add(("@hi", upper));
        if (keyMarker is not null)
        {
            var km = KeyRange.Bytes(keyMarker);
            if (skipKeyPrefix)
            {
                var past = KeyRange.PrefixUpperBound(km);
                if (past is null) return [];
                sql += " AND key >= @km";
                args.Add(("@km", past));
            }
            else if (versionIdMarker is null)
            {
                sql += " AND key > @km";
                args.Add(("@km", km));
            }
            else
            {
                // The marker's version may have been deleted since the page that named it (clients page while they delete):
                // its id still tells its place. Ids that carry no sequence number continue from the start of the key.
                var markerSeq = await ScalarAsync(db, null, "SELECT seq FROM objects WHERE bucket_id = @b AND key = @key AND version_id = @v", ct,
                    ("@b", bucketId), ("@key", km), ("@v", versionIdMarker)) as long? ?? VersionIds.SequenceOf(versionIdMarker);
                sql += markerSeq is null ? " AND key >= @km" : " AND (key > @km OR (key = @km AND seq < @mseq))";
                args.Add(("@km", km));
                if (markerSeq is not null) args.Add(("@mseq", markerSeq.Value));
            }
        }
        var list = new List<VersionListEntry>();
        await using (var cmd = Command(db, null, sql + " ORDER BY key, seq DESC LIMIT @limit", [.. args]))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                list.Add(new VersionListEntry(r.GetInt64(0), KeyRange.Text((byte[])r.GetValue(1)), r.GetString(2), r.GetInt64(3) != 0, r.GetInt64(4) != 0,
                    FromMillis(r.GetInt64(5)), r.GetString(6), r.GetInt64(7), r.GetString(8), r.GetString(9), NullableString(r, 10)));
        if (list.Count == 0) await EnsureBucketStillExistsAsync(db, bucketId, ct);
        return list;
    }

    /// <summary>
    /// An empty listing of a bucket found in the cache may be of a bucket another gateway has just deleted: that one is
    /// answered NoSuchBucket, as a gateway that read the bucket itself would answer.
    /// </summary>
    private async Task EnsureBucketStillExistsAsync(DbConnection db, long bucketId, CancellationToken ct)
    {
        if (!_buckets.InUse) return;
        if (await ScalarAsync(db, null, "SELECT 1 FROM buckets WHERE id = @b", ct, ("@b", bucketId)) is null) throw BucketGone();
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
        var list = new List<ObjectListEntry>(Math.Min(limit, 1024));
        await using (var cmd = Command(db, null, sql, ("@b", bucketId), ("@lo", lower), ("@limit", limit)))
        {
            if (upper is not null) AddParameter(cmd, "@hi", upper);
            if (afterBytes is not null) AddParameter(cmd, "@after", afterBytes);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                list.Add(new ObjectListEntry(KeyRange.Text((byte[])r.GetValue(0)), r.GetInt64(1), r.GetString(2),
                    FromMillis(r.GetInt64(3)), r.GetString(4), r.GetString(5)));
        }
        if (list.Count == 0) await EnsureBucketStillExistsAsync(db, bucketId, ct);
        return list;
    }
}
