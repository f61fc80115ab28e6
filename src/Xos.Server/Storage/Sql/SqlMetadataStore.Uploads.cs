using System.Data.Common;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Sql;

/// <summary>Multipart uploads and their parts.</summary>
public sealed partial class SqlMetadataStore
{
    private static UploadRecord ReadUpload(DbDataReader r) => new()
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
        ChecksumAlgorithm = NullableString(r, 12),
        ChecksumType = NullableString(r, 13),
        Retention = r.IsDBNull(14) ? null : new ObjectRetention(r.GetString(14), FromMillis(r.GetInt64(15))),
        LegalHold = r.GetInt64(16) != 0,
    };

    public Task CreateUploadAsync(UploadRecord u, CancellationToken ct) => WriteAsync(async (db, tx) =>
    {
        try
        {
            await ExecAsync(db, tx,
                "INSERT INTO uploads(upload_id, bucket_id, key, initiated, owner_id, content_type, headers, storage_class, acl, tags, encryption, " +
                "checksum_algorithm, checksum_type, lock_mode, lock_until, legal_hold) " +
                "VALUES (@uid, @b, @key, @init, @owner, @ct, @headers, @sc, @acl, @tags, @enc, @ca, @cty, @lmode, @luntil, @hold)",
                ct, ("@uid", u.UploadId), ("@b", u.BucketId), ("@key", KeyRange.Bytes(u.Key)), ("@init", Millis(u.Initiated)),
                ("@owner", u.OwnerId), ("@ct", u.ContentType), ("@headers", HeadersJson(u.Headers)), ("@sc", u.StorageClass),
                ("@acl", u.Acl), ("@tags", u.Tags), ("@enc", u.Encryption), ("@ca", u.ChecksumAlgorithm), ("@cty", u.ChecksumType),
                ("@lmode", u.Retention?.Mode), ("@luntil", u.Retention is { } r ? Millis(r.RetainUntil) : null), ("@hold", u.LegalHold ? 1 : 0));
        }
        catch (DbException e) when (_db.IsForeignKeyViolation(e))
        {
            throw BucketGone();
        }
    }, ct);

    public async Task<UploadRecord?> GetUploadAsync(long bucketId, string key, string uploadId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, $"SELECT {UploadColumns} FROM uploads WHERE upload_id = @uid AND bucket_id = @b AND key = @key",
            ("@uid", uploadId), ("@b", bucketId), ("@key", KeyRange.Bytes(key)));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadUpload(r) : null;
    }

    public Task<WriteOutcome> PutPartAsync(long uploadPk, PartRecord part, CancellationToken ct) => WriteAsync<WriteOutcome>(async (db, tx) =>
    {
        await LockUploadAsync(db, tx, uploadPk, ct);
        try
        {
            var old = await ScalarAsync(db, tx, "SELECT blob_id FROM parts WHERE upload_id = @u AND part_number = @n", ct,
                ("@u", uploadPk), ("@n", part.PartNumber));
            await ExecAsync(db, tx,
                "INSERT INTO parts(upload_id, part_number, blob_id, size, etag, last_modified, checksum) VALUES (@u, @n, @blob, @size, @etag, @lm, @sum) " +
                "ON CONFLICT(upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, " +
                "etag = excluded.etag, last_modified = excluded.last_modified, checksum = excluded.checksum",
                ct, ("@u", uploadPk), ("@n", part.PartNumber), ("@blob", part.BlobId), ("@size", part.Size), ("@etag", part.ETag),
                ("@lm", Millis(part.LastModified)), ("@sum", part.Checksum));
            return old is string s ? new WriteOutcome([s]) : WriteOutcome.Nothing;
        }
        catch (DbException e) when (_db.IsForeignKeyViolation(e))
        {
            throw S3Errors.NoSuchUpload("");
        }
    }, ct);

    public async Task<IReadOnlyList<PartRecord>> ListPartsAsync(long uploadPk, int afterPartNumber, int limit, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ReadPartsAsync(db, null, uploadPk, afterPartNumber, limit, ct);
    }

    private static async Task<List<PartRecord>> ReadPartsAsync(DbConnection db, DbTransaction? tx, long uploadPk, int after, int limit, CancellationToken ct)
    {
        await using var cmd = Command(db, tx,
            "SELECT part_number, blob_id, size, etag, last_modified, checksum FROM parts WHERE upload_id = @u AND part_number > @after ORDER BY part_number LIMIT @limit",
            ("@u", uploadPk), ("@after", after), ("@limit", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var parts = new List<PartRecord>();
        while (await r.ReadAsync(ct))
            parts.Add(new PartRecord((int)r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), FromMillis(r.GetInt64(4)), NullableString(r, 5)));
        return parts;
    }

    public Task<(ObjectRecord Object, WriteOutcome Outcome)> CompleteUploadAsync(UploadRecord upload,
        Func<IReadOnlyList<PartRecord>, ObjectRecord> assemble, WriteCondition? condition, CancellationToken ct, Notifications.EventOrigin? events = null) =>
        WriteObjectAsync<(ObjectRecord Object, WriteOutcome Outcome)>(upload.Key, events, async (db, tx) =>
    {
        await LockUploadAsync(db, tx, upload.Id, ct);
        await LockKeyAsync(db, tx, upload.BucketId, upload.Key, ct);
        var exists = await ScalarAsync(db, tx, "SELECT 1 FROM uploads WHERE id = @u", ct, ("@u", upload.Id));
        if (exists is null) throw S3Errors.NoSuchUpload(upload.UploadId);
        var parts = await ReadPartsAsync(db, tx, upload.Id, 0, int.MaxValue, ct);
        var obj = assemble(parts) with { UploadId = upload.UploadId };
        List<string> displaced;
        try
        {
            displaced = await ReplaceObjectAsync(db, tx, obj, condition, lockKey: false, ct, Events(events, events?.Action ?? "", obj.Key, obj, null));
        }
        catch (DbException e) when (_db.IsForeignKeyViolation(e))
        {
            throw BucketGone();
        }
        await ExecAsync(db, tx, "DELETE FROM uploads WHERE id = @u", ct, ("@u", upload.Id));
        var used = obj.BlobIds.ToHashSet();
        displaced.AddRange(parts.Select(p => p.BlobId).Where(b => !used.Contains(b)));
        return (obj, new WriteOutcome(displaced));
    }, ct);

    public async Task<ObjectRecord?> GetCompletedUploadAsync(long bucketId, string key, string uploadId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, $"SELECT {ObjectColumns} FROM objects o WHERE o.bucket_id = @b AND o.key = @key AND o.upload_id = @u",
            ("@b", bucketId), ("@key", KeyRange.Bytes(key)), ("@u", uploadId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadObject(r, bucketId) : null;
    }

    public Task<WriteOutcome?> AbortUploadAsync(long uploadPk, CancellationToken ct) => WriteAsync<WriteOutcome?>(async (db, tx) =>
    {
        await LockUploadAsync(db, tx, uploadPk, ct);
        var parts = await ReadPartsAsync(db, tx, uploadPk, 0, int.MaxValue, ct);
        var deleted = await ExecAsync(db, tx, "DELETE FROM uploads WHERE id = @u", ct, ("@u", uploadPk));
        return deleted == 0 ? null : new WriteOutcome(parts.Select(p => p.BlobId).ToList());
    }, ct);

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
        if (upper is not null) AddParameter(cmd, "@hi", upper);
        if (keyMarker is not null) AddParameter(cmd, "@km", KeyRange.Bytes(keyMarker));
        if (keyMarker is not null && uploadIdMarker is not null) AddParameter(cmd, "@um", uploadIdMarker);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<UploadRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadUpload(r));
        return list;
    }
}
