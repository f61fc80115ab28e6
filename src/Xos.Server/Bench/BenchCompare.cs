using System.Globalization;
using System.Text;

namespace Xos.Server.Bench;

/// <summary>
/// `xos bench compare a.json b.json ...`: runs saved with --json side by side, per workload, with each run's
/// throughput and median latency as a ratio of the first run's (XOS against another endpoint, or before against after).
/// </summary>
public static class BenchCompare
{
    public static async Task<int> RunAsync(IReadOnlyList<string> paths)
    {
        var reports = await BenchRuns.LoadAsync(paths);
        if (reports is null) return 1;
        Console.Write(Format(reports));
        return 0;
    }

    /// <summary>One row per workload of any run: ops/s and p50 of each run, and each later run's ratio to the first.</summary>
    public static string Format(IReadOnlyList<(string Name, BenchReport Report)> reports)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        foreach (var (name, report) in reports)
            sb.AppendLine(inv, $"{name}: {report.Endpoint}, concurrency {report.Concurrency}{(report.ServerSideEncryption is { } sse ? ", " + sse : "")}, {report.StartedAt:yyyy-MM-dd HH:mm}");
        sb.Append($"{"workload",-10}");
        foreach (var (name, _) in reports) sb.Append(inv, $" {Fit(name, 12) + " ops/s",18} {"p50 ms",8}");
        foreach (var (name, _) in reports.Skip(1)) sb.Append(inv, $" {Fit(name, 12) + " x",14}");
        sb.AppendLine();
        var workloads = reports.SelectMany(r => r.Report.Workloads.Select(w => w.Name)).Distinct();
        foreach (var workload in workloads)
        {
            var rows = reports.Select(r => r.Report.Workloads.FirstOrDefault(w => w.Name == workload)).ToList();
            sb.Append($"{workload,-10}");
            foreach (var row in rows)
                sb.Append(row is null ? $" {"-",18} {"-",8}" : string.Create(inv, $" {row.OpsPerSec,18:F1} {row.P50Ms,8:F2}"));
            var first = rows[0];
            foreach (var row in rows.Skip(1))
                sb.Append(first is null || row is null || first.OpsPerSec == 0 ? $" {"-",14}" : string.Create(inv, $" {row.OpsPerSec / first.OpsPerSec,14:F2}"));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..width];
}
