using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xos.Server.Bench;

/// <summary>
/// One workload's results. <see cref="Timeline"/>, <see cref="Histogram"/> and <see cref="StartedAt"/> (when the workload
/// began, to line it up with measures taken outside the bench) came later than the rest: runs saved before them have
/// none, and still load (the report then shows their figures without those charts).
/// </summary>
public sealed record WorkloadResult(string Name, long ObjectSize, long Ops, double Seconds, double OpsPerSec, double MibPerSec,
    double P50Ms, double P90Ms, double P99Ms, double MaxMs, long Errors, string? FirstError,
    IReadOnlyList<TimelineSample>? Timeline = null, LatencyHistogram? Histogram = null, DateTimeOffset? StartedAt = null);

/// <summary>Operations finished (and failed) in the interval that ends <see cref="AtSeconds"/> after the workload started.</summary>
public sealed record TimelineSample(double AtSeconds, long Ops, long Errors);

/// <summary>
/// Latency counts in buckets of ten a decade: bucket i holds latencies in (UpperMs[i-1], UpperMs[i]]. Only the span from the
/// first to the last non-empty bucket is kept; the bounds are stored so that runs recorded by other tools (wrk) line up by value.
/// </summary>
public sealed record LatencyHistogram(IReadOnlyList<double> UpperMs, IReadOnlyList<long> Counts)
{
    private const double SmallestMs = 0.01;
    private const int PerDecade = 10;
    /// <summary>10 µs to 1000 s.</summary>
    public const int BucketCount = 8 * PerDecade;

    public static double UpperBound(int bucket) => Math.Round(SmallestMs * Math.Pow(10, (bucket + 1) / (double)PerDecade), 4);

    public static int BucketOf(double ms) =>
        ms <= SmallestMs ? 0 : Math.Clamp((int)Math.Ceiling(PerDecade * Math.Log10(ms / SmallestMs) - 1e-9) - 1, 0, BucketCount - 1);

    public static LatencyHistogram? FromCounts(long[] counts)
    {
        var first = Array.FindIndex(counts, c => c > 0);
        if (first < 0) return null;
        var last = Array.FindLastIndex(counts, c => c > 0);
        return new LatencyHistogram(Enumerable.Range(first, last - first + 1).Select(UpperBound).ToArray(), counts[first..(last + 1)]);
    }
}

public sealed record BenchReport(string Endpoint, DateTimeOffset StartedAt, int Concurrency, string? ServerSideEncryption, List<WorkloadResult> Workloads);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJson : JsonSerializerContext;

/// <summary>Runs saved with --json, named by their file names, for --compare and --html.</summary>
public static class BenchRuns
{
    public static async Task<List<(string Name, BenchReport Report)>?> LoadAsync(IReadOnlyList<string> paths)
    {
        var reports = new List<(string Name, BenchReport Report)>();
        foreach (var path in paths)
        {
            try
            {
                var report = JsonSerializer.Deserialize(await File.ReadAllTextAsync(path), BenchJson.Default.BenchReport)
                             ?? throw new JsonException("empty");
                reports.Add((Path.GetFileNameWithoutExtension(path), report));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"cannot read {path}: {e.Message}");
                return null;
            }
        }
        return reports;
    }
}
