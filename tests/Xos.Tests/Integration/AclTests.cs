using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Bucket and object ACLs, enforced for anonymous callers and other users.</summary>
[Collection(XosCollection.Name)]
public sealed class AclTests(XosFixture fixture)
{
    private static readonly HttpClient Anonymous = new();

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync(S3CannedACL? acl = null)
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("acl");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = acl });
        return (s3, bucket);
    }

    private Task<HttpResponseMessage> AnonymousGet(string path) => Anonymous.GetAsync($"{fixture.Server.Endpoint}/{path}");

    [Fact]
    public async Task PublicReadObjectInAPrivateBucketIsReadableAnonymously()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public.jpg", ContentBody = "pixels", CannedACL = S3CannedACL.PublicRead });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private.jpg", ContentBody = "secret" });
        Assert.Equal("pixels", await (await AnonymousGet($"{bucket}/public.jpg")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/private.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet(bucket)).StatusCode);
        // Without READ on the bucket, a missing key does not reveal itself as missing.
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/missing.jpg")).StatusCode);
    }

    [Fact]
    public async Task PublicReadBucketLetsAnyoneListButNotWrite()
    {
        var (s3, bucket) = await NewBucketAsync(S3CannedACL.PublicRead);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "listed", ContentBody = "x" });
        var listing = await AnonymousGet(bucket);
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        Assert.Contains("<Key>listed</Key>", await listing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await AnonymousGet($"{bucket}/missing")).StatusCode);
        var put = await Anonymous.PutAsync($"{fixture.Server.Endpoint}/{bucket}/anon", new StringContent("x"));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }

    [Fact]
    public async Task GrantsToAnotherUserByCanonicalIdAreEnforced()
    {
        var (s3, bucket) = await NewBucketAsync();
        var bob = await XosAdmin.AddUserAsync(fixture.Server, "bob-" + Guid.NewGuid().ToString("N")[..6]);
        using var asBob = fixture.Server.CreateClient(bob.AccessKey, bob.SecretKey);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared", ContentBody = "for bob" });
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => asBob.GetObjectAsync(bucket, "shared"));
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (denied.ErrorCode, denied.StatusCode));

        var acl = await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "shared" });
        var policy = new S3AccessControlList { Owner = acl.Owner, Grants = [.. acl.Grants] };
        policy.Grants.Add(new S3Grant { Grantee = new S3Grantee { CanonicalUser = bob.CanonicalId }, Permission = S3Permission.READ });
        await s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "shared", AccessControlPolicy = policy });
        using (var got = await asBob.GetObjectAsync(bucket, "shared"))
            Assert.Equal("for bob", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        var noAcp = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => asBob.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "shared" }));
        Assert.Equal(HttpStatusCode.Forbidden, noAcp.StatusCode);

        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, GrantWrite = $"id=\"{bob.CanonicalId}\"" });
        await asBob.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "from-bob", ContentBody = "uploaded by bob" });
        var bucketAcl = await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        Assert.Contains(bucketAcl.Grants, g => g.Grantee.CanonicalUser == bob.CanonicalId && g.Permission == S3Permission.WRITE);
    }

    [Fact]
    public async Task AclErrors()
    {
        var (s3, bucket) = await NewBucketAsync();
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAclAsync(new PutBucketAclRequest
            { BucketName = bucket, GrantRead = $"id=\"{new string('0', 64)}\"" }));
        Assert.Equal(("InvalidArgument", HttpStatusCode.BadRequest), (unknown.ErrorCode, unknown.StatusCode));
        var badCanned = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
            { BucketName = bucket, Key = "k", ContentBody = "x", CannedACL = new S3CannedACL("world-writable") }));
        Assert.Equal("InvalidArgument", badCanned.ErrorCode);
    }
}
