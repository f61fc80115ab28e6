using Xos.Server.Hosting;
using Xos.Server.Storage;

namespace Xos.Server.Background;

/// <summary>
/// Removes what a crash or time leaves behind: expired STS sessions, temporary files of unfinished writes, and blobs that were renamed into place
/// but never committed (or whose deletion after an overwrite never ran). Only files older than a grace period are
/// considered, so writes in flight in this or another server process are never touched.
/// </summary>
public sealed partial class OrphanBlobSweeper(IMetadataStore store, IBlobStore blobs, ILogger<OrphanBlobSweeper> log) : BackgroundService
{
    private const string Worker = "orphan-sweep";
    public static readonly TimeSpan GracePeriod = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Period = TimeSpan.FromHours(1);
    private readonly string _holder = Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let start-up finish and first requests through before walking the data folder.
        var startedAt = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A store no other process writes to cannot have writes in flight from before this process started.
                var olderThan = first && !store.IsSharedByProcesses ? startedAt : DateTimeOffset.UtcNow - GracePeriod;
                first = false;
                // Gateways sharing a store sweep the same folder: one of them per period is enough.
                if (!store.IsSharedByProcesses || await store.TryAcquireLeaseAsync(Worker, _holder, Period - TimeSpan.FromMinutes(1), stoppingToken))
                {
                    await ServerMetrics.RunBackgroundAsync(Worker, async () =>
                    {
                        var removed = await SweepAsync(olderThan, stoppingToken);
                        if (removed > 0) LogSwept(log, removed);
                        await store.DeleteExpiredSessionsAsync(DateTimeOffset.UtcNow.AddHours(-1), stoppingToken);
                        return removed;
                    });
                }
                else ServerMetrics.BackgroundSkipped(Worker);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(log, e);
            }
            await Task.Delay(Period, stoppingToken);
        }
    }

    public async Task<int> SweepAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        blobs.CleanTemporaryFiles(olderThan);
        var removed = 0;
        foreach (var blobId in blobs.EnumerateBlobs(olderThan))
        {
            ct.ThrowIfCancellationRequested();
            if (await store.IsBlobReferencedAsync(blobId, ct)) continue;
            await blobs.DeleteAsync(blobId);
            removed++;
        }
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} unreferenced blobs")]
    private static partial void LogSwept(ILogger log, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orphan blob sweep failed")]
    private static partial void LogSweepFailed(ILogger log, Exception e);
}
