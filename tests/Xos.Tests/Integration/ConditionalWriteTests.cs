using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>If-None-Match: * and If-Match on PutObject and CompleteMultipartUpload, checked atomically with the write.</summary>
[Collection(XosCollection.Name)]
public sealed class ConditionalWriteTests(XosFixture fixture)
{
    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("cond");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    [Fact]
    public async Task OfRacingCreateOnlyWritersExactlyOneWins()
    {
        var (s3, bucket) = await NewBucketAsync();
        for (var round = 0; round < 5; round++)
        {
            var key = $"race-{round}";
            var writers = Enumerable.Range(0, 8).Select(async i =>
            {
                try
                {
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"writer {i}", IfNoneMatch = "*" });
                    return (Won: true, Body: $"writer {i}");
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed && e.ErrorCode == "PreconditionFailed")
                {
                    return (Won: false, Body: "");
                }
            }).ToList();
            var results = await Task.WhenAll(writers);
            var winner = Assert.Single(results, r => r.Won);
            using var got = await s3.GetObjectAsync(bucket, key);
            Assert.Equal(winner.Body, await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }
    }

    [Fact]
    public async Task IfMatchWritesOnlyOverTheNamedVersion()
    {
        var (s3, bucket) = await NewBucketAsync();
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfMatch = "\"0123\"" }));
        Assert.Equal(("NoSuchKey", HttpStatusCode.NotFound), (missing.ErrorCode, missing.StatusCode));
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" });
        var second = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "two", IfMatch = first.ETag });
        var stale = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "three", IfMatch = first.ETag }));
        Assert.Equal(("PreconditionFailed", HttpStatusCode.PreconditionFailed), (stale.ErrorCode, stale.StatusCode));
        var exists = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "four", IfNoneMatch = "*" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, exists.StatusCode);
        using var got = await s3.GetObjectAsync(bucket, "k");
        Assert.Equal(second.ETag, got.ETag);
        // A delete marker is no current object: a create-only write succeeds over it.
        await s3.DeleteObjectAsync(bucket, "k");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "five", IfNoneMatch = "*" });
    }

    [Fact]
    public async Task CompleteMultipartUploadHonoursIfNoneMatch()
    {
        var (s3, bucket) = await NewBucketAsync();
        var init = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[100]) });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "mp", ContentBody = "written meanwhile" });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, part.ETag)], IfNoneMatch = "*",
        }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.StatusCode);
        // The upload is still there: it can be completed without the condition.
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, part.ETag)] });
        Assert.Equal(100, (await s3.GetObjectMetadataAsync(bucket, "mp")).ContentLength);
    }
}
