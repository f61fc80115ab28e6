using System.Data.Common;

namespace Xos.Server.Storage.Sql;

/// <summary>Lifecycle leases and conditional changes, housekeeping.</summary>
public sealed partial class SqlMetadataStore
{
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

    public Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken ct) => WriteAsync<bool>(async (db, tx) =>
    {
        var now = Millis(DateTimeOffset.UtcNow);
        var changed = await ExecAsync(db, tx,
            "INSERT INTO leases(name, holder, expires) VALUES (@name, @holder, @expires) " +
            "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires WHERE leases.holder = excluded.holder OR leases.expires < @now",
            ct, ("@name", name), ("@holder", holder), ("@expires", now + (long)duration.TotalMilliseconds), ("@now", now));
        return changed == 1;
    }, ct);

    public Task<DeleteOutcome?> DeleteVersionIfUnchangedAsync(long bucketId, string key, long rowId, Func<ObjectRecord, bool>? mayDelete, CancellationToken ct,
        Notifications.EventOrigin? events = null) => WriteObjectAsync<DeleteOutcome?>(key, events, async (db, tx) =>
    {
        var keyBytes = KeyRange.Bytes(key);
        await LockKeyAsync(db, tx, bucketId, key, ct);
        ObjectRecord? existing;
        await using (var cmd = Command(db, tx, $"SELECT {ObjectColumns} FROM objects o WHERE o.id = @id AND o.bucket_id = @b AND o.key = @key",
                         ("@id", rowId), ("@b", bucketId), ("@key", keyBytes)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            existing = await r.ReadAsync(ct) ? ReadObject(r, bucketId) : null;
        if (existing is null) return null;
        if (mayDelete is not null && !mayDelete(existing)) return null;
        existing = await WithSegmentsAsync(db, tx, rowId, existing, ct);
        await ExecAsync(db, tx, "DELETE FROM objects WHERE id = @id", ct, ("@id", rowId));
        if (existing.IsLatest)
            await ExecAsync(db, tx, PromoteNewestSql, ct,
                ("@b", bucketId), ("@key", keyBytes));
        if (events is not null)
            await AddEventsAsync(db, tx, Events(events, Notifications.EventTypes.Removal(events.Action, marker: false), key, null, existing.VersionId), ct);
        return new DeleteOutcome(new WriteOutcome(existing.BlobIds.ToList()), existing.VersionId, existing.IsDeleteMarker);
    }, ct);

    public Task<DeleteOutcome?> AddDeleteMarkerIfLatestAsync(long bucketId, string key, long rowId, ObjectRecord marker, CancellationToken ct,
        Notifications.EventOrigin? events = null) => WriteObjectAsync<DeleteOutcome?>(key, events, async (db, tx) =>
    {
        await LockKeyAsync(db, tx, bucketId, key, ct);
        if (await ScalarAsync(db, tx, "SELECT 1 FROM objects WHERE id = @id AND is_latest = 1 AND delete_marker = 0", ct, ("@id", rowId)) is null) return null;
        var record = marker with { BucketId = bucketId, Key = key, IsDeleteMarker = true };
        var displaced = await ReplaceObjectAsync(db, tx, record, null, lockKey: false, ct,
            Events(events, Notifications.EventTypes.Removal(events?.Action ?? "", marker: true), key, record, null));
        return new DeleteOutcome(new WriteOutcome(displaced), marker.VersionId, true);
    }, ct);

    public async Task<bool> SetStorageClassAsync(long rowId, string storageClass, CancellationToken ct)
    {
        try
        {
            return await WriteAsync<bool>(async (db, tx) =>
                await ExecAsync(db, tx, "UPDATE objects SET storage_class = @sc WHERE id = @id AND delete_marker = 0", ct, ("@sc", storageClass), ("@id", rowId)) == 1, ct);
        }
        finally
        {
            // Only the row's id is known here: every cached row goes (transitions are rare, and run in batches).
            _objectRows?.Clear();
        }
    }

    // ---------------------------------------------------------------- housekeeping

    public Task<int> DeleteExpiredSessionsAsync(DateTimeOffset before, CancellationToken ct) => WriteAsync<int>(async (db, tx) =>
    {
        return await ExecAsync(db, tx, "DELETE FROM sessions WHERE expires < @before", ct, ("@before", Millis(before)));
    }, ct);

    public async Task<bool> IsBlobReferencedAsync(string blobId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var hit = await ScalarAsync(db, null,
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM objects WHERE blob_id = @id) OR EXISTS (SELECT 1 FROM object_segments WHERE blob_id = @id) " +
            "OR EXISTS (SELECT 1 FROM parts WHERE blob_id = @id)", ct, ("@id", blobId));
        return hit is not null;
    }
}
