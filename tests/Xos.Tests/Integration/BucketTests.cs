using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class BucketTests(XosFixture fixture)
{
    [Theory]
    [InlineData("ab")]
    [InlineData("UpperCase")]
    [InlineData("192.168.1.1")]
    [InlineData("double..dot")]
    [InlineData("under_score")]
    public async Task InvalidNamesAreRefused(string name)
    {
        using var s3 = fixture.Server.CreateClient();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(name));
        Assert.Equal(("InvalidBucketName", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task BucketLifecycleOfCreateHeadListLocationDelete()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("life");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, BucketRegionName = "eu-west-1" });
        var again = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(bucket));
        Assert.Equal(("BucketAlreadyOwnedByYou", HttpStatusCode.Conflict), (again.ErrorCode, again.StatusCode));
        var location = (await s3.GetBucketLocationAsync(bucket)).Location.Value;
        Assert.Contains(location, new[] { "eu-west-1", "EU" });
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);
        await s3.DeleteBucketAsync(bucket);
        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task DeleteBucketDiscardsUnfinishedUploadsButNotObjects()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mpu-left");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kept", ContentBody = "x" });
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "pending");
        await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "pending", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[1024]) });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync(bucket));
        Assert.Equal(("BucketNotEmpty", HttpStatusCode.Conflict), (e.ErrorCode, e.StatusCode));
        await s3.DeleteObjectAsync(bucket, "kept");
        await s3.DeleteBucketAsync(bucket);
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListMultipartUploadsAsync(bucket));
        Assert.Equal("NoSuchBucket", gone.ErrorCode);
        await s3.PutBucketAsync(bucket);
        Assert.Empty((await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
        await s3.DeleteBucketAsync(bucket);
    }

    [Fact]
    public async Task AnotherUsersBucketIsInvisibleAndForbidden()
    {
        using var root = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("owned");
        await root.PutBucketAsync(bucket);
        var admin = await XosAdmin.AddUserAsync(fixture.Server, "user-" + Guid.NewGuid().ToString("N")[..8]);
        using var other = fixture.Server.CreateClient(admin.AccessKey, admin.SecretKey);
        Assert.DoesNotContain((await other.ListBucketsAsync()).Buckets ?? [], b => b.BucketName == bucket);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (e.ErrorCode, e.StatusCode));
        var taken = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.PutBucketAsync(bucket));
        Assert.Equal("BucketAlreadyExists", taken.ErrorCode);
    }
}
