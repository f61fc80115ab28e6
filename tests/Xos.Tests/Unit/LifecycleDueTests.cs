using Xos.Server.Background;

namespace Xos.Tests.Unit;

public sealed class LifecycleDueTests
{
    [Theory]
    // AWS's own example: created 2014-01-15 10:30 UTC with a 3-day rule expires 2014-01-19 00:00 UTC.
    [InlineData("2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z")]
    [InlineData("2014-01-15T23:59:59Z", 1, "2014-01-17T00:00:00Z")]
    [InlineData("2014-01-15T00:00:00Z", 1, "2014-01-17T00:00:00Z")]
    public void DaysCountFromTheNextMidnightUtc(string created, int days, string due) =>
        Assert.Equal(DateTimeOffset.Parse(due), LifecycleOptions.Due(DateTimeOffset.Parse(created), days, TimeSpan.FromDays(1)));

    [Fact]
    public void AShortenedDayRoundsToTheNextMultipleOfItsLength()
    {
        var tenSeconds = TimeSpan.FromSeconds(10);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_040),
            LifecycleOptions.Due(DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_012.5), 2, tenSeconds));
    }
}
