using Xos.Server.Hosting;
using Xos.Server.Storage;
using Xos.Server.Storage.Files;

namespace Xos.Server.Admin;

/// <summary>What GET /_xos/admin/overview answers: the server, its data folder's space, what it stores, how busy it is.</summary>
public sealed record OverviewSummary(string Version, string Commit, DateTimeOffset StartedAt, long UptimeSeconds, string DataDirectory, string Metadata,
    long FreeBytes, long TotalBytes, long ReserveBytes, int Users, int Buckets, long Objects, long Bytes, long Versions, long StoredBytes,
    double RequestsPerSecond, long Requests);

public sealed class ServerOverview(ServerOptions options, IMetadataStore store, IConsoleStore usage, FreeSpaceGuard space, RequestRate rate, TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public async Task<OverviewSummary> ReadAsync(CancellationToken ct)
    {
        var users = await store.ListUsersAsync(ct);
        var buckets = 0;
        foreach (var user in users) buckets += (await store.ListBucketsAsync(user.Id, ct)).Count;
        var totals = await usage.GetUsageAsync(ct);
        var now = time.GetUtcNow();
        var metadata = store is Storage.Sql.SqlMetadataStore sql ? sql.Description : "";
        return new OverviewSummary(Cli.BuildInfo.Version, Cli.BuildInfo.Commit, _started, (long)(now - _started).TotalSeconds, options.DataDirectory, metadata,
            space.AvailableBytes, space.TotalBytes, space.ReserveBytes, users.Count, buckets,
            totals.Objects, totals.Bytes, totals.Versions, totals.StoredBytes, Math.Round(rate.PerSecond(), 2), rate.Total);
    }
}
