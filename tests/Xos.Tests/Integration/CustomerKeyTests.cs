using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>SSE-C through AWSSDK.S3 over HTTPS: data sealed with the customer's key, which is never stored.</summary>
public sealed class CustomerKeyTests
{
    private static (string Key, string Md5) NewKey()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        return (Convert.ToBase64String(key), Convert.ToBase64String(MD5.HashData(key)));
    }

    private static async Task<byte[]> ReadAsync(GetObjectResponse r)
    {
        using var copy = new MemoryStream();
        await r.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task ObjectsSealedWithACustomerKeyNeedThatKeyForEveryRead()
    {
        await using var tls = await TlsServer.StartAsync();
        using var s3 = tls.CreateClient();
        await s3.PutBucketAsync("ssec");
        var (key, md5) = NewKey();
        var (otherKey, otherMd5) = NewKey();
        var body = RandomNumberGenerator.GetBytes(200_000);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "ssec", Key = "secret", InputStream = new MemoryStream(body),
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key, ServerSideEncryptionCustomerProvidedKeyMD5 = md5,
        });
        Assert.Equal(md5, put.ServerSideEncryptionCustomerProvidedKeyMD5);

        using (var got = await s3.GetObjectAsync(new GetObjectRequest
               {
                   BucketName = "ssec", Key = "secret", ByteRange = new ByteRange(70_000, 140_000),
                   ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = key,
               }))
            Assert.Equal(body[70_000..140_001], await ReadAsync(got));

        var withoutKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("ssec", "secret"));
        Assert.Equal(HttpStatusCode.BadRequest, withoutKey.StatusCode);
        var wrongKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = "ssec", Key = "secret", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = otherKey, ServerSideEncryptionCustomerProvidedKeyMD5 = otherMd5,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, wrongKey.StatusCode);

        // A copy reads the source with its key and seals the target with another.
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "ssec", SourceKey = "secret", DestinationBucket = "ssec", DestinationKey = "rekeyed",
            CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, CopySourceServerSideEncryptionCustomerProvidedKey = key,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = otherKey,
        });
        using (var copied = await s3.GetObjectAsync(new GetObjectRequest
               {
                   BucketName = "ssec", Key = "rekeyed", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
                   ServerSideEncryptionCustomerProvidedKey = otherKey,
               }))
            Assert.Equal(body, await ReadAsync(copied));

        // Neither the key nor the plaintext is anywhere on disk.
        var data = Directory.GetFiles(tls.Server.DataDirectory, "*", SearchOption.AllDirectories);
        var needle = Convert.FromBase64String(key);
        // server.lock is empty and held locked by the running server.
        foreach (var file in data.Where(f => Path.GetFileName(f) != "server.lock"))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(needle));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(body.AsSpan(0, 64)));
        }
    }

    [Fact]
    public async Task MultipartUploadsUseTheSameCustomerKeyForEveryPart()
    {
        await using var tls = await TlsServer.StartAsync();
        using var s3 = tls.CreateClient();
        await s3.PutBucketAsync("ssec-mp");
        var (key, md5) = NewKey();
        var (otherKey, _) = NewKey();
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = "ssec-mp", Key = "mp", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = key,
        });
        var parts = new[] { RandomNumberGenerator.GetBytes(5 * 1024 * 1024), RandomNumberGenerator.GetBytes(1000) };
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = "ssec-mp", Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(parts[0]),
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = otherKey,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
            etags.Add(new PartETag(i + 1, (await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "ssec-mp", Key = "mp", UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]),
                ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = key,
            })).ETag));
        // Only who holds the key may complete the upload.
        var anonymous = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "ssec-mp", Key = "mp", UploadId = init.UploadId, PartETags = etags,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, anonymous.StatusCode);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "ssec-mp", Key = "mp", UploadId = init.UploadId, PartETags = etags, SSECustomerAlgorithm = "AES256", SSECustomerKey = key, SSECustomerKeyMD5 = md5,
        });
        using var got = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = "ssec-mp", Key = "mp", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = key,
        });
        Assert.Equal(parts[0].Concat(parts[1]).ToArray(), await ReadAsync(got));
    }

    [Fact]
    public async Task CustomerKeysAreRefusedOverPlainHttpAndWhenMalformed()
    {
        await using var server = await XosProcess.StartAsync();
        using var http = new HttpClient();
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("plain");
        var (key, md5) = NewKey();
        // AWSSDK.S3 refuses SSE-C over HTTP on its own, so these requests are presigned and sent by hand.
        async Task<HttpResponseMessage> PutAsync(params (string Name, string Value)[] headers)
        {
            var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            {
                BucketName = "plain", Key = "k", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
            });
            var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("data") };
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            return await http.SendAsync(request);
        }
        var overHttp = await PutAsync(("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", key), ("x-amz-server-side-encryption-customer-key-MD5", md5));
        Assert.Equal(HttpStatusCode.BadRequest, overHttp.StatusCode);
        Assert.Contains("<Code>InvalidRequest</Code>", await overHttp.Content.ReadAsStringAsync());
        var keyWithoutAlgorithm = await PutAsync(("x-amz-server-side-encryption-customer-key", key), ("x-amz-server-side-encryption-customer-key-MD5", md5));
        Assert.Equal(HttpStatusCode.BadRequest, keyWithoutAlgorithm.StatusCode);
        var badMd5 = await PutAsync(("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", key), ("x-amz-server-side-encryption-customer-key-MD5", Convert.ToBase64String(new byte[16])));
        Assert.Equal(HttpStatusCode.BadRequest, badMd5.StatusCode);
        Assert.Contains("<Code>InvalidArgument</Code>", await badMd5.Content.ReadAsStringAsync());
        // Nothing was stored by any of them.
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("plain", "k"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
