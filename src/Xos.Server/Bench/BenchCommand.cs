using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Xos.Server.Bench;

/// <summary>
/// `xos bench`: PUT and GET of objects of several sizes with N concurrent clients, and listing a large bucket,
/// against any S3 endpoint. Prints ops/s, MiB/s and latency percentiles per workload.
/// </summary>
public static class BenchCommand
{
    private const int GetPoolSize = 8;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken ct = default)
    {
        using var client = new S3BenchClient(options);
        var bucket = options.Bucket ?? $"xos-bench-{Guid.NewGuid():N}"[..24];
        var created = new List<string>();
        try
        {
            if (options.Bucket is null) await client.SendForTextAsync(client.Create(HttpMethod.Put, bucket, null), ct);
        }
        catch (Exception e) when (e is HttpRequestException or BenchRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"cannot use {options.Endpoint}: {e.Message}");
            return 1;
        }

        var report = new BenchReport(options.Endpoint.ToString(), DateTimeOffset.UtcNow, options.Concurrency, options.ServerSideEncryption, []);
        var largest = options.Workloads.Select(w => w.ObjectSize).DefaultIfEmpty(0).Max();
        var payload = new byte[Math.Max(largest, 1)];
        Random.Shared.NextBytes(payload);
        try
        {
            foreach (var workload in options.Workloads)
            {
                if (workload.Kind == "notify")
                {
                    report.Workloads.AddRange(await BenchNotify.RunAsync(client, bucket, workload,
                        w => RunPutAsync(client, options, bucket, w, payload, created, ct), ct));
                    continue;
                }
                var result = workload.Kind switch
                {
                    "put" => await RunPutAsync(client, options, bucket, workload, payload, created, ct),
                    "get" => await RunGetAsync(client, options, bucket, workload, payload, created, ct),
                    "media" => await BenchMedia.RunAsync(client, options, bucket, workload, created,
                        (w, bytes, operation) => MeasureAsync(options, w, bytes, operation, ct), ct),
                    _ => await RunListAsync(client, options, bucket, workload, payload, created, ct),
                };
                report.Workloads.Add(result);
            }
        }
        finally
        {
            try
            {
                await client.DeleteObjectsAsync(bucket, created.Distinct().ToList(), CancellationToken.None);
                if (options.Bucket is null) await client.SendForTextAsync(client.Create(HttpMethod.Delete, bucket, null), CancellationToken.None);
            }
            catch (Exception e) when (e is HttpRequestException or BenchRequestException)
            {
                Console.Error.WriteLine($"cleanup of bucket {bucket} failed: {e.Message}");
            }
        }

        PrintTable(report);
        if (options.JsonPath is not null) await File.WriteAllTextAsync(options.JsonPath, JsonSerializer.Serialize(report, BenchJson.Default.BenchReport), ct);
        if (options.HtmlPath is not null
            && !await BenchHtml.WriteAsync(options.HtmlPath, [(options.JsonPath is { } json ? Path.GetFileNameWithoutExtension(json) : options.Endpoint.Authority, report)]))
            return 1;
        return 0;
    }

    private static ByteArrayContentSlice Body(byte[] payload, long size) => new(payload, (int)size);

    private sealed class ByteArrayContentSlice(byte[] buffer, int count) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(buffer, 0, count);
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken ct) =>
            stream.WriteAsync(buffer.AsMemory(0, count), ct).AsTask();
        protected override bool TryComputeLength(out long length)
        {
            length = count;
            return true;
        }
    }

    private static async Task PutAsync(S3BenchClient client, string bucket, string key, byte[] payload, long size, CancellationToken ct,
        IReadOnlyList<(string, string)>? headers = null)
    {
        using var response = await client.SendAsync(client.Create(HttpMethod.Put, bucket, key, content: Body(payload, size), extraHeaders: headers), ct);
        if (!response.IsSuccessStatusCode) throw new BenchRequestException((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static Task<WorkloadResult> RunPutAsync(S3BenchClient client, BenchOptions options, string bucket, Workload w, byte[] payload,
        List<string> created, CancellationToken ct)
    {
        // Each worker overwrites its own few keys, so the bucket does not grow with the run's length.
        const int keysPerWorker = 4;
        string Key(int worker, long op) => $"{w.Name}/worker-{worker}-{op % keysPerWorker}";
        lock (created)
            for (var worker = 0; worker < options.Concurrency; worker++)
                for (var op = 0; op < keysPerWorker; op++) created.Add(Key(worker, op));
        return MeasureAsync(options, w, w.ObjectSize, (worker, op, token) => PutAsync(client, bucket, Key(worker, op), payload, w.ObjectSize, token, options.EncryptionHeaders(write: true)), ct);
    }

    private static async Task<WorkloadResult> RunGetAsync(S3BenchClient client, BenchOptions options, string bucket, Workload w, byte[] payload,
        List<string> created, CancellationToken ct)
    {
        var keys = Enumerable.Range(0, GetPoolSize).Select(i => $"{w.Name}/object-{i}").ToArray();
        foreach (var key in keys) await PutAsync(client, bucket, key, payload, w.ObjectSize, ct, options.EncryptionHeaders(write: true));
        lock (created) created.AddRange(keys);
        return await MeasureAsync(options, w, w.ObjectSize, async (worker, op, token) =>
        {
            using var response = await client.SendAsync(client.Create(HttpMethod.Get, bucket, keys[(worker + op) % keys.Length], extraHeaders: options.EncryptionHeaders(write: false)), token);
            if (!response.IsSuccessStatusCode) throw new BenchRequestException((int)response.StatusCode, await response.Content.ReadAsStringAsync(token));
            await using var body = await response.Content.ReadAsStreamAsync(token);
            var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
            try
            {
                long total = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, token)) > 0) total += n;
                if (total != w.ObjectSize) throw new BenchRequestException(200, $"short body: {total} of {w.ObjectSize} bytes");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, ct);
    }

    private static async Task<WorkloadResult> RunListAsync(S3BenchClient client, BenchOptions options, string bucket, Workload w, byte[] payload,
        List<string> created, CancellationToken ct)
    {
        var keys = Enumerable.Range(0, options.ListKeys).Select(i => $"list/{i:D8}").ToList();
        lock (created) created.AddRange(keys);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Max(options.Concurrency, 8)).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys.Count) await PutAsync(client, bucket, keys[i], payload, 0, ct);
        }));
        return await MeasureAsync(options, w, 0, async (worker, op, token) =>
        {
            // Each operation is one page of 1000 keys; workers start at different points of the listing.
            var startAfter = keys[(int)((worker * 7919L + op * 1000L) % keys.Count)];
            var text = await client.SendForTextAsync(client.Create(HttpMethod.Get, bucket, null,
                $"list-type=2&max-keys=1000&prefix=list%2F&start-after={Uri.EscapeDataString(startAfter)}"), token);
            if (!text.Contains("<ListBucketResult", StringComparison.Ordinal)) throw new BenchRequestException(200, "not a listing");
        }, ct);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on N workers until the duration or the op budget is spent; records each latency,
    /// a latency histogram, and how many operations finished in each second.
    /// </summary>
    private static async Task<WorkloadResult> MeasureAsync(BenchOptions options, Workload w, long bytesPerOp,
        Func<int, long, CancellationToken, Task> operation, CancellationToken ct)
    {
        var latencies = new List<double>[options.Concurrency];
        var histograms = new long[options.Concurrency][];
        long claimed = 0, completed = 0, errors = 0;
        string? firstError = null;
        var startedAt = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Duration);
        var workers = Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(1024);
            var histogram = histograms[worker] = new long[LatencyHistogram.BucketCount];
            long op = 0;
            while (!deadline.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref claimed);
                if (options.MaxOps is { } max && n > max) break;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await operation(worker, op++, ct);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    mine.Add(ms);
                    histogram[LatencyHistogram.BucketOf(ms)]++;
                    Interlocked.Increment(ref completed);
                }
                catch (Exception e) when (e is HttpRequestException or BenchRequestException or IOException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
            }
        }));
        var progress = options.Progress && !Console.IsOutputRedirected && !Console.IsErrorRedirected ? Console.Error : null;
        var timeline = await SampleAsync(workers, stopwatch, () => (Interlocked.Read(ref completed), Interlocked.Read(ref errors)),
            (elapsed, done, failed) => progress?.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r{w.Name,-10} {elapsed,6:F1} s {done,9} ops {done / Math.Max(elapsed, 0.001),10:F1} ops/s {failed,6} errors ")));
        await workers;
        var seconds = stopwatch.Elapsed.TotalSeconds;
        progress?.Write("\r" + new string(' ', 72) + "\r");
        var all = latencies.SelectMany(l => l).OrderBy(x => x).ToArray();
        var counts = new long[LatencyHistogram.BucketCount];
        foreach (var h in histograms)
            for (var i = 0; i < counts.Length; i++) counts[i] += h[i];
        var done = all.Length;
        return new WorkloadResult(w.Name, w.ObjectSize, done, Math.Round(seconds, 3), Math.Round(done / seconds, 1),
            Math.Round(done * (double)bytesPerOp / (1 << 20) / seconds, 1),
            Percentile(all, 0.50), Percentile(all, 0.90), Percentile(all, 0.99), all.Length == 0 ? 0 : Math.Round(all[^1], 2), errors, firstError,
            timeline, LatencyHistogram.FromCounts(counts), startedAt);
    }

    /// <summary>
    /// Every half second until <paramref name="workers"/> end: reports progress, and at each whole second records the operations
    /// finished and failed since the last sample; the last, shorter interval is recorded too.
    /// </summary>
    private static async Task<List<TimelineSample>> SampleAsync(Task workers, Stopwatch stopwatch, Func<(long Done, long Failed)> read,
        Action<double, long, long> report)
    {
        var samples = new List<TimelineSample>();
        long lastDone = 0, lastFailed = 0;
        var lastAt = 0.0;
        void Record(double at, long done, long failed)
        {
            samples.Add(new TimelineSample(Math.Round(at, 3), done - lastDone, failed - lastFailed));
            (lastDone, lastFailed, lastAt) = (done, failed, at);
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await Task.WhenAny(workers, timer.WaitForNextTickAsync().AsTask()) != workers)
        {
            var at = stopwatch.Elapsed.TotalSeconds;
            var (done, failed) = read();
            report(at, done, failed);
            if (Math.Floor(at) > Math.Floor(lastAt)) Record(at, done, failed);
        }
        var (finalDone, finalFailed) = read();
        var end = stopwatch.Elapsed.TotalSeconds;
        if (samples.Count > 0 && end - lastAt < 0.05)
        {
            // Operations that finished in the moment between the last tick and the end belong to that tick's second.
            var last = samples[^1];
            samples[^1] = last with { AtSeconds = Math.Round(end, 3), Ops = last.Ops + finalDone - lastDone, Errors = last.Errors + finalFailed - lastFailed };
        }
        else if (finalDone > lastDone || finalFailed > lastFailed || samples.Count == 0) Record(end, finalDone, finalFailed);
        return samples;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Length - 1)], 2);
    }

    private static void PrintTable(BenchReport report)
    {
        Console.WriteLine($"endpoint {report.Endpoint}, concurrency {report.Concurrency}{(report.ServerSideEncryption is { } sse ? ", server-side encryption " + sse : "")}");
        Console.WriteLine($"{"workload",-10} {"ops",8} {"ops/s",10} {"MiB/s",9} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"errors",7}");
        foreach (var r in report.Workloads)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name,-10} {r.Ops,8} {r.OpsPerSec,10:F1} {r.MibPerSec,9:F1} {r.P50Ms,8:F2} {r.P90Ms,8:F2} {r.P99Ms,8:F2} {r.MaxMs,8:F2} {r.Errors,7}"));
        foreach (var r in report.Workloads.Where(r => r.FirstError is not null))
            Console.WriteLine($"  {r.Name}: first error: {r.FirstError}");
    }
}
