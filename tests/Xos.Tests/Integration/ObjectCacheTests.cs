using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// The object cache (--object-cache) never serves what a write it acknowledged replaced: overwrites, deletes, delete
/// markers, ACL and tag changes, copies and multipart completions onto the key, a bucket deleted and made again, and
/// `xos admin --data` changing the database beside the server. Each runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
/// </summary>
[Collection(XosCollection.Name)]
public sealed class ObjectCacheTests(XosFixture fixture)
{
    private static readonly HttpClient Anonymous = new();

    private async Task<(AmazonS3Client S3, string Bucket)> BucketAsync(bool versioned = false)
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("cache");
        await s3.PutBucketAsync(bucket);
        if (versioned)
            await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
                { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        return (s3, bucket);
    }

    private static async Task<string> TextAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var got = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(got.ResponseStream).ReadToEndAsync();
    }

    [Theory]
    [InlineData(4096, false)]   // kept inline in the metadata row
    [InlineData(40_000, false)] // a blob of its own, its body cached by blob id
    [InlineData(4096, true)]    // deletes leave delete markers
    [InlineData(40_000, true)]
    public async Task NoReadAfterAnAcknowledgedWriteReturnsTheOldBytes(int size, bool versioned)
    {
        var (s3, bucket) = await BucketAsync(versioned);
        var readers = Enumerable.Range(0, 3).Select(_ => (IAmazonS3)fixture.Server.CreateClient()).ToList();
        // 59 steps: the last is a PUT, and the one before it too.
        var versions = await ObjectCacheRace.RunAsync(s3, readers, bucket, "hot", size, steps: 59);
        if (!versioned) return;
        // Every version is still read by its id, each its own bytes, the cached ones included.
        foreach (var (step, versionId) in versions)
        {
            Assert.Equal(step, await ObjectCacheRace.ReadAsync(s3, bucket, "hot", size, versionId));
            Assert.Equal(step, await ObjectCacheRace.ReadAsync(s3, bucket, "hot", size, versionId));
        }
        // Removing the latest version by id brings the one before back at once.
        var last = versions.Keys.Max();
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "hot", VersionId = versions[last] });
        Assert.Equal(versions.Keys.Where(k => k < last).Max(), await ObjectCacheRace.ReadAsync(s3, bucket, "hot", size));
    }

    [Fact]
    public async Task AnAclChangeTakesEffectOnTheNextAnonymousRead()
    {
        var (s3, bucket) = await BucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pic", ContentBody = "public", CannedACL = S3CannedACL.PublicRead });
        var url = $"{fixture.Server.Endpoint}/{bucket}/pic";
        for (var i = 0; i < 3; i++) Assert.Equal("public", await Anonymous.GetStringAsync(url));
        await s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "pic", ACL = S3CannedACL.Private });
        Assert.Equal(HttpStatusCode.Forbidden, (await Anonymous.GetAsync(url)).StatusCode);
        await s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "pic", ACL = S3CannedACL.PublicRead });
        Assert.Equal("public", await Anonymous.GetStringAsync(url));
        // A bucket policy that denies is a bucket change: it applies at once too.
        await s3.PutBucketPolicyAsync(bucket, $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"}]}
            """);
        Assert.Equal(HttpStatusCode.Forbidden, (await Anonymous.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task TagsConditionsAndRangesFollowTheLatestWrite()
    {
        var (s3, bucket) = await BucketAsync();
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "doc", ContentBody = "first version" });
        using (var got = await s3.GetObjectAsync(bucket, "doc")) Assert.Equal(0, got.TagCount);
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest
            { BucketName = bucket, Key = "doc", Tagging = new Tagging { TagSet = [new Tag { Key = "a", Value = "1" }, new Tag { Key = "b", Value = "2" }] } });
        using (var got = await s3.GetObjectAsync(bucket, "doc")) Assert.Equal(2, got.TagCount);

        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "doc", EtagToNotMatch = first.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        var second = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "doc", ContentBody = "SECOND version" });
        using (var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "doc", EtagToNotMatch = first.ETag }))
        {
            Assert.Equal(second.ETag, got.ETag);
            Assert.Equal("SECOND version", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }
        using (var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "doc", ByteRange = new ByteRange(0, 5) }))
            Assert.Equal("SECOND", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        var failed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "doc", EtagToMatch = first.ETag }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
        Assert.Equal(second.ETag, (await s3.GetObjectMetadataAsync(bucket, "doc")).ETag);
    }

    [Fact]
    public async Task CopiesAndMultipartCompletionsOntoAReadKeyReplaceItAtOnce()
    {
        var (s3, bucket) = await BucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "original" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "source", ContentBody = "copied over" });
        Assert.Equal("original", await TextAsync(s3, bucket, "k"));
        await s3.CopyObjectAsync(bucket, "source", bucket, "k");
        Assert.Equal("copied over", await TextAsync(s3, bucket, "k"));

        var upload = await s3.InitiateMultipartUploadAsync(bucket, "k");
        var part1 = new string('x', 5 << 20);
        var etags = new List<PartETag>();
        for (var n = 1; n <= 2; n++)
        {
            var part = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartNumber = n,
                InputStream = new MemoryStream(Encoding.ASCII.GetBytes(n == 1 ? part1 : "tail")),
            });
            etags.Add(new PartETag(n, part.ETag));
        }
        Assert.Equal("copied over", await TextAsync(s3, bucket, "k"));
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartETags = etags });
        Assert.Equal(part1 + "tail", await TextAsync(s3, bucket, "k"));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "small again" });
        Assert.Equal("small again", await TextAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task ABucketDeletedAndMadeAgainHasNoneOfItsObjects()
    {
        var (s3, bucket) = await BucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "before" });
        Assert.Equal("before", await TextAsync(s3, bucket, "k"));
        await s3.DeleteObjectAsync(bucket, "k");
        await s3.DeleteBucketAsync(bucket);
        Assert.Equal("NoSuchBucket", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"))).ErrorCode);
        await s3.PutBucketAsync(bucket);
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"))).ErrorCode);
    }

    [Fact]
    public async Task EncryptedObjectsAreReadFreshAfterAnOverwrite()
    {
        var (s3, bucket) = await BucketAsync();
        for (var i = 0; i < 3; i++)
        {
            var body = new string((char)('a' + i), 30_000);
            await s3.PutObjectAsync(new PutObjectRequest
                { BucketName = bucket, Key = "sealed", ContentBody = body, ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
            Assert.Equal(body, await TextAsync(s3, bucket, "sealed"));
            Assert.Equal(body, await TextAsync(s3, bucket, "sealed"));
        }
    }
}
