using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class VersioningTests(XosFixture fixture)
{
    private async Task<(AmazonS3Client S3, string Bucket)> VersionedBucketAsync()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("ver");
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        return (s3, bucket);
    }

    private static async Task<string> BodyAsync(AmazonS3Client s3, string bucket, string key, string? versionId = null)
    {
        using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
        return await new StreamReader(r.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task EveryWriteGetsAVersionAndDeleteAddsAMarker()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        Assert.Equal(VersionStatus.Enabled, (await s3.GetBucketVersioningAsync(bucket)).VersioningConfig.Status);
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" })).VersionId;
        var v2 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "two" })).VersionId;
        Assert.NotEqual(v1, v2);
        Assert.Equal("two", await BodyAsync(s3, bucket, "k"));
        Assert.Equal("one", await BodyAsync(s3, bucket, "k", v1));

        var deleted = await s3.DeleteObjectAsync(bucket, "k");
        Assert.Equal("true", deleted.DeleteMarker);
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal(("NoSuchKey", HttpStatusCode.NotFound), (gone.ErrorCode, gone.StatusCode));
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        var marker = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = deleted.VersionId }));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, marker.StatusCode);

        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
        Assert.Equal([deleted.VersionId, v2, v1], versions.Versions.Select(v => v.VersionId));
        Assert.Equal([true, false, false], versions.Versions.Select(v => v.IsLatest ?? false));
        Assert.True(versions.Versions[0].IsDeleteMarker);

        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = deleted.VersionId });
        Assert.Equal("two", await BodyAsync(s3, bucket, "k"));
        var noVersion = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = "nope" }));
        Assert.Equal(("NoSuchVersion", HttpStatusCode.NotFound), (noVersion.ErrorCode, noVersion.StatusCode));
        var notEmpty = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync(bucket));
        Assert.Equal("BucketNotEmpty", notEmpty.ErrorCode);
    }

    [Fact]
    public async Task SuspendedVersioningWritesTheNullVersion()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        var kept = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "versioned" })).VersionId;
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Suspended } });
        // Writes in a suspended bucket name no version, as in unversioned buckets; listings show the "null" version.
        Assert.Null((await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "null 1" })).VersionId);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "null 2" });
        var versions = (await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket })).Versions;
        Assert.Equal(["null", kept], versions.Select(v => v.VersionId));
        Assert.Equal("null 2", await BodyAsync(s3, bucket, "k"));
        Assert.Equal("versioned", await BodyAsync(s3, bucket, "k", kept));
    }

    [Fact]
    public async Task ListVersionsPaginatesWithKeyAndVersionMarkers()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        var written = new List<(string Key, string Version)>();
        foreach (var key in new[] { "a", "b" })
            for (var i = 0; i < 5; i++)
                written.Add((key, (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"{key}{i}" })).VersionId));
        var expected = written.Where(w => w.Key == "a").Reverse().Concat(written.Where(w => w.Key == "b").Reverse()).ToList();
        var seen = new List<(string, string)>();
        string? keyMarker = null, versionMarker = null;
        do
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = 3, KeyMarker = keyMarker, VersionIdMarker = versionMarker });
            seen.AddRange(page.Versions.Select(v => (v.Key, v.VersionId)));
            (keyMarker, versionMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextVersionIdMarker) : (null, null);
        } while (keyMarker is not null);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListVersionsContinuesAfterAMarkerWhoseVersionWasDeleted()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        foreach (var key in new[] { "a", "b" })
            for (var i = 0; i < 4; i++)
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"{key}{i}" });
        await s3.DeleteObjectAsync(bucket, "b");
        // Delete each page before asking for the next, as clean-up tools do.
        string? keyMarker = null, versionMarker = null;
        var deleted = 0;
        do
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = 3, KeyMarker = keyMarker, VersionIdMarker = versionMarker });
            foreach (var v in page.Versions)
                await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = v.Key, VersionId = v.VersionId });
            deleted += page.Versions.Count;
            (keyMarker, versionMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextVersionIdMarker) : (null, null);
        } while (keyMarker is not null);
        Assert.Equal(9, deleted);
        Assert.Empty((await s3.ListVersionsAsync(bucket)).Versions ?? []);
        await s3.DeleteBucketAsync(bucket);
    }

    [Fact]
    public async Task CopyAndTaggingReachOldVersions()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "old" })).VersionId;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "new" });
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", SourceVersionId = v1, DestinationBucket = bucket, DestinationKey = "restored" });
        Assert.Equal("old", await BodyAsync(s3, bucket, "restored"));
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "src", VersionId = v1, Tagging = new Tagging { TagSet = [new Tag { Key = "era", Value = "old" }] } });
        Assert.Equal("old", (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "src", VersionId = v1 })).Tagging.Single().Value);
        Assert.Empty((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "src" })).Tagging ?? []);
    }

    [Fact]
    public async Task AnOlderVersionCopiedOverItsOwnKeyBecomesCurrentButTheCurrentOneCannotBeCopiedOntoItself()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "doc", ContentBody = "first", ContentType = "text/markdown" })).VersionId;
        var v2 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "doc", ContentBody = "second" })).VersionId;
        var copy = await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "doc", SourceVersionId = v1, DestinationBucket = bucket, DestinationKey = "doc" });
        Assert.Equal("first", await BodyAsync(s3, bucket, "doc"));
        Assert.Equal("text/markdown", (await s3.GetObjectMetadataAsync(bucket, "doc")).Headers.ContentType);
        var versions = (await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "doc" })).Versions;
        Assert.Equal([copy.VersionId, v2, v1], versions.Select(v => v.VersionId));
        var self = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
            { SourceBucket = bucket, SourceKey = "doc", SourceVersionId = copy.VersionId, DestinationBucket = bucket, DestinationKey = "doc" }));
        Assert.Equal("InvalidRequest", self.ErrorCode);
    }
}
