using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Xos.Server.Bench;

namespace Xos.Tests.Unit;

/// <summary>The results format of `xos bench` (timeline and latency histogram) and the HTML report drawn from it.</summary>
public sealed class BenchReportTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>A run saved before timelines and histograms were recorded, as `xos bench --json` wrote it then.</summary>
    private const string OldFormatRun = """
        {
          "endpoint": "http://127.0.0.1:7480/",
          "startedAt": "2025-01-02T03:04:05+00:00",
          "concurrency": 8,
          "serverSideEncryption": null,
          "workloads": [
            { "name": "put-4k", "objectSize": 4096, "ops": 1000, "seconds": 5, "opsPerSec": 200, "mibPerSec": 0.8,
              "p50Ms": 30, "p90Ms": 50, "p99Ms": 90, "maxMs": 120, "errors": 0, "firstError": null },
            { "name": "get-4k", "objectSize": 4096, "ops": 9000, "seconds": 5, "opsPerSec": 1800, "mibPerSec": 7,
              "p50Ms": 3, "p90Ms": 6, "p99Ms": 12, "maxMs": 40, "errors": 2, "firstError": "HTTP 503: SlowDown" }
          ]
        }
        """;

    private static WorkloadResult Recorded(string name, long size, double opsPerSec, double p50)
    {
        var counts = new long[LatencyHistogram.BucketCount];
        counts[LatencyHistogram.BucketOf(p50 / 2)] = 10;
        counts[LatencyHistogram.BucketOf(p50)] = 50;
        counts[LatencyHistogram.BucketOf(p50 * 4)] = 5;
        TimelineSample[] timeline = [new(1.0, (long)opsPerSec, 0), new(2.0, (long)opsPerSec + 10, 1), new(2.5, (long)opsPerSec / 2, 0)];
        return new WorkloadResult(name, size, 65, 2.5, opsPerSec, opsPerSec * size / (1 << 20), p50, p50 * 2, p50 * 4, p50 * 5, 1, "HTTP 500: x",
            timeline, LatencyHistogram.FromCounts(counts));
    }

    private static XDocument Parse(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static IEnumerable<XElement> Figures(XDocument page, string workload, string chart) =>
        page.Descendants().Where(e => e.Name.LocalName == "figure" && (string?)e.Attribute("data-workload") == workload && (string?)e.Attribute("data-chart") == chart);

    private static List<string?> RunsDrawn(XElement figure) =>
        figure.Descendants(Svg + "g").Select(g => (string?)g.Attribute("data-run")).ToList();

    [Fact]
    public void TheHtmlReportDrawsEveryChartOfEveryWorkloadForEveryRun()
    {
        var xos = new BenchReport("http://127.0.0.1:9000/", DateTimeOffset.UnixEpoch, 8, null,
            [Recorded("put-4k", 4096, 500, 10), Recorded("get-4k", 4096, 4000, 1.5), Recorded("get-64m", 64 << 20, 20, 300)]);
        var other = new BenchReport("http://127.0.0.1:7480/", DateTimeOffset.UnixEpoch, 8, "SM4", [Recorded("put-4k", 4096, 250, 20), Recorded("get-4k", 4096, 3000, 2)]);
        var page = Parse(BenchHtml.Render([("xos", xos), ("rgw <&>", other)]));

        foreach (var workload in new[] { "put-4k", "get-4k", "get-64m" })
        {
            var expected = workload == "get-64m" ? new[] { "xos" } : ["xos", "rgw <&>"];
            foreach (var chart in new[] { "throughput", "histogram", "percentiles" })
            {
                var figure = Assert.Single(Figures(page, workload, chart));
                Assert.Single(figure.Elements(Svg + "svg"));
                Assert.Equal(expected, RunsDrawn(figure));
            }
            // Throughput: one point per sample of at least a quarter second, each with its value; big objects in MiB/s.
            var throughput = Figures(page, workload, "throughput").Single();
            Assert.All(throughput.Descendants(Svg + "polyline"), p => Assert.Equal(3, p.Attribute("points")!.Value.Split(' ').Length));
            Assert.Contains(workload == "get-64m" ? "MiB/s" : "ops/s", throughput.Element("figcaption")!.Value);
            // Histogram: the three non-empty buckets of each run, with their share of requests.
            var histogram = Figures(page, workload, "histogram").Single();
            Assert.All(histogram.Descendants(Svg + "g"), g => Assert.Equal(3, g.Elements(Svg + "rect").Count()));
            Assert.Contains(histogram.Descendants(Svg + "title"), t => t.Value.Contains("50 requests (76.9%)"));
            // Percentiles: four bars a run, and each run's figures in the table beside the charts.
            Assert.All(Figures(page, workload, "percentiles").Single().Descendants(Svg + "g"), g => Assert.Equal(4, g.Elements(Svg + "rect").Count()));
        }
        var getSection = page.Descendants().Single(e => e.Name.LocalName == "section" && (string?)e.Attribute("data-workload") == "get-4k");
        var tableText = getSection.Descendants().Single(e => e.Name.LocalName == "table").Value;
        Assert.Contains("4000", tableText);
        Assert.Contains("3000", tableText);
        // The summary's ratio to the first run, and the runs themselves embedded as JSON.
        Assert.Contains(page.Descendants().Where(e => e.Name.LocalName == "td"), td => td.Value == "0.75");
        var data = page.Descendants().Single(e => e.Name.LocalName == "script" && (string?)e.Attribute("id") == "bench-data");
        var runs = JsonDocument.Parse(data.Value).RootElement;
        Assert.Equal(2, runs.GetArrayLength());
        Assert.Equal(3, runs[0].GetProperty("workloads")[1].GetProperty("timeline").GetArrayLength());
        Assert.Equal("SM4", runs[1].GetProperty("serverSideEncryption").GetString());
        Assert.DoesNotContain(page.Descendants(), e => e.Name.LocalName is "link" || e.Attribute("src") is not null);
    }

    [Fact]
    public async Task RunsSavedBeforeTimelinesStillLoadForCompareAndHtml()
    {
        var dir = Directory.CreateTempSubdirectory("xos-bench-old-").FullName;
        try
        {
            var old = Path.Combine(dir, "rgw.json");
            await File.WriteAllTextAsync(old, OldFormatRun);
            var fresh = Path.Combine(dir, "xos.json");
            await File.WriteAllTextAsync(fresh, JsonSerializer.Serialize(new BenchReport("http://127.0.0.1:9000/", DateTimeOffset.UnixEpoch, 8, null,
                [Recorded("put-4k", 4096, 500, 10)]), BenchJson.Default.BenchReport));

            var runs = await BenchRuns.LoadAsync([fresh, old]);
            Assert.NotNull(runs);
            var rgw = runs[1].Report;
            Assert.Equal((1800.0, 2L, "HTTP 503: SlowDown"), (rgw.Workloads[1].OpsPerSec, rgw.Workloads[1].Errors, rgw.Workloads[1].FirstError));
            Assert.Null(rgw.Workloads[0].Timeline);
            Assert.Null(rgw.Workloads[0].Histogram);
            Assert.Matches(@"(?m)^put-4k\s+500\.0\s+10\.00\s+200\.0\s+30\.00\s+0\.40\s*$", BenchCompare.Format(runs));

            var html = Path.Combine(dir, "report.html");
            Assert.Equal(0, await Xos.Server.Cli.XosCommandLine.RunAsync(["bench", "report", html, fresh, old]));
            var page = Parse(await File.ReadAllTextAsync(html));
            Assert.Equal(["xos"], RunsDrawn(Figures(page, "put-4k", "throughput").Single()));
            Assert.Contains("no per-second samples", Figures(page, "get-4k", "throughput").Single().Value);
            Assert.Contains("no latency histogram", Figures(page, "get-4k", "histogram").Single().Value);
            Assert.Equal(["rgw"], RunsDrawn(Figures(page, "get-4k", "percentiles").Single()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task AReportOfRunsThatCannotBeReadFailsWithoutWritingOne()
    {
        var html = Path.Combine(Path.GetTempPath(), $"xos-bench-{Guid.NewGuid():N}.html");
        Assert.Equal(1, await Xos.Server.Cli.XosCommandLine.RunAsync(["bench", "report", html, Path.Combine(Path.GetTempPath(), "no-such-run.json")]));
        Assert.False(File.Exists(html));
    }

    [Theory]
    [InlineData(0.004)]
    [InlineData(0.0125)]
    [InlineData(1.0)]
    [InlineData(1.3)]
    [InlineData(99.9)]
    [InlineData(100.0)]
    [InlineData(4321.0)]
    public void LatenciesFallInTheBucketThatBoundsThem(double ms)
    {
        var bucket = LatencyHistogram.BucketOf(ms);
        Assert.True(ms <= LatencyHistogram.UpperBound(bucket) * 1.0001, $"{ms} above bucket {bucket}");
        Assert.True(bucket == 0 || ms > LatencyHistogram.UpperBound(bucket - 1), $"{ms} belongs below bucket {bucket}");
    }
}
