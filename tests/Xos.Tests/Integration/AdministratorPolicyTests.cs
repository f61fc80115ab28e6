using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// The administrator's namespace (Iam/AdministratorNamespace.cs): the server root names an account by its canonical id
/// as a user, and the policies it puts there bound the account; its roles have account-less ARNs.
/// </summary>
[Collection(XosCollection.Name)]
public sealed class AdministratorPolicyTests(XosFixture fixture)
{
    private XosProcess Server => fixture.Server;
    private static string Unique(string hint) => hint + Guid.NewGuid().ToString("N")[..8];

    private IamClient Administrator() => new(Server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);

    private static string Policy(string effect, string[] actions, string resource, object? condition = null) => JsonSerializer.Serialize(new
    {
        Version = "2012-10-17",
        Statement = new[] { new Dictionary<string, object?> { ["Effect"] = effect, ["Action"] = actions, ["Resource"] = resource, ["Condition"] = condition } }
            .Select(s => s.Where(kv => kv.Value is not null).ToDictionary()),
    });

    private static async Task<HttpStatusCode> S3StatusAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal("AccessDenied", e.ErrorCode);
        return e.StatusCode;
    }

    [Fact]
    public async Task AnAdministratorAllowLetsTheAccountIntoAnotherAccountsBucketUntilItIsDeleted()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        using var iam = Administrator();
        using var rootS3 = Server.CreateClient();
        using var altS3 = Server.CreateClient(alt.AccessKey, alt.SecretKey);
        var bucket = XosFixture.NewBucketName("adminallow");
        await rootS3.PutBucketAsync(bucket);
        await rootS3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "foo", ContentBody = "bar" });
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.ListObjectsAsync(bucket)));

        await iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "read"),
            ("PolicyDocument", Policy("Allow", ["s3:ListBucket", "s3:GetObject"], $"arn:aws:s3:::{bucket}*")));
        Assert.Equal("foo", Assert.Single((await altS3.ListObjectsAsync(bucket)).S3Objects).Key);
        using (var got = await altS3.GetObjectAsync(bucket, "foo"))
            Assert.Equal("bar", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        // What the policy does not name stays the bucket owner's.
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "x", ContentBody = "y" })));
        // The administrator reads and lists what it put there.
        Assert.Contains("read", (await iam.CallAsync("ListUserPolicies", ("UserName", alt.CanonicalId))).Descendants(IamClient.Ns + "member").Select(m => m.Value));
        Assert.Contains("s3%3AListBucket", (await iam.CallAsync("GetUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "read"))).V("PolicyDocument"));

        await iam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "read"));
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.ListObjectsAsync(bucket)));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(iam.CallAsync("GetUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "read"))));
    }

    [Fact]
    public async Task AnAdministratorDenyWinsOverTheAccountsOwnershipAndOverItsIamUsersPolicies()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        using var iam = Administrator();
        using var altS3 = Server.CreateClient(alt.AccessKey, alt.SecretKey);
        using var altIam = new IamClient(Server.Endpoint, alt.AccessKey, alt.SecretKey);
        var bucket = XosFixture.NewBucketName("admindeny");
        await altS3.PutBucketAsync(bucket);
        var user = Unique("u");
        await altIam.CallAsync("CreateUser", ("UserName", user));
        await altIam.CallAsync("PutUserPolicy", ("UserName", user), ("PolicyName", "all"), ("PolicyDocument", Policy("Allow", ["*"], "*")));
        var key = await altIam.CallAsync("CreateAccessKey", ("UserName", user));
        using var userS3 = Server.CreateClient(key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey"));
        await userS3.ListObjectsAsync(bucket);

        await iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "deny"),
            ("PolicyDocument", Policy("Deny", ["s3:ListAllMyBuckets", "s3:ListBucket", "s3:DeleteBucket"], "arn:aws:s3:::*")));
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.ListBucketsAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.ListObjectsAsync(bucket)));
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.DeleteBucketAsync(bucket)));
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => userS3.ListObjectsAsync(bucket)));
        // The account cannot lift the administrator's policy: it may not even read it.
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), await IamClient.CodeAsync(altIam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "deny"))));
        // What the Deny does not name is untouched.
        await altS3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v" });

        await iam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "deny"));
        await altS3.ListObjectsAsync(bucket);
        await altS3.DeleteObjectAsync(bucket, "k");
        await altS3.DeleteBucketAsync(bucket);
    }

    [Fact]
    public async Task AnAdministratorAllowSpeaksForTheAccountRootNotForItsIamUsers()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        using var iam = Administrator();
        using var rootS3 = Server.CreateClient();
        using var altIam = new IamClient(Server.Endpoint, alt.AccessKey, alt.SecretKey);
        var bucket = XosFixture.NewBucketName("adminusers");
        await rootS3.PutBucketAsync(bucket);
        await iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "list"),
            ("PolicyDocument", Policy("Allow", ["s3:ListBucket"], $"arn:aws:s3:::{bucket}")));
        var user = Unique("u");
        await altIam.CallAsync("CreateUser", ("UserName", user));
        await altIam.CallAsync("PutUserPolicy", ("UserName", user), ("PolicyName", "all"), ("PolicyDocument", Policy("Allow", ["s3:*"], "*")));
        var key = await altIam.CallAsync("CreateAccessKey", ("UserName", user));
        using var userS3 = Server.CreateClient(key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey"));
        using var altS3 = Server.CreateClient(alt.AccessKey, alt.SecretKey);
        await altS3.ListObjectsAsync(bucket);
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => userS3.ListObjectsAsync(bucket)));
        await iam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "list"));
    }

    [Fact]
    public async Task OnlyTheAdministratorNamesOtherAccountsAndAnAccountReadsItsOwnPoliciesOnlyWhereTheyAllowIt()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        var main = await XosAdmin.AddUserAsync(Server, Unique("main"));
        using var iam = Administrator();
        using var altIam = new IamClient(Server.Endpoint, alt.AccessKey, alt.SecretKey);
        var all = Policy("Allow", ["*"], "*");
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"),
            await IamClient.CodeAsync(iam.CallAsync("PutUserPolicy", ("UserName", "some-non-existing-user-id"), ("PolicyName", "p"), ("PolicyDocument", all))));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(iam.CallAsync("ListUserPolicies", ("UserName", "some-non-existing-user-id"))));
        // Another account's id is nobody in this account's namespace.
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"),
            await IamClient.CodeAsync(altIam.CallAsync("PutUserPolicy", ("UserName", main.CanonicalId), ("PolicyName", "p"), ("PolicyDocument", all))));
        // Its own id needs the administrator's Allow, on arn:aws:iam:::user/ID.
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), await IamClient.CodeAsync(altIam.CallAsync("ListUserPolicies", ("UserName", alt.CanonicalId))));
        await iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "self"), ("PolicyDocument",
            Policy("Allow", ["iam:GetUserPolicy", "iam:ListUserPolicies"], $"arn:aws:iam:::user/{alt.CanonicalId}")));
        await altIam.CallAsync("ListUserPolicies", ("UserName", alt.CanonicalId));
        await altIam.CallAsync("GetUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "self"));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"),
            await IamClient.CodeAsync(altIam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "more"), ("PolicyDocument", all))));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), await IamClient.CodeAsync(altIam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "self"))));
        // IAM's grammar: statement ids are unique in a policy.
        var twice = """{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}""";
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedPolicyDocument"),
            await IamClient.CodeAsync(iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "twice"), ("PolicyDocument", twice))));
        await iam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "self"));
    }

    [Fact]
    public async Task TheRootsRolesAreGlobalAndTrustAnAccountByItsUserArnThere()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        var other = await XosAdmin.AddUserAsync(Server, Unique("other"));
        using var iam = Administrator();
        var name = Unique("role");
        var trust = JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new[] { new { Effect = "Allow", Principal = new { AWS = new[] { $"arn:aws:iam:::user/{alt.CanonicalId}" } }, Action = new[] { "sts:AssumeRole" } } },
        });
        var arn = (await iam.CallAsync("CreateRole", ("RoleName", name), ("Path", "/"), ("AssumeRolePolicyDocument", trust))).V("Role", "Arn");
        Assert.Equal($"arn:aws:iam:::role/{name}", arn);
        await iam.CallAsync("PutRolePolicy", ("RoleName", name), ("PolicyName", "s3"), ("PolicyDocument", Policy("Allow", ["s3:*"], "arn:aws:s3:::*")));

        using var sts = Sts(alt.AccessKey, alt.SecretKey);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = arn, RoleSessionName = "s1" });
        Assert.Equal($"arn:aws:sts:::assumed-role/{name}/s1", assumed.AssumedRoleUser.Arn);
        var c = assumed.Credentials;
        using var asRole = new AmazonS3Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
            new AmazonS3Config { ServiceURL = Server.Endpoint, ForcePathStyle = true, MaxErrorRetry = 0 });
        var bucket = XosFixture.NewBucketName("adminrole");
        await asRole.PutBucketAsync(bucket);
        await asRole.DeleteBucketAsync(bucket);

        using var otherSts = Sts(other.AccessKey, other.SecretKey);
        var refused = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => otherSts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = arn, RoleSessionName = "s2" }));
        Assert.Equal("AccessDenied", refused.ErrorCode);
        await iam.CallAsync("DeleteRolePolicy", ("RoleName", name), ("PolicyName", "s3"));
        await iam.CallAsync("DeleteRole", ("RoleName", name));
    }

    [Fact]
    public async Task StsAuthenticationTellsSessionCredentialsFromLongTermKeysAndAnAdministratorDenyBindsSts()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        using var iam = Administrator();
        await iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "mfa-like"), ("PolicyDocument",
            Policy("Deny", ["s3:*"], "*", new { BoolIfExists = new Dictionary<string, string> { ["sts:authentication"] = "false" } })));
        using var altS3 = Server.CreateClient(alt.AccessKey, alt.SecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, await S3StatusAsync(() => altS3.ListBucketsAsync()));
        using var sts = Sts(alt.AccessKey, alt.SecretKey);
        var c = (await sts.GetSessionTokenAsync(new GetSessionTokenRequest { DurationSeconds = 900 })).Credentials;
        using var session = new AmazonS3Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
            new AmazonS3Config { ServiceURL = Server.Endpoint, ForcePathStyle = true, MaxErrorRetry = 0 });
        await session.ListBucketsAsync();

        await iam.CallAsync("PutUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "no-sts"), ("PolicyDocument", Policy("Deny", ["sts:*"], "*")));
        var refused = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.GetSessionTokenAsync(new GetSessionTokenRequest { DurationSeconds = 900 }));
        Assert.Equal("AccessDenied", refused.ErrorCode);
        await iam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "no-sts"));
        await iam.CallAsync("DeleteUserPolicy", ("UserName", alt.CanonicalId), ("PolicyName", "mfa-like"));
        await altS3.ListBucketsAsync();
    }

    [Fact]
    public async Task AManagedPolicyAttachedToAnAccountIsDetachedWhenTheAccountIsRemoved()
    {
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        using var iam = Administrator();
        var policyArn = (await iam.CallAsync("CreatePolicy", ("PolicyName", Unique("read")),
            ("PolicyDocument", Policy("Allow", ["s3:GetObject"], "arn:aws:s3:::*")))).V("Policy", "Arn");
        await iam.CallAsync("AttachUserPolicy", ("UserName", alt.CanonicalId), ("PolicyArn", policyArn));
        Assert.Equal(policyArn, Assert.Single((await iam.CallAsync("ListAttachedUserPolicies", ("UserName", alt.CanonicalId))).Members("AttachedPolicies", "PolicyArn")));
        Assert.Equal((HttpStatusCode.Conflict, "DeleteConflict"), await IamClient.CodeAsync(iam.CallAsync("DeletePolicy", ("PolicyArn", policyArn))));
        await XosAdmin.RunAsync(Server, "user", "remove", alt.User);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(iam.CallAsync("ListAttachedUserPolicies", ("UserName", alt.CanonicalId))));
        await iam.CallAsync("DeletePolicy", ("PolicyArn", policyArn));
    }

    private AmazonSecurityTokenServiceClient Sts(string accessKey, string secretKey) =>
        new(new BasicAWSCredentials(accessKey, secretKey),
            new AmazonSecurityTokenServiceConfig { ServiceURL = Server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
}
