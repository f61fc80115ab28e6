namespace Xos.Server.Storage;

/// <summary>
/// A web console session as the metadata store keeps it, so that every gateway sharing the store knows it and a
/// sign-out through one of them ends it everywhere. The cookie's secret is never stored, only its SHA-256
/// (<see cref="Id"/>); nor is the secret key it was opened with (only a hash, so a changed secret ends the session).
/// </summary>
/// <param name="SessionToken">The STS session token of temporary credentials, wrapped by the master key; null for long-term keys.</param>
public sealed record ConsoleSessionRecord(string Id, string AccessKey, string SecretHash, string? SessionToken, DateTimeOffset Created,
    DateTimeOffset LastSeen, DateTimeOffset Expires);

/// <summary>How much a bucket (or the whole server) holds: current objects and their bytes, and every stored version.</summary>
public sealed record StorageUsage(long Objects, long Bytes, long Versions, long StoredBytes);

/// <summary>What the web console keeps in the metadata store beyond S3's own records: its sessions, and usage totals.</summary>
public interface IConsoleStore
{
    Task CreateConsoleSessionAsync(ConsoleSessionRecord session, CancellationToken ct);
    Task<ConsoleSessionRecord?> GetConsoleSessionAsync(string id, CancellationToken ct);
    /// <summary>Records activity on the session (for its idle expiry); false when it no longer exists.</summary>
    Task<bool> TouchConsoleSessionAsync(string id, DateTimeOffset seen, CancellationToken ct);
    /// <summary>Ends the session; false when it did not exist.</summary>
    Task<bool> DeleteConsoleSessionAsync(string id, CancellationToken ct);
    /// <summary>Removes sessions past their absolute expiry or idle since before <paramref name="idleBefore"/>; returns how many.</summary>
    Task<int> DeleteStaleConsoleSessionsAsync(DateTimeOffset now, DateTimeOffset idleBefore, CancellationToken ct);

    Task<StorageUsage> GetBucketUsageAsync(long bucketId, CancellationToken ct);
    /// <summary>Totals over every bucket.</summary>
    Task<StorageUsage> GetUsageAsync(CancellationToken ct);
}
