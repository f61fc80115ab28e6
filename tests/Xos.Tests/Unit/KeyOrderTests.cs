using Xos.Server.Objects;
using Xos.Server.Storage;

namespace Xos.Tests.Unit;

public sealed class KeyOrderTests
{
    [Fact]
    public void PrefixUpperBoundIsTheNextByteString()
    {
        Assert.Equal("abd"u8.ToArray(), KeyRange.PrefixUpperBound("abc"u8.ToArray()));
        Assert.Equal(new byte[] { 0x62 }, KeyRange.PrefixUpperBound([0x61, 0xFF, 0xFF]));
        Assert.Null(KeyRange.PrefixUpperBound([]));
        Assert.Null(KeyRange.PrefixUpperBound([0xFF]));
    }

    [Fact]
    public void Utf8OrderDiffersFromUtf16OrderAboveTheSurrogates()
    {
        // U+FF01 sorts after U+1F600 in UTF-16 code units (0xFF01 > 0xD83D) but before it in UTF-8 bytes.
        Assert.True(string.CompareOrdinal("\uFF01", "\U0001F600") > 0);
        Assert.True(KeyRange.Compare("\uFF01", "\U0001F600") < 0);
    }

    [Theory]
    [InlineData("photos/2024/", false)]
    [InlineData("中文/文件", true)]
    [InlineData("", false)]
    public void ContinuationTokensRoundTrip(string key, bool isPrefix)
    {
        var token = ListObjects.EncodeToken(key == "" ? "x" : key, isPrefix);
        Assert.Equal((key == "" ? "x" : key, isPrefix), ListObjects.DecodeToken(token));
    }

    [Fact]
    public void ForgedContinuationTokenIsInvalidArgument()
    {
        var e = Assert.Throws<Xos.Server.Protocol.S3Exception>(() => ListObjects.DecodeToken("!!not-a-token!!"));
        Assert.Equal("InvalidArgument", e.Code);
    }

    [Fact]
    public void UrlEncodingKeepsSlashesAndEncodesEverythingElse() =>
        Assert.Equal("a/b%20c%2Bd%E4%B8%AD", ListObjects.UrlEncode("a/b c+d中"));
}
