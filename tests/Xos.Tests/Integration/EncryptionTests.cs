using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Xos.Server.Storage.Encryption;

namespace Xos.Tests.Integration;

/// <summary>Server-side encryption with AES256 and SM4: what clients see, and what lies on disk.</summary>
public sealed class EncryptionTests : IAsyncLifetime
{
    private XosProcess _server = null!;
    private AmazonS3Client _s3 = null!;
    private const string Bucket = "encrypted";
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("PLAINTEXT-THAT-MUST-NOT-BE-ON-DISK|");

    public async Task InitializeAsync()
    {
        _server = await XosProcess.StartAsync();
        _s3 = _server.CreateClient();
        await _s3.PutBucketAsync(Bucket);
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _server.DisposeAsync();
    }

    private static byte[] MarkedBody(int size)
    {
        var body = new byte[size];
        for (var i = 0; i < size; i++) body[i] = Marker[i % Marker.Length];
        return body;
    }

    private async Task<byte[]> GetAsync(string key, ByteRange? range = null)
    {
        using var r = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key, ByteRange = range });
        var m = new MemoryStream();
        await r.ResponseStream.CopyToAsync(m);
        return m.ToArray();
    }

    [Theory]
    [InlineData("AES256")]
    [InlineData("SM4")]
    public async Task EncryptedObjectsReadBackWholeAndInRanges(string algorithm)
    {
        var body = MarkedBody(300_001);
        var put = await _s3.PutObjectAsync(new PutObjectRequest
            { BucketName = Bucket, Key = $"single-{algorithm}", InputStream = new MemoryStream(body), ServerSideEncryptionMethod = new ServerSideEncryptionMethod(algorithm) });
        Assert.Equal(algorithm, put.ServerSideEncryptionMethod?.Value);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"", put.ETag);
        var head = await _s3.GetObjectMetadataAsync(Bucket, $"single-{algorithm}");
        Assert.Equal((algorithm, body.Length), (head.ServerSideEncryptionMethod?.Value, head.ContentLength));
        Assert.Equal(body, await GetAsync($"single-{algorithm}"));
        Assert.Equal(body.AsSpan(65530, 70000).ToArray(), await GetAsync($"single-{algorithm}", new ByteRange(65530, 65530 + 69999)));
    }

    [Fact]
    public async Task MultipartCopyAndBucketDefault()
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            { BucketName = Bucket, Key = "mp", ServerSideEncryptionMethod = new ServerSideEncryptionMethod("SM4") });
        var p1 = MarkedBody(5 * 1024 * 1024);
        var p3 = MarkedBody(12345);
        var e1 = await _s3.UploadPartAsync(new UploadPartRequest { BucketName = Bucket, Key = "mp", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(p1) });
        var e3 = await _s3.UploadPartAsync(new UploadPartRequest { BucketName = Bucket, Key = "mp", UploadId = upload.UploadId, PartNumber = 3, InputStream = new MemoryStream(p3) });
        await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            { BucketName = Bucket, Key = "mp", UploadId = upload.UploadId, PartETags = [new PartETag(1, e1.ETag), new PartETag(3, e3.ETag)] });
        var whole = p1.Concat(p3).ToArray();
        Assert.Equal(whole, await GetAsync("mp"));
        Assert.Equal(whole.AsSpan(5 * 1024 * 1024 - 10, 20).ToArray(), await GetAsync("mp", new ByteRange(5 * 1024 * 1024 - 10, 5 * 1024 * 1024 + 9)));

        // Copies are re-encrypted as asked: SM4 source to an AES256 target, and to plain.
        await _s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = Bucket, SourceKey = "mp", DestinationBucket = Bucket, DestinationKey = "mp-aes",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
        Assert.Equal("AES256", (await _s3.GetObjectMetadataAsync(Bucket, "mp-aes")).ServerSideEncryptionMethod?.Value);
        Assert.Equal(whole, await GetAsync("mp-aes"));

        await _s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest { BucketName = Bucket, ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
        {
            ServerSideEncryptionRules = [new ServerSideEncryptionRule { ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = new ServerSideEncryptionMethod("SM4") } }],
        } });
        Assert.Equal("SM4", (await _s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = Bucket }))
            .ServerSideEncryptionConfiguration.ServerSideEncryptionRules[0].ServerSideEncryptionByDefault.ServerSideEncryptionAlgorithm.Value);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "by-default", InputStream = new MemoryStream(MarkedBody(1000)) });
        Assert.Equal("SM4", (await _s3.GetObjectMetadataAsync(Bucket, "by-default")).ServerSideEncryptionMethod?.Value);
        await _s3.DeleteBucketEncryptionAsync(new DeleteBucketEncryptionRequest { BucketName = Bucket });
    }

    [Fact]
    public async Task UnknownAlgorithmsAreInvalidArgument()
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(new PutObjectRequest
            { BucketName = Bucket, Key = "k", ContentBody = "x", ServerSideEncryptionMethod = new ServerSideEncryptionMethod("ROT13") }));
        Assert.Equal(("InvalidArgument", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task NoPlaintextOnDiskAndTamperingIsDetected()
    {
        foreach (var algorithm in new[] { "AES256", "SM4" })
            await _s3.PutObjectAsync(new PutObjectRequest
                { BucketName = Bucket, Key = $"scan-{algorithm}", InputStream = new MemoryStream(MarkedBody(200_000)), ServerSideEncryptionMethod = new ServerSideEncryptionMethod(algorithm) });
        var files = Directory.EnumerateFiles(_server.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        // On RADOS (XOS_TEST_BLOBS=rados) the bodies at rest are the pool's objects.
        var ceph = TestCeph.IsSelected ? await TestCeph.StartAsync() : null;
        var radosCopies = Path.Combine(Path.GetTempPath(), "xos-rados-scan-" + Guid.NewGuid().ToString("N")[..8]);
        var blobFiles = ceph is null
            ? Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "blobs"), "*", SearchOption.AllDirectories).ToList()
            : await ceph.DownloadAsync(_server.DataDirectory, radosCopies);
        if (ceph is not null) files.AddRange(blobFiles);
        foreach (var file in files)
        {
            // server.lock is empty and held locked by the running server.
            if (file.EndsWith(".db-shm", StringComparison.Ordinal) || Path.GetFileName(file) == "server.lock") continue;
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(Marker) < 0, $"plaintext found in {file}");
        }

        var sealedSize = ChunkCipher.CiphertextLength(200_000);
        var blob = blobFiles.First(f => new FileInfo(f).Length == sealedSize);
        await using (var f = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Seek(100, SeekOrigin.Begin);
            var b = f.ReadByte();
            f.Seek(100, SeekOrigin.Begin);
            f.WriteByte((byte)(b ^ 0xFF));
        }
        if (ceph is not null)
        {
            await ceph.UploadAsync(_server.DataDirectory, blob);
            Directory.Delete(radosCopies, recursive: true);
        }
        var failures = 0;
        foreach (var algorithm in new[] { "AES256", "SM4" })
        {
            try { await GetAsync($"scan-{algorithm}"); }
            catch (Exception e) when (e is AmazonS3Exception or IOException or HttpRequestException or Amazon.Runtime.AmazonClientException) { failures++; }
        }
        Assert.Equal(1, failures);
    }
}
