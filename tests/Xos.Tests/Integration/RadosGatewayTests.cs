using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// Gateways on RADOS as operators run them: different data folders sharing only a PostgreSQL database and the Ceph pool
/// (their own namespace of it), with writers at both, a gateway SIGKILLed under load, and a cluster out of reach at start-up.
/// </summary>
public sealed class RadosGatewayTests
{
    private static string Sha(byte[] data) => ClusterTests.Sha(data);

    private static Task<byte[]> ReadAsync(IAmazonS3 s3, string bucket, string key) => ClusterTests.ReadAsync(s3, bucket, key);

    /// <summary>The settings of gateways that share a database and a namespace of the pool, each with its own data folder.</summary>
    internal static async Task<Dictionary<string, string>> SharedSettingsAsync(int timeoutSeconds = 30)
    {
        var ceph = await TestCeph.StartAsync();
        var id = Guid.NewGuid().ToString("N")[..10];
        return new Dictionary<string, string>
        {
            ["XOS_METADATA_URL"] = await TestPostgres.CreateDatabaseAsync("xos_rados_" + id),
            ["XOS_BLOBS"] = ceph.BlobsUrl("gw-" + id, timeoutSeconds),
            // Folders are not shared, so neither is DATA/master.key: every gateway is given the same one.
            ["XOS_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
    }

    private static string Namespace(Dictionary<string, string> env) => env["XOS_BLOBS"][(env["XOS_BLOBS"].IndexOf("namespace=", StringComparison.Ordinal) + 10)..];

    /// <summary>The objects holding bodies in the gateways' namespace (without the owner mark).</summary>
    private static async Task<List<string>> PoolObjectsAsync(Dictionary<string, string> env) =>
        (await (await TestCeph.StartAsync()).RadosAsync(Namespace(env), "ls")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(o => o != "xos.owner").ToList();

    [CephFact]
    public async Task TwoGatewaysWithTheirOwnFoldersServeTheSameBucketsFromThePoolAndRemoveReplacedStripes()
    {
        var env = await SharedSettingsAsync();
        await using var a = await XosProcess.StartAsync(environment: env);
        await using var b = await XosProcess.StartAsync(environment: env);
        Assert.NotEqual(a.DataDirectory, b.DataDirectory);
        Assert.Contains("blobs       : rados://xos-tests", a.Output);
        using var s3a = a.CreateClient();
        using var s3b = b.CreateClient();
        var bucket = XosFixture.NewBucketName("rados");
        await s3a.PutBucketAsync(bucket);

        // Writers at both gateways at once: small, multi-stripe and encrypted bodies, and both overwriting one key.
        var written = new ConcurrentDictionary<string, byte[]>();
        var sizes = new[] { 100, 20_000, (1 << 20) + 3, (9 << 20) + 77 };
        await Task.WhenAll(new[] { s3a, s3b }.Select((s3, g) => Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                var body = RandomNumberGenerator.GetBytes(sizes[i % sizes.Length]);
                var key = $"g{g}/k{i}";
                await s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = bucket, Key = key, InputStream = new MemoryStream(body),
                    ServerSideEncryptionMethod = i % 3 == 0 ? ServerSideEncryptionMethod.AES256 : null,
                });
                written[key] = body;
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared", InputStream = new MemoryStream(body) });
            }
        })));
        // A multipart upload started at one gateway, its parts sent to both, completed at the other.
        var upload = await s3a.InitiateMultipartUploadAsync(bucket, "mp");
        byte[][] parts = [RandomNumberGenerator.GetBytes(5 << 20), RandomNumberGenerator.GetBytes(6 << 20), RandomNumberGenerator.GetBytes(1000)];
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
        {
            var part = await (i % 2 == 0 ? s3a : s3b).UploadPartAsync(new UploadPartRequest
                { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]) });
            etags.Add(new PartETag(i + 1, part.ETag));
        }
        await s3b.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartETags = etags });
        written["mp"] = parts.SelectMany(p => p).ToArray();

        foreach (var (key, body) in written)
        {
            Assert.Equal(Sha(body), Sha(await ReadAsync(s3a, bucket, key)));
            Assert.Equal(Sha(body), Sha(await ReadAsync(s3b, bucket, key)));
        }
        // A range inside the third stripe of a multi-stripe body, from the gateway that did not write it.
        using (var ranged = await s3a.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "g1/k3", ByteRange = new ByteRange((8 << 20) + 5, (8 << 20) + 24) }))
        {
            var got = new MemoryStream();
            await ranged.ResponseStream.CopyToAsync(got);
            Assert.Equal(written["g1/k3"].AsSpan((8 << 20) + 5, 20).ToArray(), got.ToArray());
        }
        var shared = await ReadAsync(s3b, bucket, "shared");
        Assert.Contains(written.Where(w => w.Key.EndsWith("/k7", StringComparison.Ordinal)).Select(w => Sha(w.Value)), s => s == Sha(shared));

        // Everything deleted, through either gateway: no stripe of any body, replaced or not, stays in the pool.
        var keys = (await s3b.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => new KeyVersion { Key = o.Key }).ToList();
        Assert.Equal(written.Count + 1, keys.Count);
        await s3a.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = keys });
        List<string> left = [];
        for (var i = 0; i < 100; i++)
        {
            left = await PoolObjectsAsync(env);
            if (left.Count == 0) break;
            await Task.Delay(200);
        }
        Assert.Empty(left);
        foreach (var g in new[] { a, b })
            Assert.DoesNotContain(g.Output.Split('\n'), l => l.Contains(" fail: ", StringComparison.Ordinal));
    }

    [CephFact]
    public async Task AGatewayKilledUnderLoadLosesNothingItAcknowledged()
    {
        var env = await SharedSettingsAsync();
        var bucket = XosFixture.NewBucketName("kill");
        var acknowledged = new ConcurrentDictionary<string, string>();
        await using (var victim = await XosProcess.StartAsync(environment: env))
        {
            using var s3 = victim.CreateClient();
            await s3.PutBucketAsync(bucket);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var body = RandomNumberGenerator.GetBytes(i % 2 == 0 ? 30_000 : (5 << 20) + 11);
                    try
                    {
                        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"w{w}/{i}", InputStream = new MemoryStream(body) });
                        acknowledged[$"w{w}/{i}"] = Sha(body);
                    }
                    catch (Exception) when (stop.IsCancellationRequested || victim.HasExited)
                    {
                        return;
                    }
                    catch (Exception e) when (e is AmazonS3Exception or HttpRequestException or IOException or Amazon.Runtime.AmazonClientException or TaskCanceledException)
                    {
                        return;
                    }
                }
            })).ToArray();
            while (acknowledged.Count < 12) await Task.Delay(50);
            victim.Crash();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }
        await using var survivor = await XosProcess.StartAsync(environment: env);
        using var reader = survivor.CreateClient();
        Assert.True(acknowledged.Count >= 12);
        foreach (var (key, sha) in acknowledged) Assert.Equal(sha, Sha(await ReadAsync(reader, bucket, key)));
    }

    [CephFact]
    public async Task AnotherMetadataDatabaseIsRefusedTheNamespaceWhoseBlobsItDoesNotKnow()
    {
        var env = await SharedSettingsAsync();
        await using (var first = await XosProcess.StartAsync(environment: env)) { }
        // Its orphan sweep would remove every blob of the first database: it must not start.
        var other = new Dictionary<string, string>(env) { ["XOS_METADATA_URL"] = await TestPostgres.CreateDatabaseAsync("xos_rados_" + Guid.NewGuid().ToString("N")[..10]) };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => XosProcess.StartAsync(environment: other));
        Assert.Contains("xos: cannot start: rados://xos-tests namespace " + Namespace(env), refused.Message);
        Assert.Contains("holds the blobs of another metadata database", refused.Message);
    }

    [CephFact]
    public async Task AClusterOutOfReachAtStartUpIsOneLineAndExitCode1()
    {
        // A configuration naming a monitor nobody listens on.
        var folder = Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var conf = Path.Combine(folder, "nowhere.conf");
        await File.WriteAllTextAsync(conf, $"[global]\nmon_host = 127.0.0.1:{XosProcess.FreePort()}\nauth_client_required = none\nlog_file = /dev/null\n");
        var line = await TestCeph.RefusedStartAsync($"rados://xos?conf={conf}&timeout=3");
        Assert.StartsWith($"xos: cannot start: the Ceph cluster of rados://xos as client.xos ({conf}) cannot be reached within 3 s: rados_connect: ", line);
        Directory.Delete(folder, recursive: true);
    }
}
