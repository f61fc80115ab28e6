using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Xos.Tests.Integration;

/// <summary>The IAM API: users and keys inside an account, their identity policies in S3 authorisation, IAM's errors.</summary>
[Collection(XosCollection.Name)]
public sealed class IamTests(XosFixture fixture)
{
    private XosProcess Server => fixture.Server;
    private IamClient Root() => new(Server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
    private static string Unique(string hint) => hint + Guid.NewGuid().ToString("N")[..8];

    private static string Allow(string action, params string[] resources) =>
        JsonSerializer.Serialize(new { Version = "2012-10-17", Statement = new[] { new { Effect = "Allow", Action = action, Resource = resources } } });

    private static async Task<HttpStatusCode> StatusOfAsync(Func<Task> call)
    {
        try
        {
            await call();
            return HttpStatusCode.OK;
        }
        catch (AmazonServiceException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>A new IAM user of the root account with one access key.</summary>
    private static async Task<(string Name, string Arn, string AccessKey, string SecretKey)> NewUserAsync(IamClient iam, string path = "/")
    {
        var name = Unique("u");
        var user = await iam.CallAsync("CreateUser", ("UserName", name), ("Path", path));
        var key = await iam.CallAsync("CreateAccessKey", ("UserName", name));
        return (name, user.V("User", "Arn"), key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey"));
    }

    [Fact]
    public async Task AUserReadsOnlyWhereItsPolicyAllowsAndCannotCallIam()
    {
        using var iam = Root();
        var bucket = XosFixture.NewBucketName("media");
        using var root = Server.CreateClient();
        await root.PutBucketAsync(bucket);
        await root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public/a.txt", ContentBody = "public" });
        await root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private/b.txt", ContentBody = "private" });

        var (name, arn, accessKey, secretKey) = await NewUserAsync(iam, "/apps/");
        Assert.EndsWith($":user/apps/{name}", arn);
        using var asUser = Server.CreateClient(accessKey, secretKey);
        // Nothing by default, not even in its own account's buckets.
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.GetObjectAsync(bucket, "public/a.txt")));

        await iam.CallAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "read-public"),
            ("PolicyDocument", Allow("s3:GetObject", $"arn:aws:s3:::{bucket}/public/*")));
        using (var got = await asUser.GetObjectAsync(bucket, "public/a.txt"))
            Assert.Equal("public", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.GetObjectAsync(bucket, "private/b.txt")));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public/x", ContentBody = "x" })));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.ListBucketsAsync()));

        using var userIam = new IamClient(Server.Endpoint, accessKey, secretKey);
        var denied = await IamClient.FailsAsync(userIam.CallAsync("ListUsers"));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (denied.Status, denied.Code));
        Assert.Equal(HttpStatusCode.Forbidden, (await IamClient.FailsAsync(userIam.CallAsync("CreateAccessKey"))).Status);

        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials(accessKey, secretKey),
            new AmazonSecurityTokenServiceConfig { ServiceURL = Server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        Assert.Equal(arn, (await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest())).Arn);

        // An inactive key signs nothing; an active one again works at once.
        await iam.CallAsync("UpdateAccessKey", ("UserName", name), ("AccessKeyId", accessKey), ("Status", "Inactive"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.GetObjectAsync(bucket, "public/a.txt")));
        await iam.CallAsync("UpdateAccessKey", ("UserName", name), ("AccessKeyId", accessKey), ("Status", "Active"));
        (await asUser.GetObjectAsync(bucket, "public/a.txt")).Dispose();
        await iam.CallAsync("DeleteAccessKey", ("UserName", name), ("AccessKeyId", accessKey));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.GetObjectAsync(bucket, "public/a.txt")));
    }

    [Fact]
    public async Task GroupsManagedPoliciesAndExplicitDenies()
    {
        using var iam = Root();
        var bucket = XosFixture.NewBucketName("grp");
        using var root = Server.CreateClient();
        await root.PutBucketAsync(bucket);
        await root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "secret/s", ContentBody = "s" });
        await root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "open/o", ContentBody = "o" });
        var (name, arn, accessKey, secretKey) = await NewUserAsync(iam);
        using var asUser = Server.CreateClient(accessKey, secretKey);

        var group = Unique("readers");
        await iam.CallAsync("CreateGroup", ("GroupName", group));
        await iam.CallAsync("AddUserToGroup", ("GroupName", group), ("UserName", name));
        await iam.CallAsync("AttachGroupPolicy", ("GroupName", group), ("PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
        Assert.Equal([name], (await iam.CallAsync("GetGroup", ("GroupName", group))).Members("Users", "UserName"));
        (await asUser.GetObjectAsync(bucket, "secret/s")).Dispose();
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.DeleteObjectAsync(bucket, "open/o")));

        // A customer managed policy's Deny wins over the group's Allow.
        var deny = JsonSerializer.Serialize(new { Version = "2012-10-17", Statement = new[] { new { Effect = "Deny", Action = "s3:*", Resource = $"arn:aws:s3:::{bucket}/secret/*" } } });
        var policyArn = (await iam.CallAsync("CreatePolicy", ("PolicyName", Unique("deny")), ("PolicyDocument", deny))).V("Policy", "Arn");
        await iam.CallAsync("AttachUserPolicy", ("UserName", name), ("PolicyArn", policyArn));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.GetObjectAsync(bucket, "secret/s")));
        (await asUser.GetObjectAsync(bucket, "open/o")).Dispose();

        // So does a Deny in the bucket policy; and within the account a bucket policy naming the user lets it in alone.
        await root.PutBucketPolicyAsync(bucket, JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new object[]
            {
                new { Effect = "Deny", Principal = new { AWS = arn }, Action = "s3:GetObject", Resource = $"arn:aws:s3:::{bucket}/open/*" },
                new { Effect = "Allow", Principal = new { AWS = arn }, Action = "s3:PutObject", Resource = $"arn:aws:s3:::{bucket}/drop/*" },
            },
        }));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.GetObjectAsync(bucket, "open/o")));
        await asUser.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "drop/new", ContentBody = "n" });

        // Another account's bucket: its policy allowing the user is not enough without the user's own Allow.
        var alice = await XosAdmin.AddUserAsync(Server, Unique("alice"));
        using var asAlice = Server.CreateClient(alice.AccessKey, alice.SecretKey);
        var other = XosFixture.NewBucketName("other");
        await asAlice.PutBucketAsync(other);
        await asAlice.PutObjectAsync(new PutObjectRequest { BucketName = other, Key = "k", ContentBody = "k" });
        await asAlice.PutBucketPolicyAsync(other, JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new[] { new { Effect = "Allow", Principal = new { AWS = arn }, Action = new[] { "s3:GetObject", "s3:PutObject" }, Resource = $"arn:aws:s3:::{other}/*" } },
        }));
        (await asUser.GetObjectAsync(other, "k")).Dispose(); // both sides allow s3:GetObject
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asUser.PutObjectAsync(new PutObjectRequest { BucketName = other, Key = "w", ContentBody = "w" })));
    }

    [Fact]
    public async Task DeletingWhatStillHasKeysPoliciesOrMembersIsADeleteConflict()
    {
        using var iam = Root();
        var (name, _, accessKey, _) = await NewUserAsync(iam);
        async Task ConflictAsync(string action, params (string, string)[] p) =>
            Assert.Equal((HttpStatusCode.Conflict, "DeleteConflict"), await IamClient.CodeAsync(iam.CallAsync(action, p)));

        await ConflictAsync("DeleteUser", ("UserName", name));
        await iam.CallAsync("DeleteAccessKey", ("UserName", name), ("AccessKeyId", accessKey));
        await iam.CallAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "p"), ("PolicyDocument", Allow("s3:GetObject", "*")));
        await ConflictAsync("DeleteUser", ("UserName", name));
        await iam.CallAsync("DeleteUserPolicy", ("UserName", name), ("PolicyName", "p"));

        var policyArn = (await iam.CallAsync("CreatePolicy", ("PolicyName", Unique("m")), ("PolicyDocument", Allow("s3:*", "*")))).V("Policy", "Arn");
        await iam.CallAsync("AttachUserPolicy", ("UserName", name), ("PolicyArn", policyArn));
        await ConflictAsync("DeleteUser", ("UserName", name));
        await ConflictAsync("DeletePolicy", ("PolicyArn", policyArn));
        await iam.CallAsync("DetachUserPolicy", ("UserName", name), ("PolicyArn", policyArn));
        await iam.CallAsync("CreatePolicyVersion", ("PolicyArn", policyArn), ("PolicyDocument", Allow("s3:GetObject", "*")), ("SetAsDefault", "true"));
        await ConflictAsync("DeletePolicy", ("PolicyArn", policyArn)); // v1 is still there
        await iam.CallAsync("DeletePolicyVersion", ("PolicyArn", policyArn), ("VersionId", "v1"));
        await iam.CallAsync("DeletePolicy", ("PolicyArn", policyArn));

        var group = Unique("g");
        await iam.CallAsync("CreateGroup", ("GroupName", group));
        await iam.CallAsync("AddUserToGroup", ("GroupName", group), ("UserName", name));
        await ConflictAsync("DeleteGroup", ("GroupName", group));
        await iam.CallAsync("RemoveUserFromGroup", ("GroupName", group), ("UserName", name));
        await iam.CallAsync("DeleteGroup", ("GroupName", group));

        var role = Unique("r");
        await iam.CallAsync("CreateRole", ("RoleName", role), ("AssumeRolePolicyDocument", Trust("arn:aws:iam::123456789012:root")));
        await iam.CallAsync("PutRolePolicy", ("RoleName", role), ("PolicyName", "p"), ("PolicyDocument", Allow("s3:GetObject", "*")));
        await ConflictAsync("DeleteRole", ("RoleName", role));
        await iam.CallAsync("DeleteRolePolicy", ("RoleName", role), ("PolicyName", "p"));
        await iam.CallAsync("DeleteRole", ("RoleName", role));

        await iam.CallAsync("DeleteUser", ("UserName", name));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(iam.CallAsync("GetUser", ("UserName", name))));
    }

    private static string Trust(string principal) => JsonSerializer.Serialize(new
    {
        Version = "2012-10-17",
        Statement = new[] { new { Effect = "Allow", Principal = new { AWS = principal }, Action = "sts:AssumeRole" } },
    });


    [Fact]
    public async Task IamErrorCodesAndShapes()
    {
        using var iam = Root();
        var name = Unique("Dup");
        await iam.CallAsync("CreateUser", ("UserName", name));
        Assert.Equal((HttpStatusCode.Conflict, "EntityAlreadyExists"), await IamClient.CodeAsync(iam.CallAsync("CreateUser", ("UserName", name.ToLowerInvariant()))));
        Assert.Equal(name, (await iam.CallAsync("GetUser", ("UserName", name.ToUpperInvariant()))).V("User", "UserName"));
        var missing = await IamClient.FailsAsync(iam.CallAsync("GetUser", ("UserName", "nobody-" + name)));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity", "Sender"), (missing.Status, missing.Code, missing.Body.Root!.Element(IamClient.Ns + "Error")!.V("Type")));
        Assert.Equal(IamClient.Ns + "ErrorResponse", missing.Body.Root.Name);
        Assert.False(string.IsNullOrEmpty(missing.Body.Root.V("RequestId")));

        Assert.Equal((HttpStatusCode.BadRequest, "ValidationError"), await IamClient.CodeAsync(iam.CallAsync("CreateUser", ("UserName", new string('a', 65)))));
        Assert.Equal((HttpStatusCode.BadRequest, "ValidationError"), await IamClient.CodeAsync(iam.CallAsync("CreateUser", ("UserName", "bad/name"))));
        Assert.Equal((HttpStatusCode.BadRequest, "ValidationError"), await IamClient.CodeAsync(iam.CallAsync("CreateUser", ("UserName", "x" + name), ("Path", "no-slash"))));
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedPolicyDocument"),
            await IamClient.CodeAsync(iam.CallAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "p"), ("PolicyDocument", "{not json"))));
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedPolicyDocument"), await IamClient.CodeAsync(iam.CallAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "p"),
            ("PolicyDocument", """{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}"""))));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidInput"), await IamClient.CodeAsync(iam.CallAsync("ListUsers", ("Marker", "x"))));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidAction"), await IamClient.CodeAsync(iam.CallAsync("FlyToTheMoon")));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"),
            await IamClient.CodeAsync(iam.CallAsync("AttachUserPolicy", ("UserName", name), ("PolicyArn", "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"))));

        var first = (await iam.CallAsync("CreateAccessKey", ("UserName", name))).V("AccessKey", "AccessKeyId");
        await iam.CallAsync("CreateAccessKey", ("UserName", name));
        var lastUsed = await iam.CallAsync("GetAccessKeyLastUsed", ("AccessKeyId", first));
        Assert.Equal((name, "N/A"), (lastUsed.V("UserName"), lastUsed.V("AccessKeyLastUsed", "ServiceName")));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(iam.CallAsync("GetAccessKeyLastUsed", ("AccessKeyId", "XOSNOSUCHKEY0000000"))));
        Assert.Equal((HttpStatusCode.Conflict, "LimitExceeded"), await IamClient.CodeAsync(iam.CallAsync("CreateAccessKey", ("UserName", name))));
        Assert.Equal(2, (await iam.CallAsync("ListAccessKeys", ("UserName", name))).Members("AccessKeyMetadata", "AccessKeyId").Count);
        var tags = Enumerable.Range(1, 51).SelectMany(i => new[] { ($"Tags.member.{i}.Key", $"k{i}"), ($"Tags.member.{i}.Value", "v") }).ToArray();
        Assert.Equal((HttpStatusCode.Conflict, "LimitExceeded"), await IamClient.CodeAsync(iam.CallAsync("TagUser", [("UserName", name), .. tags])));
    }

    [Fact]
    public async Task ListingPagesByPathPrefixAndMarker()
    {
        using var iam = Root();
        var path = "/" + Unique("p") + "/";
        var names = new[] { "b" + Unique(""), "A" + Unique(""), "c" + Unique("") };
        foreach (var n in names) await iam.CallAsync("CreateUser", ("UserName", n), ("Path", path));
        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await iam.CallAsync("ListUsers", [("PathPrefix", path), ("MaxItems", "1"), .. marker is null ? [] : new[] { ("Marker", marker) }]);
            seen.AddRange(page.Members("Users", "UserName"));
            marker = page.V("IsTruncated") == "true" ? page.V("Marker") : null;
        } while (marker is not null);
        Assert.Equal(names.OrderBy(n => n.ToLowerInvariant()), seen);
    }

    [Fact]
    public async Task RolesAreAssumedByThePrincipalsTheirTrustPolicyNames()
    {
        using var iam = Root();
        var bucket = XosFixture.NewBucketName("role");
        using var root = Server.CreateClient();
        await root.PutBucketAsync(bucket);
        await root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v" });
        var (_, arn, accessKey, secretKey) = await NewUserAsync(iam);
        var (_, otherArn, otherKey, otherSecret) = await NewUserAsync(iam);
        var roleName = Unique("reader");
        var role = await iam.CallAsync("CreateRole", ("RoleName", roleName), ("Path", "/svc/"), ("AssumeRolePolicyDocument", Trust(arn)),
            ("MaxSessionDuration", "7200"));
        var roleArn = role.V("Role", "Arn");
        Assert.EndsWith($":role/svc/{roleName}", roleArn);
        await iam.CallAsync("AttachRolePolicy", ("RoleName", roleName), ("PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));

        AmazonSecurityTokenServiceClient Sts(string ak, string sk) => new(new BasicAWSCredentials(ak, sk),
            new AmazonSecurityTokenServiceConfig { ServiceURL = Server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        using var sts = Sts(accessKey, secretKey);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "session" });
        using var asRole = new AmazonS3Client(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey,
            assumed.Credentials.SessionToken), new AmazonS3Config { ServiceURL = Server.Endpoint, ForcePathStyle = true, MaxErrorRetry = 0 });
        (await asRole.GetObjectAsync(bucket, "k")).Dispose();
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(() => asRole.DeleteObjectAsync(bucket, "k")));

        using var otherSts = Sts(otherKey, otherSecret);
        var refused = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => otherSts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "session" }));
        Assert.Equal("AccessDenied", refused.ErrorCode);
        var tooLong = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() =>
            sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "session", DurationSeconds = 7201 }));
        Assert.Equal("ValidationError", tooLong.ErrorCode);

        // The trust policy rewritten to name the other user: now only it may assume the role.
        await iam.CallAsync("UpdateAssumeRolePolicy", ("RoleName", roleName), ("PolicyDocument", Trust(otherArn)));
        await otherSts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "session" });
        Assert.Equal("AccessDenied", (await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() =>
            sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "session" }))).ErrorCode);
    }
}
