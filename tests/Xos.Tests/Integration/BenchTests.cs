using System.Text.Json;
using Xos.Server.Bench;

namespace Xos.Tests.Integration;

/// <summary>`xos bench` against a real server, in each of its encryption modes: every request must succeed.</summary>
public sealed class BenchTests
{
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
            "--workloads", "put-4k,get-64k", "--ops", "20", "--concurrency", "2", "--json", json, "--no-progress",
            .. sse is null ? Array.Empty<string>() : ["--sse", sse],
        ];
        Assert.Equal(0, await BenchCommand.RunAsync(args));
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
        Assert.Equal(sse, report.GetProperty("serverSideEncryption").GetString());
        foreach (var workload in report.GetProperty("workloads").EnumerateArray())
        {
            Assert.Equal(0, workload.GetProperty("errors").GetInt64());
            Assert.True(workload.GetProperty("ops").GetInt64() >= 20);
        }
    }
}
