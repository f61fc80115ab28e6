using System.Diagnostics;
using System.Text.Json;
using Xos.Server.Bench;

namespace Xos.Tests.Integration;

/// <summary>`xos bench` against a real server, in each of its encryption modes: every request must succeed.</summary>
public sealed class BenchTests
{
    /// <summary>
    /// The media workloads: thumbnails of a 12-megapixel JPEG made anew each time and from the cache, and video snapshots;
    /// every request succeeds, the sources are kept in the folder for vipsthumbnail, and a thumbnail is a few KiB.
    /// </summary>
    [Fact]
    public async Task MediaWorkloadsRunWithoutErrors()
    {
        await using var server = await XosProcess.StartAsync();
        var files = Path.Combine(server.DataDirectory, "bench-media");
        var json = Path.Combine(server.DataDirectory, "media.json");
        var code = await Xos.Server.Cli.XosCommandLine.RunAsync(["bench", "--endpoint", server.Endpoint, "--access-key", XosProcess.AccessKey,
            "--secret-key", XosProcess.SecretKey, "--workloads", "thumbnail,thumbnail-cached,snapshot", "--ops", "6", "--duration", "600", "--concurrency", "2",
            "--json", json, "--no-progress", "--media-files", files]);
        Assert.Equal(0, code);
        var workloads = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("workloads").EnumerateArray()
            .ToDictionary(w => w.GetProperty("name").GetString()!);
        Assert.Equal(["thumbnail", "thumbnail-cached", "snapshot"], workloads.Keys);
        foreach (var (name, w) in workloads)
        {
            Assert.True(w.GetProperty("errors").GetInt64() == 0, $"{name}: {w.GetProperty("firstError")}");
            Assert.Equal(6, w.GetProperty("ops").GetInt64());
        }
        Assert.InRange(workloads["thumbnail-cached"].GetProperty("objectSize").GetInt64(), 1_000, 100_000);
        Assert.True(new FileInfo(Path.Combine(files, BenchMedia.Photo)).Length > 1_000_000);
        Assert.True(File.Exists(Path.Combine(files, BenchMedia.Video)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("SM4")]
    [InlineData("aws:kms")]
    [InlineData("SSE-C")]
    public async Task EveryEncryptionModeRunsWithoutErrors(string? sse)
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_ALLOW_INSECURE_SSE_C"] = "true" });
        var json = Path.Combine(server.DataDirectory, "bench.json");
        string[] args =
        [
            "--endpoint", server.Endpoint, "--access-key", XosProcess.AccessKey, "--secret-key", XosProcess.SecretKey,
            "--workloads", "put-4k,get-64k", "--ops", "20", "--duration", "600", "--concurrency", "2", "--json", json, "--no-progress",
            .. sse is null ? Array.Empty<string>() : ["--sse", sse],
        ];
        Assert.Equal(0, await Xos.Server.Cli.XosCommandLine.RunAsync(["bench", .. args]));
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
        Assert.Equal(sse, report.GetProperty("serverSideEncryption").GetString());
        foreach (var workload in report.GetProperty("workloads").EnumerateArray())
        {
            Assert.Equal(0, workload.GetProperty("errors").GetInt64());
            Assert.True(workload.GetProperty("ops").GetInt64() >= 20);
        }
    }

    /// <summary>
    /// `xos bench` as a user runs it, with its output going to a pipe: no progress line (nothing rewritten with \r) mixes into what
    /// is captured, and the run's JSON and HTML report carry its per-second samples and latency histogram.
    /// </summary>
    [Fact]
    public async Task ARedirectedRunPrintsNoProgressLineAndWritesItsReport()
    {
        await using var server = await XosProcess.StartAsync();
        var json = Path.Combine(server.DataDirectory, "run.json");
        var html = Path.Combine(server.DataDirectory, "run.html");
        var (exitCode, stdout, stderr) = await XosAdmin.RunXosAsync(["bench", "--endpoint", server.Endpoint, "--workloads", "put-4k,get-4k",
            "--duration", "1.5", "--concurrency", "2", "--json", json, "--html", html]);
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.DoesNotContain('\r', stdout + stderr);
        Assert.Matches(@"(?m)^get-4k\s+\d+", stdout);

        var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
        foreach (var workload in report.GetProperty("workloads").EnumerateArray())
        {
            var ops = workload.GetProperty("ops").GetInt64();
            Assert.True(ops > 0);
            Assert.Equal(ops, workload.GetProperty("timeline").EnumerateArray().Sum(s => s.GetProperty("ops").GetInt64()));
            Assert.Equal(ops, workload.GetProperty("histogram").GetProperty("counts").EnumerateArray().Sum(c => c.GetInt64()));
        }
        var page = await File.ReadAllTextAsync(html);
        foreach (var workload in new[] { "put-4k", "get-4k" })
            foreach (var chart in new[] { "throughput", "histogram", "percentiles" })
                Assert.Contains($"<figure class=\"chart\" data-chart=\"{chart}\" data-workload=\"{workload}\"><figcaption>", page);
        Assert.Equal(6, page.Split("<svg ").Length - 1);
    }

    /// <summary>`xos bench` notify-4k: PUTs with notifications off, and on over HTTP/1.1 and HTTP/2, in the same run, and the webhook's delivery rate.</summary>
    [Fact]
    public async Task TheNotifyWorkloadComparesWritesWithAndWithoutEventsAndCountsTheirDelivery()
    {
        await using var server = await XosProcess.StartAsync();
        var (exitCode, stdout, stderr) = await XosAdmin.RunXosAsync(["bench", "--endpoint", server.Endpoint, "--workloads", "notify-4k",
            "--duration", "1.5", "--concurrency", "2"]);
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Matches(@"(?m)^notify-4k-off\s+[1-9]\d*", stdout);
        Assert.Matches(@"(?m)^notify-4k-on\s+[1-9]\d*", stdout);
        Assert.Matches(@"(?m)^notify-4k-on-h2\s+[1-9]\d*", stdout);
        var lines = System.Text.RegularExpressions.Regex.Matches(stdout, @"on/off throughput [\d.]+ \(webhook over (HTTP/[\d.]+)\); the webhook received (\d+) of (\d+) events");
        Assert.True(lines.Count == 2, stdout);
        Assert.Equal(["HTTP/1.1", "HTTP/2"], lines.Select(l => l.Groups[1].Value));
        Assert.All(lines, l => Assert.Equal(l.Groups[3].Value, l.Groups[2].Value)); // every event of each run arrived
        // The bench leaves no target behind.
        Assert.DoesNotContain("arn:xos:sqs::bench", await XosAdmin.RunAsync(server, "notify", "list"));
    }

    /// <summary>`xos bench cipher`: both algorithms seal and open the chunk format, and their speed is printed.</summary>
    [Fact]
    public async Task TheCipherBenchMeasuresBothAlgorithms()
    {
        Assert.Equal(2, (await XosAdmin.RunXosAsync(["bench", "cipher", "--size", "1k"])).ExitCode);
        foreach (var implementation in new[] { "managed", "auto" })
        {
            var (exitCode, stdout, stderr) = await XosAdmin.RunXosAsync(["bench", "cipher", "--size", "2m"],
                new Dictionary<string, string> { ["XOS_SM4"] = implementation });
            Assert.True(exitCode == 0, stderr);
            if (implementation == "managed") Assert.Contains("SM4 through BouncyCastle", stdout);
            foreach (var algorithm in new[] { "AES256", "SM4" })
            {
                var line = stdout.Split('\n').Single(l => l.StartsWith(algorithm + " ", StringComparison.Ordinal));
                var figures = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
                Assert.Equal(2, figures.Length);
                Assert.All(figures, f => Assert.True(double.Parse(f, System.Globalization.CultureInfo.InvariantCulture) > 0, line));
            }
        }
    }

    /// <summary>`xos bench ceiling`: any GET gets SIZE bytes, anything else an empty 200, so `xos bench get-4k` runs against it too.</summary>
    [Fact]
    public async Task TheCeilingServerAnswersGetsWithItsBodyAndCarriesABenchRun()
    {
        Assert.Equal(2, (await XosAdmin.RunXosAsync(["bench", "ceiling", "--listen", "localhost"])).ExitCode);
        var port = XosProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { XosProcess.ServerDll, "bench", "ceiling", "--listen", $"127.0.0.1:{port}", "--size", "4k" }) psi.ArgumentList.Add(a);
        using var ceiling = Process.Start(psi)!;
        try
        {
            Assert.StartsWith("ceiling listening on", await ceiling.StandardOutput.ReadLineAsync());
            using var http = new HttpClient();
            Assert.Equal(4096, (await http.GetByteArrayAsync($"http://127.0.0.1:{port}/any/key?x=1")).Length);
            using var put = await http.PutAsync($"http://127.0.0.1:{port}/bucket/key", new ByteArrayContent(new byte[100_000]));
            Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);

            var json = Path.Combine(Path.GetTempPath(), $"xos-ceiling-{Guid.NewGuid():N}.json");
            Assert.Equal(0, await Xos.Server.Cli.XosCommandLine.RunAsync(["bench", "--endpoint", $"http://127.0.0.1:{port}", "--access-key", "a", "--secret-key", "b",
                "--workloads", "get-4k", "--ops", "50", "--duration", "600", "--concurrency", "2", "--json", json, "--no-progress"]));
            var workload = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("workloads")[0];
            File.Delete(json);
            Assert.Equal((50L, 0L), (workload.GetProperty("ops").GetInt64(), workload.GetProperty("errors").GetInt64()));
        }
        finally
        {
            ceiling.Kill();
            await ceiling.WaitForExitAsync();
        }
    }
}
