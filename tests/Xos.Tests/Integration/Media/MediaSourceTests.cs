using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using static Xos.Tests.Integration.Media.MediaClient;

namespace Xos.Tests.Integration.Media;

/// <summary>Sources as GetObject reads them: versions, every encryption mode, and the same authorization.</summary>
public sealed class MediaSourceTests(MediaFixture fixture) : IClassFixture<MediaFixture>
{
    [Theory]
    [InlineData("AES256")]
    [InlineData("SM4")]
    [InlineData("aws:kms")]
    public async Task EncryptedSourcesAreProcessedAndTheirResultsCachedSealed(string algorithm)
    {
        var server = fixture.Server;
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("msse");
        await s3.PutBucketAsync(bucket);
        var request = new PutObjectRequest { BucketName = bucket, Key = "photo.jpg", InputStream = new MemoryStream(Jpeg(Marked())) };
        if (algorithm == "aws:kms")
        {
            var keyId = "media-" + Guid.NewGuid().ToString("N")[..8];
            await XosAdmin.RunAsync(server, "kms", "create", keyId);
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            request.ServerSideEncryptionKeyManagementServiceKeyId = keyId;
        }
        else request.ServerSideEncryptionMethod = new ServerSideEncryptionMethod(algorithm);
        await s3.PutObjectAsync(request);
        var cache = Path.Combine(server.DataDirectory, "media", "cache");
        string[] CacheFiles() => Directory.Exists(cache) ? Directory.GetFiles(cache, "*", SearchOption.AllDirectories) : [];
        var before = CacheFiles();
        using var r = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_100/rotate,90");
        var body = await r.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal((75, 100), Size(body));
        Assert.True(IsRed(Pixel(body, 70, 5)));
        Assert.Equal(algorithm, r.Headers.GetValues("x-amz-server-side-encryption").Single());
        Assert.Equal("miss", r.Headers.GetValues("x-xos-process-cache").Single());
        using var again = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_100/rotate,90");
        Assert.Equal("hit", again.Headers.GetValues("x-xos-process-cache").Single());
        Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());
        // The cached copy is sealed: the result's leading bytes (its JPEG header) are not in its cache file.
        var added = Assert.Single(CacheFiles().Except(before));
        var stored = await File.ReadAllBytesAsync(added);
        Assert.True(stored.AsSpan().IndexOf(body.AsSpan(0, 64)) < 0, "the cache file holds the result in the clear");
        Assert.Contains(algorithm == "aws:kms" ? "AES256" : algorithm, System.Text.Encoding.ASCII.GetString(stored, 0, 300));
    }

    [Fact]
    public async Task CustomerKeySourcesNeedTheirKeyAndAreNeverCached()
    {
        await using var tls = await TlsServer.StartAsync();
        using var s3 = tls.CreateClient();
        using var http = TlsServer.CreateHttpClient();
        await s3.PutBucketAsync("ssec-media");
        var key = RandomNumberGenerator.GetBytes(32);
        var (b64, md5) = (Convert.ToBase64String(key), Convert.ToBase64String(MD5.HashData(key)));
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "ssec-media", Key = "photo.png", InputStream = new MemoryStream(Png(Marked())),
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = b64, ServerSideEncryptionCustomerProvidedKeyMD5 = md5,
        });
        var headers = new Dictionary<string, string>
        {
            ["x-amz-server-side-encryption-customer-algorithm"] = "AES256",
            ["x-amz-server-side-encryption-customer-key"] = b64,
            ["x-amz-server-side-encryption-customer-key-MD5"] = md5,
        };
        using var ok = await SendAsync(s3, "ssec-media", "photo.png", "image/crop,w_50,h_50", headers: headers, tls: http);
        var body = await ok.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal((50, 50), Size(body));
        Assert.True(IsRed(Pixel(body, 10, 10)));
        Assert.Equal(md5, ok.Headers.GetValues("x-amz-server-side-encryption-customer-key-MD5").Single());
        using var withoutKey = await SendAsync(s3, "ssec-media", "photo.png", "image/crop,w_50,h_50", tls: http);
        Assert.Equal(HttpStatusCode.BadRequest, withoutKey.StatusCode);
        var cache = Path.Combine(tls.Server.DataDirectory, "media", "cache");
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task AVersionIdSelectsTheSourceVersion()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mver");
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        var v1 = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p.png", InputStream = new MemoryStream(Png(Marked(400, 300))) });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p.png", InputStream = new MemoryStream(Png(Marked(300, 600))) });
        using var old = await SendAsync(s3, bucket, "p.png", "image/resize,w_100", versionId: v1.VersionId);
        Assert.Equal((100, 75), Size(await old.Content.ReadAsByteArrayAsync()));
        Assert.Equal(v1.VersionId, old.Headers.GetValues("x-amz-version-id").Single());
        Assert.Equal((100, 200), Size(await GetAsync(s3, bucket, "p.png", "image/resize,w_100")));
    }

    [Fact]
    public async Task AuthorizationIsThatOfGetObject()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mauth");
        await s3.PutBucketAsync(bucket);
        await PutAsync(s3, bucket, "private.jpg", Jpeg(Marked()));
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "public.jpg", InputStream = new MemoryStream(Jpeg(Marked())), CannedACL = S3CannedACL.PublicRead,
        });
        var plain = $"{fixture.Server.Endpoint}/{bucket}/{{0}}?x-oss-process=image/resize,w_40";
        using (var anonymous = await Http.GetAsync(string.Format(plain, "private.jpg")))
            Assert.Contains("AccessDenied", await ErrorAsync(anonymous, HttpStatusCode.Forbidden));
        using (var pub = await Http.GetAsync(string.Format(plain, "public.jpg")))
        {
            Assert.Equal(HttpStatusCode.OK, pub.StatusCode);
            Assert.Equal((40, 30), Size(await pub.Content.ReadAsByteArrayAsync()));
        }
        // The appended parameter is left out of the signature only for reads, and only that parameter.
        var url = Url(s3, bucket, "private.jpg", "image/resize,w_40");
        using (var tampered = await Http.GetAsync(url + "&response-content-type=text%2Fplain"))
            Assert.Contains("SignatureDoesNotMatch", await ErrorAsync(tampered, HttpStatusCode.Forbidden));
        var put = s3.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = "private.jpg", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddHours(1), Protocol = Protocol.HTTP,
        });
        using (var write = await Http.PutAsync(put + "&x-xos-process=image/resize,w_40", new ByteArrayContent([1, 2, 3])))
            Assert.Contains("SignatureDoesNotMatch", await ErrorAsync(write, HttpStatusCode.Forbidden));
        using var missing = await SendAsync(s3, bucket, "nothing.jpg", "image/resize,w_40");
        Assert.Contains("NoSuchKey", await ErrorAsync(missing, HttpStatusCode.NotFound));
    }
}
