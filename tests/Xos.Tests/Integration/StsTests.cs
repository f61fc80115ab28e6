using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Data.Sqlite;
using Xos.Server.Auth;

namespace Xos.Tests.Integration;

/// <summary>STS AssumeRole through AWSSDK.SecurityToken, and the temporary credentials through AWSSDK.S3.</summary>
public sealed class StsTests
{
    private static AmazonSecurityTokenServiceClient Sts(XosProcess server, string accessKey, string secretKey) =>
        new(new BasicAWSCredentials(accessKey, secretKey), new AmazonSecurityTokenServiceConfig
            { ServiceURL = server.Endpoint, AuthenticationRegion = "ctyun", MaxErrorRetry = 0 });

    private static AmazonS3Client S3(XosProcess server, Credentials c) =>
        new(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken), new AmazonS3Config
            { ServiceURL = server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task TrustedUsersAssumeRolesWithinTheRoleAndSessionPolicies()
    {
        var data = Path.Combine(Path.GetTempPath(), "xos-sts-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Credentials credentials;
            await using (var server = await XosProcess.StartAsync(data))
            {
                var alice = await XosAdmin.AddUserAsync(server, "alice");
                var rolePolicy = Path.GetTempFileName();
                await File.WriteAllTextAsync(rolePolicy, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":"*"}]}""");
                await XosAdmin.RunAsync(server, "role", "add", "reader", "--policy", rolePolicy, "--trust", "alice");
                File.Delete(rolePolicy);
                using (var asAlice = server.CreateClient(alice.AccessKey, alice.SecretKey))
                {
                    await asAlice.PutBucketAsync("alice-media");
                    await asAlice.PutObjectAsync(new PutObjectRequest { BucketName = "alice-media", Key = "clip.mp4", ContentBody = "frames" });
                }

                using var sts = Sts(server, alice.AccessKey, alice.SecretKey);
                var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
                {
                    RoleArn = "arn:aws:iam::role/reader", RoleSessionName = "viewer", DurationSeconds = 900,
                    Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::alice-media","arn:aws:s3:::alice-media/*"]}]}""",
                });
                credentials = assumed.Credentials;
                Assert.InRange(credentials.Expiration!.Value, DateTime.UtcNow.AddSeconds(880), DateTime.UtcNow.AddSeconds(920));
                Assert.Equal("arn:aws:sts::assumed-role/reader/viewer", assumed.AssumedRoleUser.Arn);
                using (var asSession = new AmazonSecurityTokenServiceClient(new SessionAWSCredentials(assumed.Credentials.AccessKeyId,
                           assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken),
                           new AmazonSecurityTokenServiceConfig { ServiceURL = server.Endpoint, AuthenticationRegion = "ctyun", MaxErrorRetry = 0 }))
                {
                    var who = await asSession.GetCallerIdentityAsync(new GetCallerIdentityRequest());
                    Assert.Equal((assumed.AssumedRoleUser.Arn, assumed.AssumedRoleUser.AssumedRoleId, alice.CanonicalId), (who.Arn, who.UserId, who.Account));
                }

                using var temporary = S3(server, credentials);
                using (var got = await temporary.GetObjectAsync("alice-media", "clip.mp4"))
                    Assert.Equal("frames", await new StreamReader(got.ResponseStream).ReadToEndAsync());
                // The role allows PutObject, the session policy does not: both must allow.
                var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => temporary.PutObjectAsync(new PutObjectRequest { BucketName = "alice-media", Key = "new", ContentBody = "x" }));
                Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);

                var untrusted = await XosAdmin.AddUserAsync(server, "eve");
                using var eveSts = Sts(server, untrusted.AccessKey, untrusted.SecretKey);
                var refused = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => eveSts.AssumeRoleAsync(new AssumeRoleRequest
                    { RoleArn = "arn:aws:iam::role/reader", RoleSessionName = "nope" }));
                Assert.Equal("AccessDenied", refused.ErrorCode);
                var tooShort = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(new AssumeRoleRequest
                    { RoleArn = "arn:aws:iam::role/reader", RoleSessionName = "viewer", DurationSeconds = 600 }));
                Assert.Equal("ValidationError", tooShort.ErrorCode);
            }

            // Sessions live in the metadata store: a restarted server still honours them...
            await using (var restarted = await XosProcess.StartAsync(data))
            {
                using var temporary = S3(restarted, credentials);
                using (await temporary.GetObjectAsync("alice-media", "clip.mp4")) { }

                // ...until they expire (moved into the past here rather than waiting 15 minutes).
                // On PostgreSQL the hand edit reaches the gateway's key cache as a notification, a moment later.
                Assert.Equal(1, await restarted.ExecuteMetadataSqlAsync("UPDATE sessions SET expires = 0 WHERE access_key = @ak", ("@ak", credentials.AccessKeyId)));
                var watch = System.Diagnostics.Stopwatch.StartNew();
                AmazonS3Exception expired;
                while (true)
                {
                    try
                    {
                        using (await temporary.GetObjectAsync("alice-media", "clip.mp4")) { }
                        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "an expired session still worked 5 s later");
                        await Task.Delay(20);
                    }
                    catch (AmazonS3Exception e)
                    {
                        expired = e;
                        break;
                    }
                }
                Assert.Equal(("ExpiredToken", HttpStatusCode.BadRequest), (expired.ErrorCode, expired.StatusCode));
            }
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }
}

/// <summary>STS GetSessionToken and GetCallerIdentity through AWSSDK.SecurityToken; unknown actions through raw signed HTTP.</summary>
[Collection(XosCollection.Name)]
public sealed class StsSessionTests(XosFixture fixture)
{
    private AmazonSecurityTokenServiceClient Sts(AWSCredentials credentials) =>
        new(credentials, new AmazonSecurityTokenServiceConfig { ServiceURL = fixture.Server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private Task<XosAdmin.CreatedUser> NewUserAsync() => XosAdmin.AddUserAsync(fixture.Server, "sts-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task CallerIdentityOfAUserAndOfRoot()
    {
        var user = await NewUserAsync();
        using (var sts = Sts(new BasicAWSCredentials(user.AccessKey, user.SecretKey)))
        {
            var who = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());
            Assert.Equal(($"arn:aws:iam::{user.CanonicalId}:user/{user.User}", user.CanonicalId, user.CanonicalId), (who.Arn, who.UserId, who.Account));
        }
        using (var sts = Sts(new BasicAWSCredentials(XosProcess.AccessKey, XosProcess.SecretKey)))
        {
            var root = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());
            Assert.Equal(root.UserId, root.Account);
            Assert.Equal($"arn:aws:iam::{root.Account}:root", root.Arn);
            Assert.NotEqual(user.CanonicalId, root.Account);
        }
    }

    [Fact]
    public async Task SessionTokensActAsTheirUserUntilTheyExpire()
    {
        var user = await NewUserAsync();
        using var sts = Sts(new BasicAWSCredentials(user.AccessKey, user.SecretKey));
        var bucket = XosFixture.NewBucketName("gst");
        using (var s3 = fixture.Server.CreateClient(user.AccessKey, user.SecretKey))
        {
            await s3.PutBucketAsync(bucket);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "long-term" });
        }

        var session = (await sts.GetSessionTokenAsync(new GetSessionTokenRequest())).Credentials;
        Assert.InRange(session.Expiration!.Value, DateTime.UtcNow.AddSeconds(43200 - 60), DateTime.UtcNow.AddSeconds(43200 + 60));
        Assert.NotEqual(user.AccessKey, session.AccessKeyId);
        var shortOne = (await sts.GetSessionTokenAsync(new GetSessionTokenRequest { DurationSeconds = 900 })).Credentials;
        Assert.InRange(shortOne.Expiration!.Value, DateTime.UtcNow.AddSeconds(840), DateTime.UtcNow.AddSeconds(960));

        var temporary = new SessionAWSCredentials(session.AccessKeyId, session.SecretAccessKey, session.SessionToken);
        using (var s3 = new AmazonS3Client(temporary, new AmazonS3Config { ServiceURL = fixture.Server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 }))
        {
            // No policy of their own: the user's buckets, and creating new ones owned by the user.
            using (var got = await s3.GetObjectAsync(bucket, "a"))
                Assert.Equal("long-term", await new StreamReader(got.ResponseStream).ReadToEndAsync());
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "b", ContentBody = "temporary" });
            var created = XosFixture.NewBucketName("gst");
            await s3.PutBucketAsync(created);
            using var owner = fixture.Server.CreateClient(user.AccessKey, user.SecretKey);
            await owner.DeleteBucketAsync(created);
            // Without the token, the temporary key is refused.
            using var tokenless = new AmazonS3Client(new BasicAWSCredentials(session.AccessKeyId, session.SecretAccessKey),
                new AmazonS3Config { ServiceURL = fixture.Server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
            var noToken = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => tokenless.GetObjectAsync(bucket, "a"));
            Assert.Equal("InvalidToken", noToken.ErrorCode);
        }

        using var asSession = Sts(temporary);
        var who = await asSession.GetCallerIdentityAsync(new GetCallerIdentityRequest());
        Assert.Equal(($"arn:aws:iam::{user.CanonicalId}:user/{user.User}", user.CanonicalId), (who.Arn, who.Account));
        var chained = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => asSession.GetSessionTokenAsync(new GetSessionTokenRequest()));
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (chained.ErrorCode, chained.StatusCode));
    }

    [Theory]
    [InlineData(899)]
    [InlineData(129601)]
    public async Task SessionTokenDurationOutsideItsRangeIsAValidationError(int seconds)
    {
        var user = await NewUserAsync();
        using var sts = Sts(new BasicAWSCredentials(user.AccessKey, user.SecretKey));
        var e = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.GetSessionTokenAsync(new GetSessionTokenRequest { DurationSeconds = seconds }));
        Assert.Equal(("ValidationError", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task UnknownActionIsInvalidActionNamingIt()
    {
        var body = "Action=GetFederationToken&Version=2011-06-15&Name=x";
        var uri = new Uri(fixture.Server.Endpoint + "/");
        var amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var host = $"{uri.Host}:{uri.Port}";
        const string contentType = "application/x-www-form-urlencoded; charset=utf-8";
        var payloadHash = SigV4.Sha256Hex(body);
        var canonical = SigV4.CanonicalRequest("POST", "/", "", [("content-type", contentType), ("host", host), ("x-amz-date", amzDate)],
            "content-type;host;x-amz-date", payloadHash);
        var scope = $"{amzDate[..8]}/us-east-1/sts/aws4_request";
        var signature = SigV4.Sign(SigV4.SigningKey(XosProcess.SecretKey, amzDate[..8], "us-east-1", "sts"), SigV4.StringToSign(amzDate, scope, canonical));
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={XosProcess.AccessKey}/{scope}, SignedHeaders=content-type;host;x-amz-date, Signature={signature}");
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace ns = "https://sts.amazonaws.com/doc/2011-06-15/";
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidAction", xml.Root!.Element(ns + "Error")!.Element(ns + "Code")!.Value);
        Assert.Equal("Could not find operation GetFederationToken for version 2011-06-15", xml.Root.Element(ns + "Error")!.Element(ns + "Message")!.Value);
    }
}
