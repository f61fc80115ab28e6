using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Data.Sqlite;

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
                await using (var db = new SqliteConnection($"Data Source={Path.Combine(data, "metadata.db")}"))
                {
                    await db.OpenAsync();
                    var cmd = db.CreateCommand();
                    cmd.CommandText = "UPDATE sessions SET expires = 0 WHERE access_key = $ak";
                    cmd.Parameters.AddWithValue("$ak", credentials.AccessKeyId);
                    Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
                }
                var expired = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => temporary.GetObjectAsync("alice-media", "clip.mp4"));
                Assert.Equal(("ExpiredToken", HttpStatusCode.BadRequest), (expired.ErrorCode, expired.StatusCode));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }
}
