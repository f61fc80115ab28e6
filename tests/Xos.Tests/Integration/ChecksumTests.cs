using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Xos.Server.Checksums;

namespace Xos.Tests.Integration;

/// <summary>Flexible checksums through AWSSDK.S3: verified on the way in, stored, returned with x-amz-checksum-mode.</summary>
[Collection(XosCollection.Name)]
public sealed class ChecksumTests(XosFixture fixture)
{
    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("sum");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static string B64(string algorithm, byte[] data) => Convert.ToBase64String(ChecksumAlgorithms.Hash(algorithm, data));

    [Theory]
    [InlineData("CRC32")]
    [InlineData("CRC32C")]
    [InlineData("CRC64NVME")]
    [InlineData("SHA1")]
    [InlineData("SHA256")]
    public async Task PutObjectChecksumIsVerifiedStoredAndReturnedOnRequest(string algorithm)
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = RandomNumberGenerator.GetBytes(300_000);
        var expected = B64(algorithm, body);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "clip", InputStream = new MemoryStream(body), ChecksumAlgorithm = new ChecksumAlgorithm(algorithm),
        });
        Assert.Equal(expected, ValueOf(algorithm, put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256));

        var plain = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "clip" });
        Assert.Null(ValueOf(algorithm, plain.ChecksumCRC32, plain.ChecksumCRC32C, plain.ChecksumCRC64NVME, plain.ChecksumSHA1, plain.ChecksumSHA256));
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "clip", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(expected, ValueOf(algorithm, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256));
        Assert.Equal("FULL_OBJECT", head.ChecksumType?.Value);
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "clip", ChecksumMode = ChecksumMode.ENABLED });
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(body, copy.ToArray());
        Assert.Equal(expected, ValueOf(algorithm, get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256));
    }

    private static string? ValueOf(string algorithm, string? crc32, string? crc32c, string? crc64, string? sha1, string? sha256) => algorithm switch
    {
        "CRC32" => crc32,
        "CRC32C" => crc32c,
        "CRC64NVME" => crc64,
        "SHA1" => sha1,
        _ => sha256,
    };

    [Fact]
    public async Task AWrongChecksumIsBadDigestAndKeepsTheOldObject()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "original" });
        var wrong = B64("SHA256", "something else"u8.ToArray());
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "replacement", ChecksumSHA256 = wrong,
        }));
        Assert.Equal(("BadDigest", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
        using var got = await s3.GetObjectAsync(bucket, "k");
        Assert.Equal("original", await new StreamReader(got.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task ConflictingChecksumHeadersAreRefused()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = "two sums"u8.ToArray();
        var put = new PutObjectRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(body), ChecksumCRC32 = B64("CRC32", body) };
        put.Headers["x-amz-checksum-sha1"] = B64("SHA1", body);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(put));
        Assert.Equal(("InvalidRequest", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Theory]
    [InlineData("SHA256", "COMPOSITE")]
    [InlineData("CRC32C", "COMPOSITE")]
    [InlineData("CRC32", "FULL_OBJECT")]
    [InlineData("CRC64NVME", "FULL_OBJECT")]
    public async Task MultipartChecksumsAreCompositeOrFullObject(string algorithm, string type)
    {
        var (s3, bucket) = await NewBucketAsync();
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", ChecksumAlgorithm = new ChecksumAlgorithm(algorithm), ChecksumType = new ChecksumType(type),
        });
        Assert.Equal(algorithm, init.ChecksumAlgorithm?.Value);
        var parts = new[] { RandomNumberGenerator.GetBytes(5 * 1024 * 1024), RandomNumberGenerator.GetBytes(123_457) };
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
        {
            var up = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]),
                ChecksumAlgorithm = new ChecksumAlgorithm(algorithm),
            });
            etags.Add(new PartETag(up));
        }
        var listed = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId });
        Assert.Equal(algorithm, listed.ChecksumAlgorithm?.Value);
        Assert.Equal(B64(algorithm, parts[1]), ValueOf(algorithm, listed.Parts[1].ChecksumCRC32, listed.Parts[1].ChecksumCRC32C,
            listed.Parts[1].ChecksumCRC64NVME, listed.Parts[1].ChecksumSHA1, listed.Parts[1].ChecksumSHA256));

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = etags,
        });
        var expected = type == "FULL_OBJECT"
            ? B64(algorithm, [.. parts[0], .. parts[1]])
            : Convert.ToBase64String(ChecksumAlgorithms.Hash(algorithm, [.. ChecksumAlgorithms.Hash(algorithm, parts[0]), .. ChecksumAlgorithms.Hash(algorithm, parts[1])])) + "-2";
        Assert.Equal(expected, ValueOf(algorithm, done.ChecksumCRC32, done.ChecksumCRC32C, done.ChecksumCRC64NVME, done.ChecksumSHA1, done.ChecksumSHA256));
        Assert.Equal(type, done.ChecksumType?.Value);
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "mp", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(expected, ValueOf(algorithm, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256));
        Assert.Equal(type, head.ChecksumType?.Value);
        // One part read back: that part's checksum, under the object's checksum type (either type, as S3 answers).
        using (var part = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "mp", PartNumber = 2, ChecksumMode = ChecksumMode.ENABLED }))
        {
            Assert.Equal(B64(algorithm, parts[1]), ValueOf(algorithm, part.ChecksumCRC32, part.ChecksumCRC32C, part.ChecksumCRC64NVME, part.ChecksumSHA1, part.ChecksumSHA256));
            Assert.Equal(type, part.ChecksumType?.Value);
        }

        var attributes = await s3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket, Key = "mp", MaxParts = 1, PartNumberMarker = 1,
            ObjectAttributes = [ObjectAttributes.ETag, ObjectAttributes.Checksum, ObjectAttributes.ObjectParts, ObjectAttributes.StorageClass, ObjectAttributes.ObjectSize],
        });
        Assert.Equal(done.ETag.Trim('"'), attributes.ETag);
        Assert.Equal(parts[0].Length + parts[1].Length, attributes.ObjectSize);
        var c = attributes.Checksum;
        Assert.Equal(expected, ValueOf(algorithm, c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256));
        Assert.Equal(2, attributes.ObjectParts.TotalPartsCount);
        var second = Assert.Single(attributes.ObjectParts.Parts);
        Assert.Equal((2, (long)parts[1].Length), (second.PartNumber ?? 0, second.Size ?? 0));
        Assert.Equal("STANDARD", attributes.StorageClass?.Value);
    }

    [Fact]
    public async Task ShaChecksumsCannotBeFullObjectAndPartsMustUseTheUploadsAlgorithm()
    {
        var (s3, bucket) = await NewBucketAsync();
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", ChecksumAlgorithm = ChecksumAlgorithm.SHA256, ChecksumType = ChecksumType.FULL_OBJECT,
        }));
        Assert.Equal("InvalidRequest", refused.ErrorCode);
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", ChecksumAlgorithm = ChecksumAlgorithm.SHA1 });
        var mismatch = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[10]), ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
        }));
        Assert.Equal("InvalidRequest", mismatch.ErrorCode);
    }

    [Fact]
    public async Task ABodyShorterThanItsContentLengthIsNeverStored()
    {
        var (s3, bucket) = await NewBucketAsync();
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = "short", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        var uri = new Uri(url);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", fixture.Server.Port);
            var stream = tcp.GetStream();
            var head = $"PUT {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Length: 1000\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(new byte[400]);
            tcp.Client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            // The server may answer 400 or simply reset the connection: either way nothing may be stored.
            try { while (await stream.ReadAsync(buffer) > 0) { } }
            catch (IOException) { }
        }
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "short"));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task AChunkedBodyWithoutContentLengthIsStored()
    {
        var (s3, bucket) = await NewBucketAsync();
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = "streamed", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        var body = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        using var http = new HttpClient();
        using var content = new StreamContent(new UnseekableStream(body));
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"", response.Headers.ETag?.Tag);
        using var got = await s3.GetObjectAsync(bucket, "streamed");
        using var copy = new MemoryStream();
        await got.ResponseStream.CopyToAsync(copy);
        Assert.Equal(body, copy.ToArray());
    }

    /// <summary>A body whose length HttpClient cannot know, so it is sent with Transfer-Encoding: chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
