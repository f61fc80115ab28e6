using System.Net;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Ownership controls and the public access block (bucket and account level), through AWSSDK.S3.</summary>
[Collection(XosCollection.Name)]
public sealed class PublicAccessTests(XosFixture fixture)
{
    private static readonly HttpClient Anonymous = new();

    private Task<HttpResponseMessage> AnonymousGet(string path) => Anonymous.GetAsync($"{fixture.Server.Endpoint}/{path}");

    private static async Task AssertErrorAsync(string code, HttpStatusCode status, Func<Task> action)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(action);
        Assert.Equal((code, status), (e.ErrorCode, e.StatusCode));
    }

    private static string PublicPolicy(string bucket, string principal = "\"*\"") => $$"""
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{{principal}},"Action":"s3:*",
          "Resource":["arn:aws:s3:::{{bucket}}","arn:aws:s3:::{{bucket}}/*"]}]}
        """;

    private async Task<(AmazonS3Client Owner, AmazonS3Client Other, string OwnerId)> ClientsAsync()
    {
        var bob = await XosAdmin.AddUserAsync(fixture.Server, "bob-" + Guid.NewGuid().ToString("N")[..6]);
        var owner = fixture.Server.CreateClient();
        var ownerId = (await owner.ListBucketsAsync()).Owner.Id;
        return (owner, fixture.Server.CreateClient(bob.AccessKey, bob.SecretKey), ownerId);
    }

    private static async Task<string> ObjectOwnerAsync(AmazonS3Client s3, string bucket, string key) =>
        (await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = key })).Owner.Id;

    [Fact]
    public async Task BucketOwnerEnforcedGivesTheOwnerEveryObjectAndRefusesAcls()
    {
        var (s3, bob, ownerId) = await ClientsAsync();
        var bucket = XosFixture.NewBucketName("enforced");
        await AssertErrorAsync("InvalidBucketAclWithObjectOwnership", HttpStatusCode.BadRequest, () => s3.PutBucketAsync(new PutBucketRequest
        {
            BucketName = bucket, ObjectOwnership = ObjectOwnership.BucketOwnerEnforced, CannedACL = S3CannedACL.PublicRead,
        }));
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectOwnership = ObjectOwnership.BucketOwnerEnforced });
        var controls = await s3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket });
        Assert.Equal(ObjectOwnership.BucketOwnerEnforced, Assert.Single(controls.OwnershipControls.Rules).ObjectOwnership);
        await s3.PutBucketPolicyAsync(bucket, PublicPolicy(bucket, "{\"AWS\":\"*\"}"));

        // What bob writes is the bucket owner's; ACLs other than bucket-owner-full-control are refused on every write path.
        await bob.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "by-bob", ContentBody = "b" });
        Assert.Equal(ownerId, await ObjectOwnerAsync(s3, bucket, "by-bob"));
        await bob.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "full", ContentBody = "b", CannedACL = S3CannedACL.BucketOwnerFullControl });
        await AssertErrorAsync("AccessControlListNotSupported", HttpStatusCode.BadRequest,
            () => bob.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public", ContentBody = "b", CannedACL = S3CannedACL.PublicRead }));
        await AssertErrorAsync("AccessControlListNotSupported", HttpStatusCode.BadRequest,
            () => bob.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", CannedACL = S3CannedACL.Private }));
        await AssertErrorAsync("AccessControlListNotSupported", HttpStatusCode.BadRequest, () => bob.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "by-bob", DestinationBucket = bucket, DestinationKey = "copy", CannedACL = S3CannedACL.Private,
        }));
        await AssertErrorAsync("AccessControlListNotSupported", HttpStatusCode.BadRequest,
            () => s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.Private }));
        await AssertErrorAsync("AccessControlListNotSupported", HttpStatusCode.BadRequest,
            () => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "by-bob", ACL = S3CannedACL.PublicRead }));
        Assert.False((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Any(o => o.Key == "public"));

        await s3.DeleteBucketOwnershipControlsAsync(new DeleteBucketOwnershipControlsRequest { BucketName = bucket });
        await AssertErrorAsync("OwnershipControlsNotFoundError", HttpStatusCode.NotFound,
            () => s3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket }));
    }

    [Fact]
    public async Task BucketOwnerPreferredTakesObjectsWrittenWithBucketOwnerFullControl()
    {
        var (s3, bob, ownerId) = await ClientsAsync();
        var bucket = XosFixture.NewBucketName("preferred");
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketOwnershipControlsAsync(new PutBucketOwnershipControlsRequest
        {
            BucketName = bucket, OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ObjectOwnership.BucketOwnerPreferred }] },
        });
        await s3.PutBucketPolicyAsync(bucket, PublicPolicy(bucket, "{\"AWS\":\"*\"}"));
        await bob.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "handed-over", ContentBody = "b", CannedACL = S3CannedACL.BucketOwnerFullControl });
        await bob.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kept", ContentBody = "b" });
        Assert.Equal(ownerId, await ObjectOwnerAsync(s3, bucket, "handed-over"));
        Assert.NotEqual(ownerId, await ObjectOwnerAsync(bob, bucket, "kept"));

        // ACLs stay in force: an Enforced switch is refused while the bucket ACL grants others anything.
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        await AssertErrorAsync("InvalidBucketAclWithObjectOwnership", HttpStatusCode.BadRequest, () => s3.PutBucketOwnershipControlsAsync(new PutBucketOwnershipControlsRequest
        {
            BucketName = bucket, OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ObjectOwnership.BucketOwnerEnforced }] },
        }));
    }

    [Fact]
    public async Task PublicAccessBlockRefusesPublicAclsAndPoliciesAndIgnoresOrRestrictsExistingOnes()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("pab");
        await s3.PutBucketAsync(bucket);
        await AssertErrorAsync("NoSuchPublicAccessBlockConfiguration", HttpStatusCode.NotFound,
            () => s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "open.jpg", ContentBody = "pixels", CannedACL = S3CannedACL.PublicRead });
        Assert.Equal(HttpStatusCode.OK, (await AnonymousGet($"{bucket}/open.jpg")).StatusCode);

        await PutBlockAsync(s3, bucket, new PublicAccessBlockConfiguration { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = true });
        var stored = (await s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket })).PublicAccessBlockConfiguration;
        Assert.Equal((true, true, true, false), (stored.BlockPublicAcls, stored.IgnorePublicAcls, stored.BlockPublicPolicy, stored.RestrictPublicBuckets));
        // IgnorePublicAcls: the public-read grant still exists but counts for nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/open.jpg")).StatusCode);
        // BlockPublicAcls: new public ACLs are refused, private ones are not.
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden,
            () => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "new.jpg", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }));
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden,
            () => s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.AuthenticatedRead }));
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden,
            () => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "open.jpg", ACL = S3CannedACL.PublicReadWrite }));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private.jpg", ContentBody = "x", CannedACL = S3CannedACL.Private });
        // BlockPublicPolicy: a policy open to everyone is refused; one naming a principal is not.
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden, () => s3.PutBucketPolicyAsync(bucket, PublicPolicy(bucket)));
        await s3.PutBucketPolicyAsync(bucket, PublicPolicy(bucket, "{\"AWS\":\"arn:aws:iam::user/someone\"}"));

        // RestrictPublicBuckets: a public policy lets no one outside the owner's account in.
        await s3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.OK, (await AnonymousGet($"{bucket}/open.jpg")).StatusCode);
        await s3.PutBucketPolicyAsync(bucket, PublicPolicy(bucket));
        Assert.Equal(HttpStatusCode.OK, (await AnonymousGet($"{bucket}/private.jpg")).StatusCode);
        await PutBlockAsync(s3, bucket, new PublicAccessBlockConfiguration { RestrictPublicBuckets = true });
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/private.jpg")).StatusCode);
        Assert.Equal("x", await new StreamReader((await s3.GetObjectAsync(bucket, "private.jpg")).ResponseStream).ReadToEndAsync());
    }

    private static Task PutBlockAsync(AmazonS3Client s3, string bucket, PublicAccessBlockConfiguration config) =>
        s3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest { BucketName = bucket, PublicAccessBlockConfiguration = config });

    [Fact]
    public async Task AnAccountWidePublicAccessBlockCoversEveryBucketOfTheUser()
    {
        var carol = await XosAdmin.AddUserAsync(fixture.Server, "carol-" + Guid.NewGuid().ToString("N")[..6]);
        using var s3 = fixture.Server.CreateClient(carol.AccessKey, carol.SecretKey);
        var bucket = XosFixture.NewBucketName("acct");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "open.jpg", ContentBody = "pixels", CannedACL = S3CannedACL.PublicRead });

        var set = await XosAdmin.RunAsync(fixture.Server, "public-access-block", "put", carol.User, "--block-public-acls", "--ignore-public-acls", "--json");
        Assert.True(JsonDocument.Parse(set).RootElement.GetProperty("blockPublicAcls").GetBoolean());
        Assert.Contains("IgnorePublicAcls=True", await XosAdmin.RunAsync(fixture.Server, "public-access-block", "get", carol.User));
        using (var admin = new Xos.Server.Bench.S3BenchClient(new Xos.Server.Bench.BenchOptions
               { Endpoint = new Uri(fixture.Server.Endpoint), AccessKey = XosProcess.AccessKey, SecretKey = XosProcess.SecretKey }))
        {
            var viaApi = await admin.SendForTextAsync(admin.Create(HttpMethod.Get, "_xos", $"admin/users/{carol.User}/public-access-block"), default);
            Assert.True(JsonDocument.Parse(viaApi).RootElement.GetProperty("ignorePublicAcls").GetBoolean());
        }
        // The bucket has no settings of its own, yet the account's apply to it and to buckets created from now on.
        await AssertErrorAsync("NoSuchPublicAccessBlockConfiguration", HttpStatusCode.NotFound,
            () => s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }));
        Assert.Equal(HttpStatusCode.Forbidden, (await AnonymousGet($"{bucket}/open.jpg")).StatusCode);
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden,
            () => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "new.jpg", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }));
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden,
            () => s3.PutBucketAsync(new PutBucketRequest { BucketName = XosFixture.NewBucketName("acct-new"), CannedACL = S3CannedACL.PublicRead }));
        // Other users' buckets are not affected.
        var root = fixture.Server.CreateClient();
        var rootBucket = XosFixture.NewBucketName("acct-root");
        await root.PutBucketAsync(new PutBucketRequest { BucketName = rootBucket, CannedACL = S3CannedACL.PublicRead });

        await XosAdmin.RunAsync(fixture.Server, "public-access-block", "delete", carol.User);
        Assert.Equal(HttpStatusCode.OK, (await AnonymousGet($"{bucket}/open.jpg")).StatusCode);
    }
}
