using Xos.Server.Buckets;

namespace Xos.Tests.Unit;

public sealed class BucketNameTests
{
    [Theory]
    [InlineData("abc")]
    [InlineData("my-bucket.media")]
    [InlineData("1bucket")]
    public void ValidNames(string name) => Assert.True(BucketNames.IsValid(name));

    [Theory]
    [InlineData("ab")]
    [InlineData("MyBucket")]
    [InlineData("my_bucket")]
    [InlineData("-bucket")]
    [InlineData("bucket-")]
    [InlineData("my..bucket")]
    [InlineData("my.-bucket")]
    [InlineData("192.168.5.4")]
    [InlineData("xn--bucket")]
    [InlineData("bucket-s3alias")]
    public void InvalidNames(string name) => Assert.False(BucketNames.IsValid(name));

    [Fact]
    public void LengthLimitsAre3To63()
    {
        Assert.True(BucketNames.IsValid(new string('a', 63)));
        Assert.False(BucketNames.IsValid(new string('a', 64)));
    }
}
