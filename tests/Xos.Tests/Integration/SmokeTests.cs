using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class SmokeTests(XosFixture fixture)
{
    [Fact]
    public async Task PutThenGetReturnsTheSameBytesAndHeaders()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("smoke");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hello.txt", ContentBody = "hello", ContentType = "text/plain" });
        using var got = await s3.GetObjectAsync(bucket, "hello.txt");
        using var reader = new StreamReader(got.ResponseStream);
        Assert.Equal("hello", await reader.ReadToEndAsync());
        Assert.Equal("text/plain", got.Headers.ContentType);
        Assert.Equal("\"5d41402abc4b2a76b9719d911017c592\"", got.ETag);
    }

    [Fact]
    public async Task MissingKeyIsNoSuchKey()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("smoke");
        await s3.PutBucketAsync(bucket);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "absent"));
        Assert.Equal("NoSuchKey", e.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, e.StatusCode);
    }
}
