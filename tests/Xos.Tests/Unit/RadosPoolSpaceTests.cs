using Xos.Server.Storage.Rados;

namespace Xos.Tests.Unit;

/// <summary>The pool's free space from the monitors' `df detail` JSON: MAX AVAIL, or the rest of a quota when that is less.</summary>
public sealed class RadosPoolSpaceTests
{
    private static string Df(long stored, long maxAvail, long quota) =>
        $$$"""{"stats":{"total_bytes":1},"pools":[{"name":"other","id":1,"stats":{"stored":5,"max_avail":7,"quota_bytes":0}},""" +
        $$$"""{"name":"xos","id":2,"stats":{"stored":{{{stored}}},"objects":3,"max_avail":{{{maxAvail}}},"quota_objects":0,"quota_bytes":{{{quota}}}}}]}""";

    [Theory]
    [InlineData(1000, 5000, 0, 5000, 6000)] // no quota: MAX AVAIL, of what it holds plus that
    [InlineData(1000, 5000, 3000, 2000, 3000)] // the quota is closer
    [InlineData(1000, 1500, 3000, 1500, 3000)] // the OSDs are closer than the quota
    [InlineData(4000, 5000, 3000, 0, 3000)] // over its quota (quotas are enforced with a delay): nothing, not a negative
    public void AvailableIsTheLesserOfMaxAvailAndWhatTheQuotaLeaves(long stored, long maxAvail, long quota, long available, long total) =>
        Assert.Equal((available, total), RadosPoolSpace.Parse(Df(stored, maxAvail, quota), "xos"));

    [Fact]
    public void APoolTheMonitorsDoNotListOrAFigureMissingIsAnError()
    {
        Assert.Throws<InvalidDataException>(() => RadosPoolSpace.Parse(Df(1, 2, 0), "nope"));
        Assert.Throws<InvalidDataException>(() => RadosPoolSpace.Parse("""{"pools":[{"name":"xos","stats":{"stored":1}}]}""", "xos"));
    }
}
