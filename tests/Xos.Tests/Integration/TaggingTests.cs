using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class TaggingTests(XosFixture fixture)
{
    [Fact]
    public async Task ObjectTagsFollowS3Rules()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("tags");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", TagSet = [new Tag { Key = "a", Value = "1" }, new Tag { Key = "b", Value = "two words" }] });
        using (var got = await s3.GetObjectAsync(bucket, "k")) Assert.Equal(2, got.TagCount);
        var before = (await s3.GetObjectMetadataAsync(bucket, "k")).LastModified;
        await Task.Delay(1100);
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = [new Tag { Key = "c", Value = "3" }] } });
        Assert.Equal(before, (await s3.GetObjectMetadataAsync(bucket, "k")).LastModified);
        Assert.Equal(["c"], (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging.Select(t => t.Key));

        async Task Invalid(List<Tag> tags)
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = tags } }));
            Assert.Equal(("InvalidTag", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
        }
        await Invalid(Enumerable.Range(0, 11).Select(i => new Tag { Key = $"k{i}", Value = "v" }).ToList());
        await Invalid([new Tag { Key = "dup", Value = "1" }, new Tag { Key = "dup", Value = "2" }]);
        await Invalid([new Tag { Key = new string('k', 129), Value = "v" }]);
        await Invalid([new Tag { Key = "k", Value = new string('v', 257) }]);

        await s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "k" });
        Assert.Empty((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging ?? []);
    }

    [Fact]
    public async Task BucketTags()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("btags");
        await s3.PutBucketAsync(bucket);
        var none = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
        Assert.Equal(("NoSuchTagSet", HttpStatusCode.NotFound), (none.ErrorCode, none.StatusCode));
        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = [new Tag { Key = "team", Value = "media" }] });
        Assert.Equal("media", (await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet.Single().Value);
        await s3.DeleteBucketTaggingAsync(new DeleteBucketTaggingRequest { BucketName = bucket });
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
    }
}
