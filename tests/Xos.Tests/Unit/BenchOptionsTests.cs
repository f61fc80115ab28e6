using Xos.Server.Bench;

namespace Xos.Tests.Unit;

public sealed class BenchOptionsTests
{
    [Theory]
    [InlineData("4k", 4096)]
    [InlineData("1m", 1048576)]
    [InlineData("64MiB", 67108864)]
    [InlineData("1g", 1073741824)]
    [InlineData("100", 100)]
    public void SizesUseBinaryUnits(string text, long bytes) => Assert.Equal(bytes, BenchOptions.ParseSize(text));

    [Theory]
    [InlineData("0k")]
    [InlineData("-1m")]
    [InlineData("lots")]
    public void BadSizesAreRefused(string text) => Assert.Throws<ArgumentException>(() => BenchOptions.ParseSize(text));

    [Fact]
    public void OptionsParseWithDefaultsAndEnvironmentKeys()
    {
        var o = BenchOptions.Parse(["--endpoint", "http://127.0.0.1:9000", "--workloads", "put-4k,list", "--duration=2"],
            name => name switch { "XOS_ROOT_ACCESS_KEY" => "AK", "XOS_ROOT_SECRET_KEY" => "SK", _ => null });
        Assert.Equal(("AK", "SK", 8, TimeSpan.FromSeconds(2)), (o.AccessKey, o.SecretKey, o.Concurrency, o.Duration));
        Assert.Equal(["put-4k", "list"], o.Workloads.Select(w => w.Name));
        Assert.Equal(4096, o.Workloads[0].ObjectSize);
    }

    [Theory]
    [InlineData("--workloads", "delete-4k")]
    [InlineData("--concurrency", "0")]
    [InlineData("--frobnicate", "1")]
    public void BadArgumentsAreRefused(string flag, string value) =>
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--endpoint", "http://x:1", "--access-key", "a", "--secret-key", "b", flag, value], _ => null));

    [Fact]
    public void PercentilesAreNearestRank()
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.Equal((50.0, 99.0, 100.0), (BenchCommand.Percentile(sorted, 0.5), BenchCommand.Percentile(sorted, 0.99), BenchCommand.Percentile(sorted, 1.0)));
        Assert.Equal(0, BenchCommand.Percentile([], 0.5));
    }

    [Fact]
    public void CompareListsEveryWorkloadWithRatiosToTheFirstRun()
    {
        static WorkloadResult Row(string name, double opsPerSec, double p50) => new(name, 4096, 100, 1, opsPerSec, opsPerSec / 256, p50, p50, p50, p50, 0, null);
        var xos = new BenchReport("http://127.0.0.1:9000/", DateTimeOffset.UnixEpoch, 8, null, [Row("put-4k", 500, 10), Row("get-4k", 4000, 2)]);
        var other = new BenchReport("http://127.0.0.1:7480/", DateTimeOffset.UnixEpoch, 8, null, [Row("put-4k", 250, 20), Row("list", 10, 50)]);
        var lines = BenchCompare.Format([("xos", xos), ("rgw", other)]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("xos: http://127.0.0.1:9000/", lines[0]);
        Assert.Matches(@"^put-4k\s+500\.0\s+10\.00\s+250\.0\s+20\.00\s+0\.50$", lines[3]);
        Assert.Matches(@"^get-4k\s+4000\.0\s+2\.00\s+-\s+-\s+-$", lines[4]);
        Assert.Matches(@"^list\s+-\s+-\s+10\.0\s+50\.00\s+-$", lines[5]);
    }
}
