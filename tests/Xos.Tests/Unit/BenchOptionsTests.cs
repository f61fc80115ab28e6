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
}
