using System.Net;
using Xos.Server.Hosting;

namespace Xos.Tests.Unit;

public sealed class ServerOptionsTests
{
    private static ServerOptions Parse(string[] args, Dictionary<string, string>? env = null) =>
        ServerOptions.Parse(args, name => env is not null && env.TryGetValue(name, out var v) ? v : null);

    [Fact]
    public void TheMetricsAddressComesFromItsFlagOrTheEnvironmentAndIsOffByDefault()
    {
        Assert.Null(Parse([]).MetricsAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9100), Parse(["--metrics-address", "127.0.0.1:9100"]).MetricsAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 9100), Parse([], new() { ["XOS_METRICS_ADDRESS"] = "0.0.0.0:9100" }).MetricsAddress);
        Assert.Equal(9101, Parse(["--metrics-address=localhost:9101"], new() { ["XOS_METRICS_ADDRESS"] = "0.0.0.0:9100" }).MetricsAddress!.Port);
    }

    [Fact]
    public void AMetricsAddressOnTheS3PortOrMalformedIsRefusedWithTheFlagsName()
    {
        var same = Assert.Throws<ArgumentException>(() => Parse(["--address", "127.0.0.1:9000", "--metrics-address", "0.0.0.0:9000"]));
        Assert.Contains("another port", same.Message);
        var malformed = Assert.Throws<ArgumentException>(() => Parse(["--metrics-address", "nine"]));
        Assert.StartsWith("xos server: --metrics-address: must be HOST:PORT", malformed.Message);
    }
}
