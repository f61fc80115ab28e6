using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Data.Sqlite;

namespace Xos.Tests.Integration;

/// <summary>
/// Who may do what, asserted against the live server: anonymous callers, the owner, other users, a grantee, STS
/// sessions with each of the SDK guide's policies, an expired and a token-less session, and presigned URLs, across
/// private and public objects, a public-read-write bucket, a bucket policy that allows a user and one that denies.
/// </summary>
public sealed class AuthorizationMatrixTests
{
    private const string Bucket = "matrix";
    private const string Open = "open-bucket";

    [Fact]
    public async Task EveryCallerGetsExactlyWhatTheConfigurationAllows()
    {
        await using var server = await XosProcess.StartAsync();
        using var owner = server.CreateClient();
        var dave = await XosAdmin.AddUserAsync(server, "dave");
        var erin = await XosAdmin.AddUserAsync(server, "erin");
        await owner.PutBucketAsync(Bucket);
        await owner.PutBucketAsync(new PutBucketRequest { BucketName = Open, CannedACL = S3CannedACL.PublicReadWrite });
        foreach (var key in new[] { "private.txt", "shared/doc.txt", "granted.txt" })
            await owner.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, ContentBody = key });
        foreach (var key in new[] { "public.txt", "deny/secret.txt" })
            await owner.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, ContentBody = key, CannedACL = S3CannedACL.PublicRead });
        await owner.PutObjectAclAsync(new PutObjectAclRequest { BucketName = Bucket, Key = "granted.txt", GrantRead = $"id=\"{erin.CanonicalId}\"" });
        await owner.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = Bucket, Policy = $$"""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::user/dave"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}/shared/*"},
              {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}/deny/*"}]}
            """ });

        var rolePolicy = Path.GetTempFileName();
        await File.WriteAllTextAsync(rolePolicy, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}""");
        await XosAdmin.RunAsync(server, "role", "add", "guide", "--policy", rolePolicy);
        File.Delete(rolePolicy);
        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials(XosProcess.AccessKey, XosProcess.SecretKey),
            new AmazonSecurityTokenServiceConfig { ServiceURL = server.Endpoint, AuthenticationRegion = "ctyun" });
        async Task<Credentials> Session(params string[] actions) => (await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = "arn:aws:iam::role/guide", RoleSessionName = "matrix", DurationSeconds = 900,
            Policy = """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":""" + System.Text.Json.JsonSerializer.Serialize(actions)
                + $$""","Resource":["arn:aws:s3:::{{Bucket}}","arn:aws:s3:::{{Bucket}}//*"]""" + "}}",
        })).Credentials;
        AmazonS3Client SessionClient(Credentials c, bool withToken = true) => new(
            withToken ? new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken) : new BasicAWSCredentials(c.AccessKeyId, c.SecretAccessKey),
            new AmazonS3Config { ServiceURL = server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

        var all = await Session("s3:*");
        var updown = await Session("s3:PutObject", "s3:GetObject");
        var multipart = await Session("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts");
        var expiring = await Session("s3:*");
        Assert.Equal(1, await server.ExecuteMetadataSqlAsync("UPDATE sessions SET expires = 0 WHERE access_key = @ak", ("@ak", expiring.AccessKeyId)));

        using var asDave = server.CreateClient(dave.AccessKey, dave.SecretKey);
        using var asErin = server.CreateClient(erin.AccessKey, erin.SecretKey);
        using var sAll = SessionClient(all);
        using var sUpDown = SessionClient(updown);
        using var sMultipart = SessionClient(multipart);
        using var sExpired = SessionClient(expiring);
        using var sNoToken = SessionClient(all, withToken: false);
        using var http = new HttpClient();

        async Task Get(AmazonS3Client c, string key)
        {
            using var response = await c.GetObjectAsync(Bucket, key);
        }
        Task Put(AmazonS3Client c, string bucket = Bucket) => c.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "written-" + Guid.NewGuid().ToString("N"), ContentBody = "w" });
        Task Delete(AmazonS3Client c) => c.DeleteObjectAsync(Bucket, "private.txt-does-not-exist");
        Task List(AmazonS3Client c, string bucket = Bucket) => c.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        async Task Raw(HttpMethod method, string url, HttpContent? content = null)
        {
            var response = await http.SendAsync(new HttpRequestMessage(method, url) { Content = content });
            if (!response.IsSuccessStatusCode) throw new HttpRequestException(response.StatusCode.ToString(), null, response.StatusCode);
        }
        Task Anonymous(string path) => Raw(HttpMethod.Get, $"{server.Endpoint}/{path}");
        async Task<string> Presign(AmazonS3Client c, string key, int seconds = 300) => await c.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            { BucketName = Bucket, Key = key, Expires = DateTime.UtcNow.AddSeconds(seconds), Verb = HttpVerb.GET, Protocol = Protocol.HTTP });
        var expiredUrl = await Presign(owner, "private.txt", 1);

        var cases = new (string Name, Func<Task> Operation, bool Allowed)[]
        {
            ("anonymous GET private", () => Anonymous($"{Bucket}/private.txt"), false),
            ("anonymous GET public-read object", () => Anonymous($"{Bucket}/public.txt"), true),
            ("anonymous GET public-read object under policy Deny", () => Anonymous($"{Bucket}/deny/secret.txt"), false),
            ("anonymous LIST private bucket", () => Anonymous(Bucket), false),
            ("anonymous PUT private bucket", () => Raw(HttpMethod.Put, $"{server.Endpoint}/{Bucket}/anon", new StringContent("x")), false),
            ("anonymous PUT public-read-write bucket", () => Raw(HttpMethod.Put, $"{server.Endpoint}/{Open}/anon", new StringContent("x")), true),
            ("anonymous LIST public-read-write bucket", () => Anonymous(Open), true),
            ("anonymous GET object granted to erin", () => Anonymous($"{Bucket}/granted.txt"), false),
            ("owner GET private", () => Get(owner, "private.txt"), true),
            ("owner GET under policy Deny", () => Get(owner, "deny/secret.txt"), false),
            ("owner PUT", () => Put(owner), true),
            ("owner DELETE", () => Delete(owner), true),
            ("owner LIST", () => List(owner), true),
            ("owner GetBucketAcl", () => owner.GetBucketAclAsync(new GetBucketAclRequest { BucketName = Bucket }), true),
            ("owner GetBucketPolicy", () => owner.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = Bucket }), true),
            ("dave GET private", () => Get(asDave, "private.txt"), false),
            ("dave GET shared (policy Allow)", () => Get(asDave, "shared/doc.txt"), true),
            ("dave GET public-read object", () => Get(asDave, "public.txt"), true),
            ("dave GET under policy Deny", () => Get(asDave, "deny/secret.txt"), false),
            ("dave PUT", () => Put(asDave), false),
            ("dave LIST", () => List(asDave), false),
            ("dave DELETE", () => Delete(asDave), false),
            ("dave GetBucketAcl", () => asDave.GetBucketAclAsync(new GetBucketAclRequest { BucketName = Bucket }), false),
            ("dave PutBucketPolicy", () => asDave.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = Bucket, Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::matrix/*"}]}""" }), false),
            ("dave PUT into public-read-write bucket", () => Put(asDave, Open), true),
            ("erin GET object granted READ", () => Get(asErin, "granted.txt"), true),
            ("erin GET private", () => Get(asErin, "private.txt"), false),
            ("erin GetObjectAcl with READ only", () => asErin.GetObjectAclAsync(new GetObjectAclRequest { BucketName = Bucket, Key = "granted.txt" }), false),
            ("session s3:* GET", () => Get(sAll, "private.txt"), true),
            ("session s3:* PUT", () => Put(sAll), true),
            ("session s3:* LIST", () => List(sAll), true),
            ("session s3:* DELETE", () => Delete(sAll), true),
            ("session s3:* GET under policy Deny", () => Get(sAll, "deny/secret.txt"), false),
            ("session s3:* LIST another bucket", () => List(sAll, Open), false),
            ("session upload/download GET", () => Get(sUpDown, "private.txt"), true),
            ("session upload/download PUT", () => Put(sUpDown), true),
            ("session upload/download LIST", () => List(sUpDown), false),
            ("session upload/download DELETE", () => Delete(sUpDown), false),
            ("session multipart PUT", () => Put(sMultipart), true),
            ("session multipart GET", () => Get(sMultipart, "private.txt"), false),
            ("session multipart ListMultipartUploads", () => sMultipart.ListMultipartUploadsAsync(Bucket), true),
            ("session multipart LIST objects", () => List(sMultipart), false),
            ("expired session GET", () => Get(sExpired, "private.txt"), false),
            ("session without its token GET", () => Get(sNoToken, "private.txt"), false),
            ("owner presigned GET", async () => await Raw(HttpMethod.Get, await Presign(owner, "private.txt")), true),
            ("owner presigned GET after expiry", async () => { await Task.Delay(1500); await Raw(HttpMethod.Get, expiredUrl); }, false),
            ("dave presigned GET shared", async () => await Raw(HttpMethod.Get, await Presign(asDave, "shared/doc.txt")), true),
            ("dave presigned GET private", async () => await Raw(HttpMethod.Get, await Presign(asDave, "private.txt")), false),
            ("session presigned GET", async () => await Raw(HttpMethod.Get, await Presign(sUpDown, "private.txt")), true),
        };
        Assert.True(cases.Length >= 40);

        var wrong = new List<string>();
        foreach (var (name, operation, allowed) in cases)
        {
            bool succeeded;
            try
            {
                await operation();
                succeeded = true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden || e.ErrorCode is "InvalidToken" or "ExpiredToken")
            {
                succeeded = false;
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.Forbidden)
            {
                succeeded = false;
            }
            if (succeeded != allowed) wrong.Add($"{name}: expected {(allowed ? "allowed" : "denied")}");
        }
        Assert.Empty(wrong);
    }
}
