using Xos.Server.Protocol;

namespace Xos.Tests.Unit;

public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10)]
    [InlineData("bytes=10-", 100, 10, 90)]
    [InlineData("bytes=-10", 100, 90, 10)]
    [InlineData("bytes=-1000", 100, 0, 100)]
    [InlineData("bytes=90-1000", 100, 90, 10)]
    [InlineData("bytes=99-99", 100, 99, 1)]
    public void SatisfiableRanges(string header, long size, long offset, long length) =>
        Assert.Equal(new ByteRange(offset, length), ByteRange.Parse(header, size));

    [Theory]
    [InlineData(null)]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=0-1,4-5")]
    [InlineData("items=0-1")]
    [InlineData("bytes=a-b")]
    public void MalformedRangesMeanTheWholeObject(string? header) => Assert.Null(ByteRange.Parse(header, 100));

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=0-", 0)]
    public void UnsatisfiableRangesAre416(string header, long size)
    {
        var e = Assert.Throws<S3Exception>(() => ByteRange.Parse(header, size));
        Assert.Equal("InvalidRange", e.Code);
        Assert.Equal(416, e.Status);
    }
}
