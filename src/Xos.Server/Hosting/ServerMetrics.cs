using System.Collections.Concurrent;
using System.Diagnostics;
using Prometheus;

namespace Xos.Server.Hosting;

/// <summary>
/// The server's Prometheus metrics (prometheus-net's default registry, which also carries the process and .NET runtime
/// metrics and every System.Diagnostics.Metrics meter such as Kestrel's and Npgsql's). Served on the address given by
/// --metrics-address, never on the S3 port, so scraping needs no S3 credentials and a bucket named "metrics" stays a bucket.
/// </summary>
public static class ServerMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 17); // 0.5 ms .. 33 s

    /// <summary>No exemplars: XOS runs no tracing they could point to, and recording them costs on every observation.</summary>
    private static readonly IMetricFactory Factory = NoExemplars();

    private static IMetricFactory NoExemplars()
    {
        Metrics.DefaultFactory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        return Metrics.DefaultFactory;
    }

    private static readonly Counter Requests = Factory.CreateCounter("xos_requests_total",
        "S3 and STS requests answered, by operation and HTTP status.", ["operation", "status"]);
    private static readonly Histogram RequestSeconds = Factory.CreateHistogram("xos_request_duration_seconds",
        "Time from the request's arrival to the end of its response, by operation.",
        new HistogramConfiguration { LabelNames = ["operation"], Buckets = LatencyBuckets });
    private static readonly Counter BytesReceived = Factory.CreateCounter("xos_request_bytes_received_total",
        "Request body bytes received, as read from the connection, by operation.", ["operation"]);
    private static readonly Counter BytesSent = Factory.CreateCounter("xos_response_bytes_sent_total",
        "Response body bytes sent, including sendfile, by operation.", ["operation"]);
    private static readonly Gauge InFlight = Factory.CreateGauge("xos_requests_in_flight",
        "S3 and STS requests being processed now.");
    private static readonly Counter Aborted = Factory.CreateCounter("xos_requests_aborted_total",
        "Requests whose client went away before the answer was complete, by operation.", ["operation"]);

    private static readonly Histogram StoreSeconds = Factory.CreateHistogram("xos_metadata_call_duration_seconds",
        "Time one metadata store call holds its database connection (writers include the wait for the write lock), by call and kind (read or write).",
        new HistogramConfiguration { LabelNames = ["call", "kind"], Buckets = LatencyBuckets });
    private static readonly Counter StoreUnavailable = Factory.CreateCounter("xos_metadata_unavailable_total",
        "Requests answered 503 because the metadata store could not be reached.");

    private static readonly Counter BackgroundRuns = Factory.CreateCounter("xos_background_runs_total",
        "Background passes by worker and outcome: done, failed, or skipped (another gateway holds the lease).", ["worker", "outcome"]);
    private static readonly Histogram BackgroundSeconds = Factory.CreateHistogram("xos_background_run_duration_seconds",
        "Duration of background passes that ran, by worker.",
        new HistogramConfiguration { LabelNames = ["worker"], Buckets = Histogram.ExponentialBuckets(0.001, 4, 12) });
    private static readonly Counter BackgroundItems = Factory.CreateCounter("xos_background_items_total",
        "What background passes changed: lifecycle actions, orphan blobs removed, access log records delivered, by worker.", ["worker"]);
    private static readonly Gauge BackgroundLastRun = Factory.CreateGauge("xos_background_last_run_timestamp_seconds",
        "Unix time of the last pass that ran in this process, by worker.", ["worker"]);

    private static readonly Gauge FreeBytes = Factory.CreateGauge("xos_blob_store_free_bytes",
        "Bytes available for object bodies: on the data folder's filesystem, or with --blobs rados:// in the pool (ceph df's MAX AVAIL, or the rest of its quota).");
    private static readonly Gauge ReserveBytes = Factory.CreateGauge("xos_blob_store_reserve_bytes",
        "The free-space reserve (--min-free) below which writes are refused with 507.");
    private static readonly Gauge StartTime = Factory.CreateGauge("xos_start_time_seconds", "Unix time at which this server started.");
    private static readonly Gauge Info = Factory.CreateGauge("xos_build_info", "Always 1; the labels name the server's version and metadata engine.",
        ["version", "metadata"]);

    private static readonly Gauge NotifyQueued = Factory.CreateGauge("xos_notify_queued_events",
        "Events waiting in the outbox for delivery, by target ARN (as last measured by this gateway).", ["target"]);
    private static readonly Gauge NotifyOldest = Factory.CreateGauge("xos_notify_oldest_event_age_seconds",
        "Age of the oldest event waiting for a target, by target ARN; 0 when none waits.", ["target"]);
    private static readonly Counter NotifyDelivered = Factory.CreateCounter("xos_notify_delivered_total",
        "Events a target acknowledged and that were then removed from the outbox, by target ARN.", ["target"]);
    private static readonly Counter NotifyRetried = Factory.CreateCounter("xos_notify_retried_total",
        "Events delivered on a later attempt after a failed one, by target ARN.", ["target"]);
    private static readonly Counter NotifyFailed = Factory.CreateCounter("xos_notify_failed_attempts_total",
        "Delivery attempts that failed (the event stays queued and is retried), by target ARN.", ["target"]);
    private static readonly Gauge NotifyQueueFull = Factory.CreateGauge("xos_notify_queue_full",
        "1 while more events wait than --notify-queue-limit allows (nothing is dropped), else 0.");

    /// <summary>The outbox as last measured: events waiting and the age of the oldest, per target.</summary>
    public static void NotifyQueue(string target, long queued, double oldestSeconds)
    {
        NotifyQueued.WithLabels(target).Set(queued);
        NotifyOldest.WithLabels(target).Set(oldestSeconds);
    }

    public static void NotifyDeliveries(string target, long delivered, long retried)
    {
        if (delivered > 0) NotifyDelivered.WithLabels(target).Inc(delivered);
        if (retried > 0) NotifyRetried.WithLabels(target).Inc(retried);
    }

    public static void NotifyFailedAttempt(string target) => NotifyFailed.WithLabels(target).Inc();

    public static void NotifyFull(bool full) => NotifyQueueFull.Set(full ? 1 : 0);

    /// <summary>Per-operation children, so the request path looks labels up once per operation, not per request.</summary>
    private sealed class OperationMetrics(string name)
    {
        public readonly Histogram.Child Seconds = RequestSeconds.WithLabels(name);
        public readonly Counter.Child In = BytesReceived.WithLabels(name);
        public readonly Counter.Child Out = BytesSent.WithLabels(name);
        public readonly Counter.Child Aborted = ServerMetrics.Aborted.WithLabels(name);
        public readonly ConcurrentDictionary<int, Counter.Child> ByStatus = new();
        public readonly string Name = name;
    }

    private static readonly ConcurrentDictionary<string, OperationMetrics> Operations = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string, string), Histogram.Child> StoreCalls = new();

    public static void RequestStarted() => InFlight.Inc();

    public static void RequestFinished(string operation, int status, long bytesIn, long bytesOut, double seconds, bool aborted)
    {
        InFlight.Dec();
        var m = Operations.GetOrAdd(operation, static name => new OperationMetrics(name));
        m.ByStatus.GetOrAdd(status, static (s, name) => Requests.WithLabels(name, s.ToString(System.Globalization.CultureInfo.InvariantCulture)), m.Name).Inc();
        m.Seconds.Observe(seconds);
        if (bytesIn > 0) m.In.Inc(bytesIn);
        if (bytesOut > 0) m.Out.Inc(bytesOut);
        if (aborted) m.Aborted.Inc();
    }

    public static void MetadataUnavailable() => StoreUnavailable.Inc();

    /// <summary>Observes a metadata store call from <paramref name="startedTimestamp"/> (a Stopwatch timestamp) to now.</summary>
    public static void StoreCallFinished(string call, bool write, long startedTimestamp) =>
        StoreCalls.GetOrAdd((call, write ? "write" : "read"), static k => StoreSeconds.WithLabels(k.Item1, k.Item2))
            .Observe(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);

    /// <summary>Records one background pass that ran; <paramref name="items"/> is what it changed.</summary>
    public static void BackgroundRan(string worker, TimeSpan duration, long items, bool failed = false)
    {
        BackgroundRuns.WithLabels(worker, failed ? "failed" : "done").Inc();
        BackgroundSeconds.WithLabels(worker).Observe(duration.TotalSeconds);
        if (items > 0) BackgroundItems.WithLabels(worker).Inc(items);
        BackgroundLastRun.WithLabels(worker).SetToCurrentTimeUtc();
    }

    /// <summary>Runs one background pass and records it; the pass returns what it changed. A failure is recorded and rethrown.</summary>
    public static async Task<long> RunBackgroundAsync(string worker, Func<Task<long>> pass)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var items = await pass();
            BackgroundRan(worker, Stopwatch.GetElapsedTime(started), items);
            return items;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            BackgroundRan(worker, Stopwatch.GetElapsedTime(started), 0, failed: true);
            throw;
        }
    }

    /// <summary>A pass another gateway ran instead, under the cluster's lease.</summary>
    public static void BackgroundSkipped(string worker) => BackgroundRuns.WithLabels(worker, "skipped").Inc();

    public static async Task InitializeAsync(Storage.Files.FreeSpaceGuard space, string metadataEngine, bool served)
    {
        // ASP.NET's own request metrics would repeat xos_requests_* at a cost on every request; the event counters
        // repeat the System.Runtime meter.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressDebugMetrics = true });
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = i => i.Meter.Name != "Microsoft.AspNetCore.Hosting");
        // The meter and process adapters connect at the first collection: from the start when metrics are served (so the
        // first scrape already sees Kestrel's connections), never when they are not.
        if (served) await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null);
        StartTime.SetToCurrentTimeUtc();
        Info.WithLabels(typeof(ServerMetrics).Assembly.GetName().Version?.ToString() ?? "0", metadataEngine).Set(1);
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            FreeBytes.Set(space.AvailableBytes);
            ReserveBytes.Set(space.ReserveBytes);
        });
    }

    /// <summary>GET /metrics in Prometheus' text format; anything else on the metrics address is 404.</summary>
    public static async Task ServeAsync(HttpContext http)
    {
        if (http.Request.Path != "/metrics" || !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            http.Response.ContentType = "text/plain";
            await http.Response.WriteAsync("Only GET /metrics is served on the metrics address.\n");
            return;
        }
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        if (HttpMethods.IsHead(http.Request.Method)) return;
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
    }
}
