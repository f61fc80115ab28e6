using System.Globalization;
using System.Text.Json;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Storage;

namespace Xos.Server.Background;

/// <summary>How long a lifecycle "day" is and how often the worker runs; shortened in tests to watch rules act.</summary>
public sealed record LifecycleOptions(TimeSpan Day, TimeSpan Interval)
{
    /// <summary>A day of <paramref name="day"/>; the worker runs every <paramref name="interval"/>, by default every day/24 (1 s to 1 h).</summary>
    public static LifecycleOptions From(TimeSpan day, TimeSpan? interval) =>
        new(day, interval ?? TimeSpan.FromTicks(Math.Clamp(day.Ticks / 24, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromHours(1).Ticks)));

    /// <summary>
    /// When a rule of <paramref name="days"/> days acts on what was created at <paramref name="from"/>: S3 counts from the
    /// next midnight UTC after creation. A shortened day rounds to the next multiple of its length since the epoch.
    /// </summary>
    public static DateTimeOffset Due(DateTimeOffset from, int days, TimeSpan day)
    {
        var nextBoundary = (from.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / day.Ticks + 1;
        return DateTimeOffset.UnixEpoch + day * nextBoundary + day * days;
    }

    public DateTimeOffset Due(DateTimeOffset from, int days) => Due(from, days, Day);
}

/// <summary>
/// Applies lifecycle rules: expiration (delete markers in versioned buckets), noncurrent version expiration,
/// expired delete marker removal, storage class transitions and the abort of stale multipart uploads.
/// One server process at a time runs a pass (a lease in the metadata store); a pass walks each bucket in pages
/// of versions and remembers how far it got, so it never holds a bucket in memory and resumes after a restart.
/// Every change is conditional on the row it evaluated, so a concurrent overwrite is never expired by mistake.
/// </summary>
public sealed partial class LifecycleWorker(IMetadataStore store, IBlobStore blobs, LifecycleOptions options, ILogger<LifecycleWorker> log,
    ServerOptions? server = null) : BackgroundService
{
    private const string LeaseName = "lifecycle";
    private const string CursorSetting = "lifecycle-cursor";
    private const int PageSize = 1000;
    private readonly string _holder = Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await store.TryAcquireLeaseAsync(LeaseName, _holder, options.Interval * 3 + TimeSpan.FromMinutes(1), stoppingToken))
                {
                    var changes = await ServerMetrics.RunBackgroundAsync(LeaseName, async () => await RunPassAsync(DateTimeOffset.UtcNow, stoppingToken));
                    if (changes > 0) LogPass(log, (int)changes);
                }
                else ServerMetrics.BackgroundSkipped(LeaseName);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPassFailed(log, e);
            }
            await Task.Delay(options.Interval, stoppingToken);
        }
    }

    /// <summary>One pass over every bucket with a lifecycle configuration; returns how many changes it made.</summary>
    public async Task<int> RunPassAsync(DateTimeOffset now, CancellationToken ct)
    {
        var changes = 0;
        long after = 0;
        while (true)
        {
            var buckets = await store.ListBucketsWithSettingAsync(BucketLifecycle.SettingName, after, 100, ct);
            foreach (var bucket in buckets)
            {
                after = bucket.Id;
                var json = await store.GetBucketSettingAsync(bucket.Id, BucketLifecycle.SettingName, ct);
                var rules = json is null ? [] : JsonSerializer.Deserialize(json, LifecycleJson.Default.ListLifecycleRule)!.Where(r => r.Enabled).ToList();
                if (rules.Count == 0) continue;
                try
                {
                    changes += await ProcessVersionsAsync(bucket, rules, now, ct);
                    changes += await AbortStaleUploadsAsync(bucket, rules, now, ct);
                }
                catch (Protocol.S3Exception e) when (e.Code == "NoSuchBucket")
                {
                    // Deleted during the pass (through another gateway): nothing of it is left to expire.
                }
            }
            if (buckets.Count < 100) return changes;
        }
    }

    private DateTimeOffset Due(DateTimeOffset from, int days) => options.Due(from, days);

    /// <summary>The origin of the events of the bucket being processed; null when it has no notification rules.</summary>
    private Notifications.EventOrigin? _events;

    private async Task<int> ProcessVersionsAsync(BucketRecord bucket, List<LifecycleRule> rules, DateTimeOffset now, CancellationToken ct)
    {
        var changes = 0;
        // Expirations queue the LifecycleExpiration events the bucket's notification rules ask for (read with its settings).
        _events = Notifications.ObjectEvents.ForLifecycle(await store.GetBucketAsync(bucket.Name, ct) ?? bucket, server?.Region ?? "us-east-1");
        var cursor = await store.GetBucketSettingAsync(bucket.Id, CursorSetting, ct);
        var group = new List<VersionListEntry>();
        string? cursorKey = cursor;
        string? cursorVersion = null;
        while (true)
        {
            var page = await store.ListObjectVersionsAsync(bucket.Id, "", cursorKey, cursorVersion, false, PageSize, ct);
            string? finishedKey = null;
            foreach (var v in page)
            {
                if (group.Count > 0 && group[0].Key != v.Key)
                {
                    changes += await ApplyToKeyAsync(bucket, rules, group, now, ct);
                    finishedKey = group[0].Key;
                    group.Clear();
                }
                group.Add(v);
            }
            if (page.Count < PageSize) break;
            // Remember progress once a page, so a restart resumes here instead of at the bucket's first key.
            if (finishedKey is not null) await store.SetBucketSettingAsync(bucket.Id, CursorSetting, finishedKey, ct);
            (cursorKey, cursorVersion) = (page[^1].Key, page[^1].VersionId);
        }
        if (group.Count > 0) changes += await ApplyToKeyAsync(bucket, rules, group, now, ct);
        await store.SetBucketSettingAsync(bucket.Id, CursorSetting, null, ct);
        return changes;
    }

    /// <summary>Applies the rules to one key's versions, given newest first.</summary>
    private async Task<int> ApplyToKeyAsync(BucketRecord bucket, List<LifecycleRule> rules, List<VersionListEntry> versions, DateTimeOffset now, CancellationToken ct)
    {
        var changes = 0;
        var key = versions[0].Key;
        var remaining = versions.Count;
        var latest = versions[0];

        if (latest.IsLatest && !latest.IsDeleteMarker)
        {
            var tags = ObjectTagging.FromJson(latest.Tags);
            foreach (var rule in rules.Where(r => r.Filter.Matches(key, tags, latest.Size)))
            {
                var expiresAt = rule.ExpirationDate ?? (rule.ExpirationDays is { } days ? Due(latest.LastModified, days) : null);
                if (expiresAt is { } at && now >= at)
                {
                    var expired = bucket.VersioningConfigured
                        ? await store.AddDeleteMarkerIfLatestAsync(bucket.Id, key, latest.RowId, Marker(bucket, latest), ct, _events)
                        : await store.DeleteVersionIfUnchangedAsync(bucket.Id, key, latest.RowId, UnlockedVersion, ct, _events);
                    if (expired is not null)
                    {
                        await blobs.ReleaseAsync(expired.Outcome);
                        changes++;
                        if (!bucket.VersioningConfigured) remaining--;
                    }
                    break;
                }
                var transition = rule.Transitions
                    .Where(t => now >= (t.Date ?? Due(latest.LastModified, t.Days ?? 0)))
                    .MaxBy(t => t.Date ?? Due(latest.LastModified, t.Days ?? 0));
                if (transition is not null && transition.StorageClass != latest.StorageClass
                    && await store.SetStorageClassAsync(latest.RowId, transition.StorageClass, ct))
                    changes++;
            }
        }

        // Noncurrent versions: each became noncurrent when the next newer version was written.
        for (var i = 1; i < versions.Count; i++)
        {
            var v = versions[i];
            if (v.IsDeleteMarker) continue;
            var since = versions[i - 1].LastModified;
            var newerNoncurrent = i - 1;
            var tags = ObjectTagging.FromJson(v.Tags);
            foreach (var rule in rules.Where(r => r.Filter.Matches(key, tags, v.Size)))
            {
                if (rule.NoncurrentExpirationDays is { } days && now >= Due(since, days) && newerNoncurrent >= (rule.NewerNoncurrentVersions ?? 0))
                {
                    if (await store.DeleteVersionIfUnchangedAsync(bucket.Id, key, v.RowId, UnlockedVersion, ct, _events) is { } removed)
                    {
                        await blobs.ReleaseAsync(removed.Outcome);
                        changes++;
                        remaining--;
                    }
                    break;
                }
                var transition = rule.NoncurrentTransitions
                    .Where(t => now >= Due(since, t.NoncurrentDays) && newerNoncurrent >= (t.NewerNoncurrentVersions ?? 0))
                    .MaxBy(t => t.NoncurrentDays);
                if (transition is not null && transition.StorageClass != v.StorageClass && await store.SetStorageClassAsync(v.RowId, transition.StorageClass, ct))
                    changes++;
            }
        }

        // A delete marker that no longer hides any version is removed when a rule asks for it.
        if (latest.IsLatest && latest.IsDeleteMarker && remaining == 1
            && rules.Any(r => r.ExpiredObjectDeleteMarker && r.Filter.Matches(key, [], 0)))
        {
            if (await store.DeleteVersionIfUnchangedAsync(bucket.Id, key, latest.RowId, UnlockedVersion, ct, _events) is not null) changes++;
        }
        return changes;
    }

    /// <summary>Lifecycle rules never remove a version that object lock protects (and never bypass governance).</summary>
    private static bool UnlockedVersion(ObjectRecord version) => Objects.ObjectLock.MayDelete(version, bypassGovernance: false, DateTimeOffset.UtcNow);

    private static ObjectRecord Marker(BucketRecord bucket, VersionListEntry latest) => new()
    {
        Key = latest.Key,
        VersionId = BucketVersioning.VersionIdForWrite(bucket),
        IsDeleteMarker = true,
        LastModified = DateTimeOffset.UtcNow,
        ContentType = "",
        OwnerId = bucket.OwnerId,
    };

    private async Task<int> AbortStaleUploadsAsync(BucketRecord bucket, List<LifecycleRule> rules, DateTimeOffset now, CancellationToken ct)
    {
        var changes = 0;
        foreach (var rule in rules.Where(r => r.AbortIncompleteUploadDays is not null))
        {
            string? keyMarker = null, uploadMarker = null;
            while (true)
            {
                var uploads = await store.ListUploadsAsync(bucket.Id, rule.Filter.Prefix, keyMarker, uploadMarker, PageSize, ct);
                foreach (var u in uploads)
                {
                    if (now < Due(u.Initiated, rule.AbortIncompleteUploadDays!.Value) || !rule.Filter.Matches(u.Key, [], 0)) continue;
                    if (await store.AbortUploadAsync(u.Id, ct) is { } aborted)
                    {
                        await blobs.ReleaseAsync(aborted);
                        changes++;
                    }
                }
                if (uploads.Count < PageSize) break;
                (keyMarker, uploadMarker) = (uploads[^1].Key, uploads[^1].UploadId);
            }
        }
        return changes;
    }

    /// <summary>The x-amz-expiration header for the current version of an object, when an expiration rule covers it.</summary>
    public static string? ExpirationHeader(IEnumerable<LifecycleRule> rules, ObjectRecord obj, TimeSpan day)
    {
        var tags = ObjectTagging.FromJson(obj.Tags);
        foreach (var rule in rules.Where(r => r.Enabled && r.Filter.Matches(obj.Key, tags, obj.Size)))
        {
            var at = rule.ExpirationDate ?? (rule.ExpirationDays is { } days ? LifecycleOptions.Due(obj.LastModified, days, day) : null);
            if (at is { } expiry)
                return $"expiry-date=\"{Protocol.HttpDates.Format(expiry)}\", rule-id=\"{rule.Id}\"";
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Lifecycle pass made {Changes} changes")]
    private static partial void LogPass(ILogger log, int changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lifecycle pass failed")]
    private static partial void LogPassFailed(ILogger log, Exception e);
}
