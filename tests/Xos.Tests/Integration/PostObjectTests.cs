using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Browser POST uploads signed with Signature V2 (the V4 form is exercised by the Node suite's createPresignedPost).</summary>
[Collection(XosCollection.Name)]
public sealed class PostObjectTests(XosFixture fixture)
{
    private static string V2Policy(string bucket, DateTime expires, long max) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""
            {"expiration":"{{expires:yyyy-MM-ddTHH:mm:ssZ}}","conditions":[{"bucket":"{{bucket}}"},["starts-with","$key","forms/"],
             ["content-length-range",1,{{max}}],["starts-with","$Content-Type",""]]}
            """));

    private async Task<HttpResponseMessage> PostAsync(string bucket, string policy, string signature, string key, byte[] file, string accessKey = XosProcess.AccessKey)
    {
        using var form = new MultipartFormDataContent();
        // Field names are case-insensitive; the file comes last.
        form.Add(new StringContent(key), "Key");
        form.Add(new StringContent(accessKey), "AWSAccessKeyId");
        form.Add(new StringContent(policy), "Policy");
        form.Add(new StringContent(signature), "Signature");
        form.Add(new StringContent("text/plain"), "Content-Type");
        form.Add(new ByteArrayContent(file), "file", "notes.txt");
        using var http = new HttpClient();
        return await http.PostAsync($"{fixture.Server.Endpoint}/{bucket}", form);
    }

    private static string Sign(string policy, string secret = XosProcess.SecretKey) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(policy)));

    [Fact]
    public async Task V2SignedFormsUploadAndTheirRulesAreEnforced()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("post");
        await s3.PutBucketAsync(bucket);
        var policy = V2Policy(bucket, DateTime.UtcNow.AddMinutes(5), 100);

        var ok = await PostAsync(bucket, policy, Sign(policy), "forms/${filename}", "hello form"u8.ToArray());
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var head = await s3.GetObjectMetadataAsync(bucket, "forms/notes.txt");
        Assert.Equal(("text/plain", 10L), (head.Headers.ContentType, head.ContentLength));

        var wrongSecret = await PostAsync(bucket, policy, Sign(policy, "wrong"), "forms/a", [1]);
        Assert.Equal(HttpStatusCode.Forbidden, wrongSecret.StatusCode);
        Assert.Contains("SignatureDoesNotMatch", await wrongSecret.Content.ReadAsStringAsync());
        var outside = await PostAsync(bucket, policy, Sign(policy), "elsewhere/a", [1]);
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        var large = await PostAsync(bucket, policy, Sign(policy), "forms/large", new byte[101]);
        Assert.Equal(HttpStatusCode.BadRequest, large.StatusCode);
        Assert.Contains("EntityTooLarge", await large.Content.ReadAsStringAsync());
        var expiredPolicy = V2Policy(bucket, DateTime.UtcNow.AddMinutes(-1), 100);
        var expired = await PostAsync(bucket, expiredPolicy, Sign(expiredPolicy), "forms/late", [1]);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);

        // Nothing but the first upload was stored.
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["forms/notes.txt"], listed.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task UnsignedFormsNeedABucketThatAllowsAnonymousWrites()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("anonpost");
        await s3.PutBucketAsync(bucket);
        async Task<HttpResponseMessage> Anonymous()
        {
            using var form = new MultipartFormDataContent();
            form.Add(new StringContent("drop/box.txt"), "key");
            form.Add(new ByteArrayContent("dropped"u8.ToArray()), "file", "box.txt");
            using var http = new HttpClient();
            return await http.PostAsync($"{fixture.Server.Endpoint}/{bucket}", form);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await Anonymous()).StatusCode);
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = Amazon.S3.S3CannedACL.PublicReadWrite });
        Assert.Equal(HttpStatusCode.NoContent, (await Anonymous()).StatusCode);
    }

    private async Task<HttpResponseMessage> PostFieldsAsync(string bucket, IEnumerable<(string Name, string Value)> fields, string fileName = "notes.txt")
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        form.Add(new ByteArrayContent("bar"u8.ToArray()), "file", fileName);
        using var http = new HttpClient();
        return await http.PostAsync($"{fixture.Server.Endpoint}/{bucket}", form);
    }

    private static string Encode(string policyJson) => Convert.ToBase64String(Encoding.UTF8.GetBytes(policyJson));

    private static (string, string)[] SignedFields(string policy, string key) =>
        [("key", key), ("AWSAccessKeyId", XosProcess.AccessKey), ("policy", policy), ("signature", Sign(policy))];

    [Fact]
    public async Task TheKeyIsCheckedAgainstThePolicyWithTheFileNameInPlace()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("postname");
        await s3.PutBucketAsync(bucket);
        var policy = Encode($$"""
            {"expiration":"{{DateTime.UtcNow.AddMinutes(5):yyyy-MM-ddTHH:mm:ssZ}}","conditions":[{"bucket":"{{bucket}}"},["starts-with","$key","foo"]]}
            """);
        Assert.Equal(HttpStatusCode.NoContent, (await PostFieldsAsync(bucket, SignedFields(policy, "${filename}"), "foo.txt")).StatusCode);
        using var stored = await s3.GetObjectAsync(bucket, "foo.txt");
        Assert.Equal("bar", await new StreamReader(stored.ResponseStream).ReadToEndAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await PostFieldsAsync(bucket, SignedFields(policy, "${filename}"), "other.txt")).StatusCode);
    }

    [Fact]
    public async Task AChecksumFieldIsVerifiedAgainstTheFileAndStored()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("postsum");
        await s3.PutBucketAsync(bucket);
        var policy = Encode($$"""
            {"expiration":"{{DateTime.UtcNow.AddMinutes(5):yyyy-MM-ddTHH:mm:ssZ}}","conditions":[{"bucket":"{{bucket}}"},["starts-with","$key","sum"]]}
            """);
        var good = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("bar"u8));
        var bad = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("baz"u8));
        var refused = await PostFieldsAsync(bucket, [.. SignedFields(policy, "sum-bad"), ("x-amz-checksum-sha256", bad)]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("<Code>BadDigest</Code>", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await PostFieldsAsync(bucket, [.. SignedFields(policy, "sum-good"), ("x-amz-checksum-sha256", good)])).StatusCode);
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "sum-good", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(good, head.ChecksumSHA256);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "sum-bad"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AnonymousFormsKeepTheirTags()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("posttags");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = Amazon.S3.S3CannedACL.PublicReadWrite });
        var tagging = "<Tagging><TagSet><Tag><Key>0</Key><Value>0</Value></Tag><Tag><Key>1</Key><Value>1</Value></Tag></TagSet></Tagging>";
        var response = await PostFieldsAsync(bucket, [("key", "foo.txt"), ("acl", "public-read"), ("Content-Type", "text/plain"), ("tagging", tagging)]);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var tags = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "foo.txt" });
        Assert.Equal([("0", "0"), ("1", "1")], tags.Tagging.Select(t => (t.Key, t.Value)));

        var malformed = await PostFieldsAsync(bucket, [("key", "bad.txt"), ("tagging", "<Tagging><TagSet>")]);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("MalformedXML", await malformed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MalformedPoliciesAndMissingSignaturesAreBadRequests()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("postbad");
        await s3.PutBucketAsync(bucket);
        var expires = DateTime.UtcNow.AddMinutes(5);
        var valid = Encode($$"""{"expiration":"{{expires:yyyy-MM-ddTHH:mm:ss.fffZ}}","conditions":[{"bucket":"{{bucket}}"},["starts-with","$key",""]]}""");
        var cases = new (string Why, (string, string)[] Fields)[]
        {
            ("empty condition", SignedFields(Encode($$"""{"expiration":"{{expires:yyyy-MM-ddTHH:mm:ssZ}}","conditions":[{}]}"""), "foo.txt")),
            ("expiration not ISO 8601", SignedFields(Encode($$"""{"expiration":"{{expires:yyyy-MM-dd HH:mm:ss.ffffff}}+00:00","conditions":[{"bucket":"{{bucket}}"}]}"""), "foo.txt")),
            ("condition that is not a string", SignedFields(Encode($$"""{"expiration":"{{expires:yyyy-MM-ddTHH:mm:ssZ}}","conditions":[["eq",1,2]]}"""), "foo.txt")),
            ("length range that is not a number", SignedFields(Encode($$"""{"expiration":"{{expires:yyyy-MM-ddTHH:mm:ssZ}}","conditions":[["content-length-range","a","b"]]}"""), "foo.txt")),
            ("missing signature", [("key", "foo.txt"), ("AWSAccessKeyId", XosProcess.AccessKey), ("policy", valid)]),
        };
        foreach (var (why, fields) in cases)
        {
            var response = await PostFieldsAsync(bucket, fields);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
            Assert.Contains("<RequestId>", await response.Content.ReadAsStringAsync());
        }
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        // The same form with its signature and an ISO 8601 expiration with milliseconds is accepted.
        Assert.Equal(HttpStatusCode.NoContent, (await PostFieldsAsync(bucket, SignedFields(valid, "foo.txt"))).StatusCode);
    }
}
