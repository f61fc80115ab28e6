using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// Durability: SIGKILL the server in the middle of concurrent uploads and overwrites, restart it on the same data
/// folder, and check that every key holds, byte for byte, one of the bodies that was written to it, that every
/// acknowledged key exists, and that nothing half-written is visible.
/// </summary>
public sealed class CrashTests
{
    private const int Keys = 12;

    [Fact]
    public async Task KillDuringConcurrentWritesLeavesOnlyWholeObjects()
    {
        var data = Path.Combine(Path.GetTempPath(), "xos-crash-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var attempted = new ConcurrentDictionary<string, ConcurrentBag<string>>();
            var acknowledged = new ConcurrentDictionary<string, int>();
            const string bucket = "crash-test";
            await using (var server = await XosProcess.StartAsync(data))
            {
                using var s3 = server.CreateClient();
                await s3.PutBucketAsync(bucket);
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
                {
                    var rng = new Random(w);
                    while (!stop.IsCancellationRequested)
                    {
                        var key = $"k{rng.Next(Keys)}";
                        var multipart = w == 0;
                        var body = new byte[multipart ? 5 * 1024 * 1024 + rng.Next(1, 1024) : rng.Next(1024, 2 * 1024 * 1024)];
                        rng.NextBytes(body);
                        attempted.GetOrAdd(key, _ => []).Add(Convert.ToHexStringLower(SHA256.HashData(body)));
                        try
                        {
                            if (multipart) await MultipartPutAsync(s3, bucket, key, body);
                            else await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
                            acknowledged.AddOrUpdate(key, 1, (_, n) => n + 1);
                        }
                        catch (Exception e) when (XosProcess.IsCutOffByAKill(e))
                        {
                            return; // the server is gone
                        }
                    }
                })).ToArray();
                await Task.Delay(3000);
                server.Crash();
                stop.Cancel();
                await Task.WhenAll(writers);
            }
            Assert.NotEmpty(acknowledged);

            await using var restarted = await XosProcess.StartAsync(data);
            using var client = restarted.CreateClient();
            var listed = (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? [];
            foreach (var key in acknowledged.Keys) Assert.Contains(listed, o => o.Key == key);
            foreach (var o in listed)
            {
                Assert.True(attempted.ContainsKey(o.Key), $"{o.Key} was never written");
                using var got = await client.GetObjectAsync(bucket, o.Key);
                var bytes = new MemoryStream();
                await got.ResponseStream.CopyToAsync(bytes);
                var content = bytes.ToArray();
                Assert.Equal(got.ContentLength, content.Length);
                Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(content)), attempted[o.Key]);
                if (!got.ETag.Contains('-')) Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(content))}\"", got.ETag);
            }

            // Temporary files of the interrupted writes are swept shortly after start-up. A gateway of a shared
            // store cannot tell them from another gateway's writes in flight: it leaves them for the grace period.
            if (restarted.MetadataUrl is not null) return;
            var tmp = Path.Combine(data, "tmp");
            for (var i = 0; i < 100 && Directory.EnumerateFiles(tmp).Any(); i++) await Task.Delay(100);
            Assert.Empty(Directory.EnumerateFiles(tmp));
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }

    private static async Task MultipartPutAsync(AmazonS3Client s3, string bucket, string key, byte[] body)
    {
        var upload = await s3.InitiateMultipartUploadAsync(bucket, key);
        const int first = 5 * 1024 * 1024;
        var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(body, 0, first) });
        var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = 2, InputStream = new MemoryStream(body, first, body.Length - first) });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)] });
    }

    [Fact]
    public async Task SigtermLetsAnInFlightDownloadFinishAndExitsCleanly()
    {
        await using var server = await XosProcess.StartAsync();
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("shutdown");
        var body = new byte[32 * 1024 * 1024];
        Random.Shared.NextBytes(body);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "shutdown", Key = "big", InputStream = new MemoryStream(body) });

        using var got = await s3.GetObjectAsync("shutdown", "big");
        var buffer = new byte[64 * 1024];
        var first = await got.ResponseStream.ReadAsync(buffer);
        var stopping = server.StopAsync(TimeSpan.FromSeconds(40));
        // A client slower than the command-line library's own 2 s grace: the host's drain, not the parser's, decides.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(server.HasExited, "the server exited with a download in flight");
        long total = first;
        int n;
        while ((n = await got.ResponseStream.ReadAsync(buffer)) > 0) total += n;
        Assert.Equal(body.Length, total);
        Assert.Equal(0, await stopping);
    }
}
