using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// A gateway on RADOS removes what an overwrite displaced after answering (off the connection: the client's next
/// request does not wait for it), removes what a DELETE frees before answering, and refuses to serve a head whose
/// layout is missing (an unfinished write), whether GET reads the body whole, by range or through the object cache.
/// </summary>
public sealed class RadosReleaseTests
{
    private static async Task<(XosProcess Server, string Namespace)> StartAsync(Dictionary<string, string>? more = null)
    {
        var ceph = await TestCeph.StartAsync();
        var ns = "release-" + Guid.NewGuid().ToString("N")[..10];
        var env = new Dictionary<string, string> { ["XOS_BLOBS"] = ceph.BlobsUrl(ns) };
        foreach (var (k, v) in more ?? []) env[k] = v;
        return (await XosProcess.StartAsync(environment: env), ns);
    }

    /// <summary>The objects holding bodies in the namespace (without the owner mark), sorted.</summary>
    private static async Task<List<string>> PoolObjectsAsync(string ns) =>
        (await (await TestCeph.StartAsync()).RadosAsync(ns, "ls")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(o => o != "xos.owner").Order(StringComparer.Ordinal).ToList();

    private static async Task PutAsync(IAmazonS3 s3, string bucket, string key, byte[] body) =>
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });

    [CephFact]
    public async Task AnOverwritesDisplacedStripesLeaveThePoolAfterTheAnswerAndADeletesBeforeIt()
    {
        var (server, ns) = await StartAsync();
        await using var _ = server;
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("release");
        await s3.PutBucketAsync(bucket);

        // Two stripes, then overwritten by a body of one: the first body's head and stripe go, the second's head stays.
        await PutAsync(s3, bucket, "k", RandomNumberGenerator.GetBytes((4 << 20) + 1000));
        var first = await PoolObjectsAsync(ns);
        Assert.Equal(2, first.Count);
        var second = RandomNumberGenerator.GetBytes(50_000);
        await PutAsync(s3, bucket, "k", second);
        // The same connection serves the next request whatever the removal is doing.
        Assert.Equal(second, await ClusterTests.ReadAsync(s3, bucket, "k"));
        List<string> left = [];
        for (var i = 0; i < 150; i++)
        {
            left = await PoolObjectsAsync(ns);
            if (left.Count == 1 && !first.Contains(left[0])) break;
            await Task.Delay(200);
        }
        Assert.Single(left);
        Assert.DoesNotContain(left[0], first);

        // Many overwrites of a few keys (the benchmark's put workload): every displaced body goes, the last ones stay.
        var last = new Dictionary<string, byte[]>();
        for (var i = 0; i < 24; i++)
        {
            var key = $"w{i % 4}";
            last[key] = RandomNumberGenerator.GetBytes(100_000 + i); // large enough not to be kept inline in the metadata
            await PutAsync(s3, bucket, key, last[key]);
        }
        for (var i = 0; i < 150; i++)
        {
            left = await PoolObjectsAsync(ns);
            if (left.Count == 5) break;
            await Task.Delay(200);
        }
        Assert.Equal(5, left.Count);
        foreach (var (key, body) in last) Assert.Equal(body, await ClusterTests.ReadAsync(s3, bucket, key));

        // A DELETE frees its space before it answers: no polling.
        foreach (var key in last.Keys.Append("k")) await s3.DeleteObjectAsync(bucket, key);
        Assert.Empty(await PoolObjectsAsync(ns));
        Assert.DoesNotContain(server.Output.Split('\n'), l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains("displaced blob", StringComparison.Ordinal));
    }

    [CephFact]
    public Task AGetOfAHeadWithoutItsLayoutIsAnInternalErrorAndSendsNoByteOfIt() =>
        GetOfAHeadWithoutLayoutAsync(new() { ["XOS_OBJECT_CACHE"] = "0" });

    [CephFact]
    public Task AGetThroughTheObjectCacheOfAHeadWithoutItsLayoutIsAnInternalErrorToo() =>
        GetOfAHeadWithoutLayoutAsync(new() { ["XOS_OBJECT_CACHE_MAX_OBJECT"] = "1m" });

    private static async Task GetOfAHeadWithoutLayoutAsync(Dictionary<string, string> settings)
    {
        var (server, ns) = await StartAsync(settings);
        await using var _ = server;
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("layout");
        await s3.PutBucketAsync(bucket);
        var body = RandomNumberGenerator.GetBytes(300_000);
        await PutAsync(s3, bucket, "k", body);

        // What a write cut short leaves (and what a reused id would show): the head without its layout attribute.
        var head = Assert.Single(await PoolObjectsAsync(ns));
        await (await TestCeph.StartAsync()).RadosAsync(ns, "rmxattr", head, "xos.layout");

        foreach (var range in new ByteRange?[] { null, new(10, 19), new(299_990, 299_999) })
        {
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
                s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", ByteRange = range }));
            Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
            Assert.Equal("InternalError", e.ErrorCode);
        }
        // The metadata is still there (HEAD does not read the body), and the gateway goes on serving.
        Assert.Equal(body.Length, (await s3.GetObjectMetadataAsync(bucket, "k")).ContentLength);
        await PutAsync(s3, bucket, "other", body);
        Assert.Equal(body, await ClusterTests.ReadAsync(s3, bucket, "other"));
    }
}
