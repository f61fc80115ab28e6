using System.Security.Cryptography;
using Xos.Server.Protocol;

namespace Xos.Tests.Unit;

public sealed class ETagTests
{
    [Fact]
    public void MultipartETagIsTheMd5OfTheBinaryPartMd5sWithTheCount()
    {
        var p1 = MD5.HashData("part one"u8);
        var p2 = MD5.HashData("part two"u8);
        var expected = Convert.ToHexStringLower(MD5.HashData(p1.Concat(p2).ToArray())) + "-2";
        Assert.Equal(expected, ETags.Multipart([Convert.ToHexStringLower(p1), Convert.ToHexStringLower(p2)], 2));
    }

    [Theory]
    [InlineData("\"abc\"", "abc", true)]
    [InlineData("*", "abc", true)]
    [InlineData("\"x\", \"abc\"", "abc", true)]
    [InlineData("W/\"abc\"", "abc", true)]
    [InlineData("\"abd\"", "abc", false)]
    public void ConditionalHeaderMatching(string header, string etag, bool matches) => Assert.Equal(matches, ETags.Matches(header, etag));
}
