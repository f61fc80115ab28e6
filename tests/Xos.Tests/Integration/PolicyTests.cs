using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Bucket policies evaluated with ACLs and the caller's identity on every request.</summary>
[Collection(XosCollection.Name)]
public sealed class PolicyTests(XosFixture fixture)
{
    private static readonly HttpClient Anonymous = new();

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("pol");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private Task<HttpResponseMessage> AnonymousGet(string path) => Anonymous.GetAsync($"{fixture.Server.Endpoint}/{path}");

    [Fact]
    public async Task PublicReadPolicyAndAnExplicitDenyThatOverridesEvenTheOwner()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public.jpg", ContentBody = "p" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private/doc", ContentBody = "s", CannedACL = S3CannedACL.PublicRead });

        var policy = $$"""
            {"Version":"2012-10-17","Statement":[
              {"Sid":"AddPerm","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::{{bucket}}/*"]},
              {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/private/*"}]}
            """;
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = policy });
        Assert.Contains("AddPerm", (await s3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket })).Policy);
        Assert.Equal(HttpStatusCode.OK, (await AnonymousGet($"{bucket}/public.jpg")).StatusCode);
        // The object's public-read ACL does not beat an explicit Deny, and neither does ownership.
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/private/doc")).StatusCode);
        var owner = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "private/doc"));
        Assert.Equal(HttpStatusCode.Forbidden, owner.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet(bucket)).StatusCode);

        await s3.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/public.jpg")).StatusCode);
        using var ok = await s3.GetObjectAsync(bucket, "private/doc");
    }

    [Fact]
    public async Task NamedUsersAreAllowedByPolicy()
    {
        var (s3, bucket) = await NewBucketAsync();
        var user = await XosAdmin.AddUserAsync(fixture.Server, "carol-" + Guid.NewGuid().ToString("N")[..6]);
        using var carol = fixture.Server.CreateClient(user.AccessKey, user.SecretKey);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => carol.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "in", ContentBody = "x" }));
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::user/{{user.User}}"]},
              "Action":["s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::{{bucket}}","arn:aws:s3:::{{bucket}}/uploads/*"]}]}
            """ });
        await carol.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "uploads/a", ContentBody = "x" });
        Assert.Single((await carol.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects);
        var outside = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => carol.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "elsewhere", ContentBody = "x" }));
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "uploads/owners", ContentBody = "x" });
        var read = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => carol.GetObjectAsync(bucket, "uploads/owners"));
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
    }

    [Fact]
    public async Task ConditionsOnSourceIpAndMalformedPolicies()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "local", ContentBody = "x" });
        string Policy(string cidr) =>
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::""" + bucket
            + """/*","Condition":{"IpAddress":{"aws:SourceIp":""" + "\"" + cidr + "\"" + "}}}]}";
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = Policy("10.0.0.0/8") });
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/local")).StatusCode);
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = Policy("127.0.0.0/8") });
        Assert.Equal(HttpStatusCode.OK, (await AnonymousGet($"{bucket}/local")).StatusCode);

        foreach (var bad in new[] { "{not json", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::another-bucket/*"}]}""" })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = bad }));
            Assert.Equal(("MalformedPolicy", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
        }
    }

    [Fact]
    public async Task AnOwnerDenyingEverythingCanStillReplaceThePolicy()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{{bucket}}","arn:aws:s3:::{{bucket}}/*"]}]}
            """ });
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await s3.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket });
        await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
    }
}
