using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Xos.Tests.Integration;

/// <summary>IAM across accounts and the account-wide actions: delegated IAM rights, roles assumed from another account, OIDC providers, the summary.</summary>
[Collection(XosCollection.Name)]
public sealed class IamAccountTests(XosFixture fixture)
{
    private XosProcess Server => fixture.Server;
    private static string Unique(string hint) => hint + Guid.NewGuid().ToString("N")[..8];


    [Fact]
    public async Task AUserWhosePoliciesAllowIamActionsManagesOnlyWhatTheyName()
    {
        var account = await XosAdmin.AddUserAsync(Server, Unique("acct"));
        using var root = new IamClient(Server.Endpoint, account.AccessKey, account.SecretKey);
        Assert.EndsWith($"{account.CanonicalId}:root", (await root.CallAsync("GetUser")).V("User", "Arn"));
        var admin = Unique("admin");
        await root.CallAsync("CreateUser", ("UserName", admin));
        var key = await root.CallAsync("CreateAccessKey", ("UserName", admin));
        await root.CallAsync("PutUserPolicy", ("UserName", admin), ("PolicyName", "users"), ("PolicyDocument", JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new[] { new { Effect = "Allow", Action = new[] { "iam:CreateUser", "iam:GetUser" }, Resource = $"arn:aws:iam::{account.CanonicalId}:user/team/*" } },
        })));
        using var asAdmin = new IamClient(Server.Endpoint, key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey"));
        var made = await asAdmin.CallAsync("CreateUser", ("UserName", Unique("dev")), ("Path", "/team/"));
        Assert.Contains(account.CanonicalId, made.V("User", "Arn"));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), await IamClient.CodeAsync(asAdmin.CallAsync("CreateUser", ("UserName", Unique("x")), ("Path", "/other/"))));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), await IamClient.CodeAsync(asAdmin.CallAsync("DeleteUser", ("UserName", admin))));

        // Accounts are apart: the server root's IAM users are not this account's.
        using var serverRoot = new IamClient(Server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(serverRoot.CallAsync("GetUser", ("UserName", admin))));
        // `xos admin` still lists the account with its own key only, not its IAM users' keys; removing the account removes them.
        var listed = await XosAdmin.RunAsync(Server, "user", "list");
        Assert.Contains(account.AccessKey, listed);
        Assert.DoesNotContain(key.V("AccessKey", "AccessKeyId"), listed);
        await XosAdmin.RunAsync(Server, "user", "remove", account.User);
        Assert.Equal(HttpStatusCode.Forbidden, (await IamClient.FailsAsync(asAdmin.CallAsync("GetUser", ("UserName", admin)))).Status);
    }

    [Fact]
    public async Task AnIamUserOfTheServersRootAccountDoesNotAdministerTheServer()
    {
        using var iam = new IamClient(Server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
        var name = Unique("ops");
        await iam.CallAsync("CreateUser", ("UserName", name));
        await iam.CallAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "all"),
            ("PolicyDocument", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"""));
        var key = await iam.CallAsync("CreateAccessKey", ("UserName", name));
        var (exitCode, _, stderr) = await XosAdmin.RunXosAsync(["admin", "--endpoint", Server.Endpoint, "user", "list"], new Dictionary<string, string>
        {
            ["XOS_ROOT_ACCESS_KEY"] = key.V("AccessKey", "AccessKeyId"),
            ["XOS_ROOT_SECRET_KEY"] = key.V("AccessKey", "SecretAccessKey"),
        });
        Assert.NotEqual(0, exitCode);
        Assert.Contains("root credentials", stderr);
        // Its policies allow it everything in the account, IAM included.
        using var asUser = new IamClient(Server.Endpoint, key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey"));
        await asUser.CallAsync("ListUsers");
    }

    [Fact]
    public async Task ARoleAssumedFromAnotherAccountActsInTheRolesAccount()
    {
        var main = await XosAdmin.AddUserAsync(Server, Unique("main"));
        var alt = await XosAdmin.AddUserAsync(Server, Unique("alt"));
        using var mainIam = new IamClient(Server.Endpoint, main.AccessKey, main.SecretKey);
        using var altIam = new IamClient(Server.Endpoint, alt.AccessKey, alt.SecretKey);
        var user = Unique("u");
        var userArn = (await altIam.CallAsync("CreateUser", ("UserName", user))).V("User", "Arn");
        var key = await altIam.CallAsync("CreateAccessKey", ("UserName", user));
        var roleName = Unique("r");
        var roleArn = (await mainIam.CallAsync("CreateRole", ("RoleName", roleName), ("AssumeRolePolicyDocument", JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new[] { new { Effect = "Allow", Principal = new { AWS = userArn }, Action = "sts:AssumeRole" } },
        })))).V("Role", "Arn");
        await mainIam.CallAsync("PutRolePolicy", ("RoleName", roleName), ("PolicyName", "list"), ("PolicyDocument",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"""));
        using var mainS3 = Server.CreateClient(main.AccessKey, main.SecretKey);
        var bucket = XosFixture.NewBucketName("mainb");
        await mainS3.PutBucketAsync(bucket);

        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials(key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey")),
            new AmazonSecurityTokenServiceConfig { ServiceURL = Server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "session" });
        Assert.Equal($"arn:aws:sts::{main.CanonicalId}:assumed-role/{roleName}/session", assumed.AssumedRoleUser.Arn);
        Assert.StartsWith("AROA", assumed.AssumedRoleUser.AssumedRoleId);
        var credentials = new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken);
        using var asRoleSts = new AmazonSecurityTokenServiceClient(credentials,
            new AmazonSecurityTokenServiceConfig { ServiceURL = Server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        Assert.Equal(main.CanonicalId, (await asRoleSts.GetCallerIdentityAsync(new GetCallerIdentityRequest())).Account);
        using var asRole = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = Server.Endpoint, ForcePathStyle = true, MaxErrorRetry = 0 });
        await asRole.ListObjectsAsync(bucket); // the role's account's bucket, its policy allows
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => asRole.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v" }));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }

    [Fact]
    public async Task OpenIdConnectProvidersAndTheAccountSummary()
    {
        var account = await XosAdmin.AddUserAsync(Server, Unique("oidc"));
        using var iam = new IamClient(Server.Endpoint, account.AccessKey, account.SecretKey);
        var created = await iam.CallAsync("CreateOpenIDConnectProvider", ("Url", "https://id.example.com/realm"), ("ClientIDList.member.1", "app"),
            ("ThumbprintList.member.1", new string('a', 40)));
        var arn = created.V("OpenIDConnectProviderArn");
        Assert.Equal($"arn:aws:iam::{account.CanonicalId}:oidc-provider/id.example.com/realm", arn);
        Assert.Equal((HttpStatusCode.Conflict, "EntityAlreadyExists"), await IamClient.CodeAsync(iam.CallAsync("CreateOpenIDConnectProvider", ("Url", "https://id.example.com/realm"))));
        Assert.Equal((HttpStatusCode.BadRequest, "ValidationError"),
            await IamClient.CodeAsync(iam.CallAsync("CreateOpenIDConnectProvider", ("Url", "https://other.example.com"), ("ThumbprintList.member.1", "short"))));
        await iam.CallAsync("AddClientIDToOpenIDConnectProvider", ("OpenIDConnectProviderArn", arn), ("ClientID", "web"));
        await iam.CallAsync("UpdateOpenIDConnectProviderThumbprint", ("OpenIDConnectProviderArn", arn), ("ThumbprintList.member.1", new string('b', 40)));
        var got = await iam.CallAsync("GetOpenIDConnectProvider", ("OpenIDConnectProviderArn", arn));
        Assert.Equal(["app", "web"], got.Members("ClientIDList", ""));
        Assert.Equal([new string('b', 40)], got.Members("ThumbprintList", ""));
        Assert.Equal([arn], (await iam.CallAsync("ListOpenIDConnectProviders")).Members("OpenIDConnectProviderList", "Arn"));

        await iam.CallAsync("CreateUser", ("UserName", "one"));
        var summary = (await iam.CallAsync("GetAccountSummary")).Element(IamClient.Ns + "SummaryMap")!.Elements(IamClient.Ns + "entry")
            .ToDictionary(e => e.V("key"), e => long.Parse(e.V("value")));
        Assert.Equal((1L, 1L, 5000L, 2L), (summary["Users"], summary["Providers"], summary["UsersQuota"], summary["AccessKeysPerUserQuota"]));

        await iam.CallAsync("DeleteOpenIDConnectProvider", ("OpenIDConnectProviderArn", arn));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchEntity"), await IamClient.CodeAsync(iam.CallAsync("GetOpenIDConnectProvider", ("OpenIDConnectProviderArn", arn))));
    }
}
