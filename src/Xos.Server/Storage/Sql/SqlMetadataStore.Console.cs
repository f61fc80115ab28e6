namespace Xos.Server.Storage.Sql;

/// <summary>Web console sessions and usage totals.</summary>
public sealed partial class SqlMetadataStore : IConsoleStore
{
    public Task CreateConsoleSessionAsync(ConsoleSessionRecord s, CancellationToken ct) => WriteAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO console_sessions(id, access_key, secret_hash, session_token, created, last_seen, expires) " +
            "VALUES (@id, @ak, @sh, @token, @created, @seen, @expires)", ct,
            ("@id", s.Id), ("@ak", s.AccessKey), ("@sh", s.SecretHash), ("@token", s.SessionToken), ("@created", Millis(s.Created)),
            ("@seen", Millis(s.LastSeen)), ("@expires", Millis(s.Expires)));
    }, ct);

    public async Task<ConsoleSessionRecord?> GetConsoleSessionAsync(string id, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null,
            "SELECT id, access_key, secret_hash, session_token, created, last_seen, expires FROM console_sessions WHERE id = @id", ("@id", id));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new ConsoleSessionRecord(r.GetString(0), r.GetString(1), r.GetString(2), NullableString(r, 3), FromMillis(r.GetInt64(4)),
            FromMillis(r.GetInt64(5)), FromMillis(r.GetInt64(6)));
    }

    public Task<bool> TouchConsoleSessionAsync(string id, DateTimeOffset seen, CancellationToken ct) => WriteAsync<bool>(async (db, tx) =>
        await ExecAsync(db, tx, "UPDATE console_sessions SET last_seen = @seen WHERE id = @id AND last_seen < @seen", ct,
            ("@seen", Millis(seen)), ("@id", id)) == 1, ct);

    public Task<bool> DeleteConsoleSessionAsync(string id, CancellationToken ct) => WriteAsync<bool>(async (db, tx) =>
        await ExecAsync(db, tx, "DELETE FROM console_sessions WHERE id = @id", ct, ("@id", id)) == 1, ct);

    public Task<int> DeleteStaleConsoleSessionsAsync(DateTimeOffset now, DateTimeOffset idleBefore, CancellationToken ct) => WriteAsync<int>(async (db, tx) =>
        await ExecAsync(db, tx, "DELETE FROM console_sessions WHERE expires < @now OR last_seen < @idle", ct,
            ("@now", Millis(now)), ("@idle", Millis(idleBefore))), ct);

    // PostgreSQL's SUM of BIGINT is NUMERIC: the casts keep both engines answering 64-bit integers.
    private const string UsageColumns =
        "CAST(COALESCE(SUM(CASE WHEN is_latest = 1 AND delete_marker = 0 THEN 1 ELSE 0 END), 0) AS BIGINT), " +
        "CAST(COALESCE(SUM(CASE WHEN is_latest = 1 AND delete_marker = 0 THEN size ELSE 0 END), 0) AS BIGINT), " +
        "CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(size), 0) AS BIGINT)";

    public Task<StorageUsage> GetBucketUsageAsync(long bucketId, CancellationToken ct) =>
        ReadUsageAsync($"SELECT {UsageColumns} FROM objects WHERE bucket_id = @b", bucketId, ct, nameof(GetBucketUsageAsync));

    public Task<StorageUsage> GetUsageAsync(CancellationToken ct) => ReadUsageAsync($"SELECT {UsageColumns} FROM objects", null, ct, nameof(GetUsageAsync));

    private async Task<StorageUsage> ReadUsageAsync(string sql, long? bucketId, CancellationToken ct, string call)
    {
        await using var db = await OpenAsync(ct, call);
        await using var cmd = bucketId is { } b ? Command(db, null, sql, ("@b", b)) : Command(db, null, sql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new StorageUsage(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
    }
}
