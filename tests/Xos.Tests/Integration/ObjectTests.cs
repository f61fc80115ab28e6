using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class ObjectTests(XosFixture fixture)
{
    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("obj");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static async Task<string> ReadAsync(GetObjectResponse r)
    {
        using var reader = new StreamReader(r.ResponseStream);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task MetadataAndContentHeadersRoundTrip()
    {
        var (s3, bucket) = await NewBucketAsync();
        var put = new PutObjectRequest { BucketName = bucket, Key = "video.mp4", ContentBody = "frames", ContentType = "video/mp4" };
        put.Metadata.Add("x-amz-meta-camera", "a7");
        put.Headers.CacheControl = "max-age=60";
        put.Headers.ContentDisposition = "attachment; filename=\"v.mp4\"";
        put.Headers.ContentEncoding = "identity";
        await s3.PutObjectAsync(put);
        using var got = await s3.GetObjectAsync(bucket, "video.mp4");
        Assert.Equal("frames", await ReadAsync(got));
        Assert.Equal("video/mp4", got.Headers.ContentType);
        Assert.Equal("a7", got.Metadata["x-amz-meta-camera"]);
        Assert.Equal("max-age=60", got.Headers.CacheControl);
        Assert.Equal("attachment; filename=\"v.mp4\"", got.Headers.ContentDisposition);
        Assert.Equal("identity", got.Headers.ContentEncoding);
    }

    [Fact]
    public async Task ContentTypeDefaultsToOctetStreamAndZeroByteObjectsWork()
    {
        var (s3, bucket) = await NewBucketAsync();
        // The SDK always sends a Content-Type; a presigned PUT from a plain HTTP client sends none.
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            { BucketName = bucket, Key = "empty", Expires = DateTime.UtcNow.AddMinutes(5), Verb = HttpVerb.PUT, Protocol = Protocol.HTTP });
        using var http = new HttpClient();
        var put = await http.PutAsync(url, new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var head = await s3.GetObjectMetadataAsync(bucket, "empty");
        Assert.Equal(0, head.ContentLength);
        Assert.Equal("application/octet-stream", head.Headers.ContentType);
        Assert.Equal("\"d41d8cd98f00b204e9800998ecf8427e\"", head.ETag);
    }

    [Fact]
    public async Task OverwriteReplacesContent()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second" });
        using var got = await s3.GetObjectAsync(bucket, "k");
        Assert.Equal("second", await ReadAsync(got));
    }

    [Theory]
    [InlineData("中文/文件 名.txt")]
    [InlineData("a+b c%20d")]
    [InlineData("emoji 😀 and \uFF01")]
    [InlineData("dir//double/slash/")]
    [InlineData("special !'()*&$@=;:,?")]
    public async Task UnusualKeysRoundTrip(string key)
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });
        using var got = await s3.GetObjectAsync(bucket, key);
        Assert.Equal(key, await ReadAsync(got));
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal([key], listed.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task KeyLengthLimitIs1024Bytes()
    {
        var (s3, bucket) = await NewBucketAsync();
        var longest = new string('é', 512);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = longest, ContentBody = "x" });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = longest + "a", ContentBody = "x" }));
        Assert.Equal(("KeyTooLongError", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task WrongContentMd5IsBadDigestAndStoresNothing()
    {
        var (s3, bucket) = await NewBucketAsync();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "hello", MD5Digest = Convert.ToBase64String(MD5.HashData("other"u8)),
        }));
        Assert.Equal(("BadDigest", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(listed.S3Objects ?? []);
    }

    /// <summary>
    /// Bodies of 8 MiB and more take the O_DIRECT path, written in whole 4 KiB blocks and cut back to their length: the
    /// object reads back byte for byte, its last bytes included, and a refused overwrite leaves it as it was.
    /// </summary>
    [Fact]
    public async Task LargeBodiesRoundTripAndARefusedOverwriteKeepsThem()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = RandomNumberGenerator.GetBytes((9 << 20) + 4097);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "large", InputStream = new MemoryStream(body) });
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"", put.ETag);

        var other = RandomNumberGenerator.GetBytes(12 << 20);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "large", InputStream = new MemoryStream(other), MD5Digest = Convert.ToBase64String(MD5.HashData(body)),
        }));
        Assert.Equal(("BadDigest", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));

        using (var got = await s3.GetObjectAsync(bucket, "large"))
        {
            Assert.Equal(body.Length, got.ContentLength);
            using var copy = new MemoryStream();
            await got.ResponseStream.CopyToAsync(copy);
            Assert.True(body.AsSpan().SequenceEqual(copy.ToArray()));
        }
        using var tail = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "large", ByteRange = new ByteRange(body.Length - 5000, body.Length - 1) });
        using var tailCopy = new MemoryStream();
        await tail.ResponseStream.CopyToAsync(tailCopy);
        Assert.True(body.AsSpan(body.Length - 5000).SequenceEqual(tailCopy.ToArray()));
    }

    [Fact]
    public async Task RangesReturnPartialContent()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "digits", ContentBody = "0123456789" });
        foreach (var (range, expected, contentRange) in new[]
                 {
                     (new ByteRange(2, 5), "2345", "bytes 2-5/10"),
                     (new ByteRange("bytes=7-"), "789", "bytes 7-9/10"),
                     (new ByteRange("bytes=-3"), "789", "bytes 7-9/10"),
                     (new ByteRange(8, 100), "89", "bytes 8-9/10"),
                 })
        {
            using var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "digits", ByteRange = range });
            Assert.Equal(HttpStatusCode.PartialContent, got.HttpStatusCode);
            Assert.Equal(expected, await ReadAsync(got));
            Assert.Equal(contentRange, got.ContentRange);
        }
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "digits", ByteRange = new ByteRange(10, 20) }));
        Assert.Equal(("InvalidRange", HttpStatusCode.RequestedRangeNotSatisfiable), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task ConditionalGets()
    {
        var (s3, bucket) = await NewBucketAsync();
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "c", ContentBody = "conditional" });
        using (var ok = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToMatch = put.ETag }))
            Assert.Equal(HttpStatusCode.OK, ok.HttpStatusCode);
        var mismatch = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToMatch = "\"00000000000000000000000000000000\"" }));
        Assert.Equal(("PreconditionFailed", HttpStatusCode.PreconditionFailed), (mismatch.ErrorCode, mismatch.StatusCode));
        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToNotMatch = put.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        var since = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", ModifiedSinceDate = DateTime.UtcNow.AddMinutes(1) }));
        Assert.Equal(HttpStatusCode.NotModified, since.StatusCode);
        var unmodified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", UnmodifiedSinceDate = DateTime.UtcNow.AddDays(-1) }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, unmodified.StatusCode);
    }

    [Fact]
    public async Task ResponseHeaderOverrides()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "o", ContentBody = "x", ContentType = "text/plain" });
        var request = new GetObjectRequest { BucketName = bucket, Key = "o" };
        request.ResponseHeaderOverrides.ContentType = "image/png";
        request.ResponseHeaderOverrides.ContentDisposition = "attachment; filename=x.png";
        using var got = await s3.GetObjectAsync(request);
        Assert.Equal("image/png", got.Headers.ContentType);
        Assert.Equal("attachment; filename=x.png", got.Headers.ContentDisposition);
    }

    [Fact]
    public async Task DeleteObjectsReportsEachKeyAndQuietReportsOnlyErrors()
    {
        var (s3, bucket) = await NewBucketAsync();
        foreach (var k in new[] { "a", "b", "c" }) await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = k });
        var loud = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "a" }, new KeyVersion { Key = "missing" }] });
        Assert.Equal(["a", "missing"], loud.DeletedObjects.Select(d => d.Key).Order());
        var quiet = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "b" }, new KeyVersion { Key = "c" }], Quiet = true });
        Assert.Empty(quiet.DeletedObjects ?? []);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
    }

    [Fact]
    public async Task CopyObjectDirectivesAndRules()
    {
        var (s3, bucket) = await NewBucketAsync();
        var put = new PutObjectRequest { BucketName = bucket, Key = "源/文件.txt", ContentBody = "copy me", ContentType = "text/plain" };
        put.Metadata.Add("x-amz-meta-k", "v");
        await s3.PutObjectAsync(put);

        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "源/文件.txt", DestinationBucket = bucket, DestinationKey = "copied" });
        var copied = await s3.GetObjectMetadataAsync(bucket, "copied");
        Assert.Equal(("text/plain", "v"), (copied.Headers.ContentType, copied.Metadata["x-amz-meta-k"]));

        var replace = new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "源/文件.txt", DestinationBucket = bucket, DestinationKey = "replaced",
            MetadataDirective = S3MetadataDirective.REPLACE, ContentType = "application/json",
        };
        await s3.CopyObjectAsync(replace);
        var replaced = await s3.GetObjectMetadataAsync(bucket, "replaced");
        Assert.Equal("application/json", replaced.Headers.ContentType);
        Assert.Null(replaced.Metadata["x-amz-meta-k"]);

        var self = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
            { SourceBucket = bucket, SourceKey = "copied", DestinationBucket = bucket, DestinationKey = "copied" }));
        Assert.Equal(("InvalidRequest", HttpStatusCode.BadRequest), (self.ErrorCode, self.StatusCode));
        await s3.CopyObjectAsync(new CopyObjectRequest
            { SourceBucket = bucket, SourceKey = "copied", DestinationBucket = bucket, DestinationKey = "copied", MetadataDirective = S3MetadataDirective.REPLACE });

        var conditional = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
            { SourceBucket = bucket, SourceKey = "copied", DestinationBucket = bucket, DestinationKey = "x", ETagToMatch = "\"0000\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, conditional.StatusCode);

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
            { SourceBucket = bucket, SourceKey = "nope", DestinationBucket = bucket, DestinationKey = "x" }));
        Assert.Equal(("NoSuchKey", HttpStatusCode.NotFound), (missing.ErrorCode, missing.StatusCode));
    }

    [Fact]
    public async Task UnsignedRequestsGetS3ErrorXmlWithRequestId()
    {
        var (_, bucket) = await NewBucketAsync();
        using var http = new HttpClient();
        var response = await http.GetAsync($"{fixture.Server.Endpoint}/{bucket}/secret.txt");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var requestId = Assert.Single(response.Headers.GetValues("x-amz-request-id"));
        var body = await response.Content.ReadAsStringAsync();
        var xml = System.Xml.Linq.XElement.Parse(body);
        Assert.Equal("Error", xml.Name.LocalName);
        Assert.Equal("AccessDenied", xml.Element("Code")?.Value);
        Assert.False(string.IsNullOrEmpty(xml.Element("Message")?.Value));
        Assert.Equal($"/{bucket}/secret.txt", xml.Element("Resource")?.Value);
        Assert.Equal(requestId, xml.Element("RequestId")?.Value);
        Assert.DoesNotContain("   at ", body);
    }

    [Fact]
    public async Task WrongSecretAndUnknownKeyAreDistinguishedOnlyByCode()
    {
        var (_, bucket) = await NewBucketAsync();
        using var wrong = fixture.Server.CreateClient(secretKey: "not-the-secret");
        var e1 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => wrong.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        Assert.Equal(("SignatureDoesNotMatch", HttpStatusCode.Forbidden), (e1.ErrorCode, e1.StatusCode));
        using var unknown = fixture.Server.CreateClient(accessKey: "AKIDNOTKNOWN00000000");
        var e2 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => unknown.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        Assert.Equal(("InvalidAccessKeyId", HttpStatusCode.Forbidden), (e2.ErrorCode, e2.StatusCode));
    }

    [Fact]
    public async Task PresignedUrlsWorkUntilTheyExpire()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared.txt", ContentBody = "shared" });
        using var http = new HttpClient();
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "shared.txt", Expires = DateTime.UtcNow.AddMinutes(5), Verb = HttpVerb.GET, Protocol = Protocol.HTTP });
        Assert.Equal("shared", await http.GetStringAsync(url));
        var putUrl = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "up.txt", Expires = DateTime.UtcNow.AddMinutes(5), Verb = HttpVerb.PUT, Protocol = Protocol.HTTP });
        var put = await http.PutAsync(putUrl, new ByteArrayContent("uploaded"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var got = await s3.GetObjectAsync(bucket, "up.txt")) Assert.Equal("uploaded", await ReadAsync(got));
        var expired = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "shared.txt", Expires = DateTime.UtcNow.AddSeconds(1), Verb = HttpVerb.GET, Protocol = Protocol.HTTP });
        // Whole seconds on both sides (X-Amz-Date, X-Amz-Expires) and the SDK's clock-skew correction from the server's
        // Date header (itself updated once a second) can each add a second under load.
        await Task.Delay(3500);
        var response = await http.GetAsync(expired);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task VirtualHostedAddressingReachesTheSameBuckets()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "vh.txt", ContentBody = "virtual host" });
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = async (ctx, ct) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, ctx.DnsEndPoint.Port, ct);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        } });
        // A client that addresses buckets as <bucket>.localhost; the handler above connects every name to 127.0.0.1.
        using var vhClient = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(XosProcess.AccessKey, XosProcess.SecretKey), new AmazonS3Config
        {
            ServiceURL = $"http://localhost:{fixture.Server.Port}", ForcePathStyle = false, AuthenticationRegion = "us-east-1",
        });
        var vhUrl = await vhClient.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "vh.txt", Expires = DateTime.UtcNow.AddMinutes(5), Verb = HttpVerb.GET, Protocol = Protocol.HTTP });
        Assert.StartsWith($"http://{bucket}.localhost:", vhUrl);
        Assert.Equal("virtual host", await http.GetStringAsync(vhUrl));
    }
}
