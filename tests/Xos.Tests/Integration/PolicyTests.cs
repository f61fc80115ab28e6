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

    private static string AllowPut(string bucket, string condition) => $$"""
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{{bucket}}/*",
          "Condition":{{condition}}}]}
        """;

    [Fact]
    public async Task CopySourceGrantAndTaggingHeadersAreConditionKeys()
    {
        var (s3, source) = await NewBucketAsync();
        foreach (var key in new[] { "public/foo", "private/foo" })
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = source, Key = key, ContentBody = key });
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = source, Policy = $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{source}}/*"}]}
            """ });
        var user = await XosAdmin.AddUserAsync(fixture.Server, "dave-" + Guid.NewGuid().ToString("N")[..6]);
        using var dave = fixture.Server.CreateClient(user.AccessKey, user.SecretKey);

        var (_, copies) = await NewBucketAsync();
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = copies, Policy = AllowPut(copies, $$$"""{"StringLike":{"s3:x-amz-copy-source":"{{{source}}}/public/*"}}""") });
        await dave.CopyObjectAsync(new CopyObjectRequest { SourceBucket = source, SourceKey = "public/foo", DestinationBucket = copies, DestinationKey = "copy" });
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            dave.CopyObjectAsync(new CopyObjectRequest { SourceBucket = source, SourceKey = "private/foo", DestinationBucket = copies, DestinationKey = "copy2" }));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var plainPut = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => dave.PutObjectAsync(new PutObjectRequest { BucketName = copies, Key = "put", ContentBody = "x" }));
        Assert.Equal(HttpStatusCode.Forbidden, plainPut.StatusCode);

        var ownerId = (await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = copies })).Owner.Id;
        var (_, granted) = await NewBucketAsync();
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = granted, Policy = AllowPut(granted, $$$"""{"StringEquals":{"s3:x-amz-grant-full-control":"id={{{ownerId}}}"}}""") });
        var withGrant = new PutObjectRequest { BucketName = granted, Key = "shared", ContentBody = "x" };
        withGrant.Headers["x-amz-grant-full-control"] = $"id={ownerId}";
        await dave.PutObjectAsync(withGrant);
        var ungranted = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => dave.PutObjectAsync(new PutObjectRequest { BucketName = granted, Key = "mine", ContentBody = "x" }));
        Assert.Equal(HttpStatusCode.Forbidden, ungranted.StatusCode);
        // The writer owns the object; the bucket owner reads its ACL through the full control it was given.
        var acl = await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = granted, Key = "shared" });
        Assert.Equal(ownerId, Assert.Single(acl.Grants).Grantee.CanonicalUser);

        var (_, tagged) = await NewBucketAsync();
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = tagged, Policy = AllowPut(tagged,
            """{"StringEquals":{"s3:RequestObjectTag/security":"public"},"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["security","team"]}}""") });
        await dave.PutObjectAsync(new PutObjectRequest { BucketName = tagged, Key = "a", ContentBody = "x", TagSet = [new Tag { Key = "security", Value = "public" }] });
        foreach (var tags in new List<Tag>[] { [], [new Tag { Key = "security", Value = "private" }], [new Tag { Key = "security", Value = "public" }, new Tag { Key = "cost", Value = "1" }] })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => dave.PutObjectAsync(new PutObjectRequest { BucketName = tagged, Key = "b", ContentBody = "x", TagSet = tags }));
            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        }
        // An object another account wrote is theirs: without a grant the bucket owner cannot read it or its ACL.
        var notGranted = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = tagged, Key = "a" }));
        Assert.Equal(HttpStatusCode.Forbidden, notGranted.StatusCode);
        await s3.DeleteObjectAsync(tagged, "a");
    }

    [Fact]
    public async Task AMissingKeyIs404ForCallersThePolicyLetsListIt()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = $$$$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{{{{bucket}}}}",
              "Condition":{"StringLike":{"s3:prefix":"public/*"}}}]}
            """ });
        var user = await XosAdmin.AddUserAsync(fixture.Server, "erin-" + Guid.NewGuid().ToString("N")[..6]);
        using var erin = fixture.Server.CreateClient(user.AccessKey, user.SecretKey);
        var listed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => erin.GetObjectMetadataAsync(bucket, "public/object"));
        Assert.Equal(HttpStatusCode.NotFound, listed.StatusCode);
        var unlisted = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => erin.GetObjectMetadataAsync(bucket, "private/object"));
        Assert.Equal(HttpStatusCode.Forbidden, unlisted.StatusCode);
    }

    [Fact]
    public async Task ServicePrincipalsAreAcceptedAndAllowWithNotPrincipalIsRefused()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{{bucket}}/log/*"}]}
            """ });
        Assert.Equal(HttpStatusCode.Forbidden, (await Anonymous.PutAsync($"{fixture.Server.Endpoint}/{bucket}/log/x", new StringContent("x"))).StatusCode);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::s3tenant1:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{{bucket}}"}]}
            """ }));
        Assert.Equal(("MalformedPolicy", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task PolicyStatusIsPublicForPublicPoliciesAndAcls()
    {
        var (s3, bucket) = await NewBucketAsync();
        async Task<bool?> IsPublic() => (await s3.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket })).PolicyStatus.IsPublic;
        Assert.False(await IsPublic());
        string ListPolicy(string condition) => $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{{bucket}}"{{condition}}}]}
            """;
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = ListPolicy(
            ""","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/32"}}""") });
        Assert.False(await IsPublic());
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = ListPolicy("") });
        Assert.True(await IsPublic());
        await s3.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket });
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.AuthenticatedRead });
        Assert.True(await IsPublic());

        var user = await XosAdmin.AddUserAsync(fixture.Server, "fay-" + Guid.NewGuid().ToString("N")[..6]);
        using var fay = fixture.Server.CreateClient(user.AccessKey, user.SecretKey);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => fay.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket }));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }
}
