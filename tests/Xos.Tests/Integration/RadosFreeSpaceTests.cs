using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// With --blobs rados:// the free space XOS reports (xos_blob_store_free_bytes, /health/ready) and holds the --min-free
/// reserve against is the pool's, as `ceph df detail` gives it (MAX AVAIL, or the rest of a max_bytes quota), not the
/// data folder's. A pool of its own with a 100 MiB quota makes the figures exact.
/// </summary>
public sealed class RadosFreeSpaceTests
{
    private const long Quota = 100L << 20;

    /// <summary>A replicated pool on osd.0 with a quota, and a user with the documented capabilities on it.</summary>
    private static async Task<string> QuotaPoolUrlAsync()
    {
        var ceph = await TestCeph.StartAsync();
        var pool = "xos-quota-" + Guid.NewGuid().ToString("N")[..8];
        await ceph.CephAsync("osd", "pool", "create", pool, "8", "8", "replicated", "on-osd0");
        await ceph.CephAsync("osd", "pool", "set", pool, "size", "1", "--yes-i-really-mean-it");
        await ceph.CephAsync("osd", "pool", "application", "enable", pool, "xos");
        await ceph.CephAsync("osd", "pool", "set-quota", pool, "max_bytes", Quota.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var keyring = Path.Combine(ceph.Directory, $"client.{pool}.keyring");
        await ceph.CephAsync("auth", "get-or-create", $"client.{pool}", "mon", "allow r", "osd", $"allow rw pool={pool}", "-o", keyring);
        return $"rados://{pool}?conf={ceph.ConfPath}&id={pool}&keyring={keyring}&timeout=30";
    }

    private static async Task<(XosProcess Server, string Metrics)> StartAsync(string dataDirectory, string blobs, string minFree)
    {
        var port = XosProcess.FreePort();
        var server = await XosProcess.StartAsync(dataDirectory, environment: new Dictionary<string, string>
        {
            ["XOS_BLOBS"] = blobs,
            ["XOS_MIN_FREE"] = minFree,
            ["XOS_METRICS_ADDRESS"] = $"127.0.0.1:{port}",
        });
        return (server, $"http://127.0.0.1:{port}/metrics");
    }

    [CephFact]
    public async Task TheReserveIsHeldAgainstThePoolsFreeSpaceWhichTheMetricsAndReadinessReport()
    {
        var blobs = await QuotaPoolUrlAsync();
        var data = Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        using var http = new HttpClient();
        var body = RandomNumberGenerator.GetBytes(1 << 20);
        var (server, metrics) = await StartAsync(data, blobs, "10m");
        await using (server)
        {
            var text = await http.GetStringAsync(metrics);
            var free = MetricsTests.Sample(text, "xos_blob_store_free_bytes");
            // The quota less the little the pool holds (the owner mark), far below the data folder's free space.
            Assert.InRange(free!.Value, Quota - (1 << 20), Quota);
            Assert.True(new DriveInfo(Path.GetTempPath()).AvailableFreeSpace > 2 * Quota, "the data folder's filesystem must have more room than the pool for this test to tell them apart");
            Assert.Equal(10 << 20, MetricsTests.Sample(text, "xos_blob_store_reserve_bytes"));
            Assert.Equal("ready\n", await http.GetStringAsync($"{server.Endpoint}/health/ready"));
            using var s3 = server.CreateClient();
            await s3.PutBucketAsync("quota");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "quota", Key = "before", InputStream = new MemoryStream(body) });
        }

        // A share of the pool: 50% of its 100 MiB quota.
        (server, metrics) = await StartAsync(data, blobs, "50%");
        await using (server)
            Assert.Equal(Quota / 2, MetricsTests.Sample(await http.GetStringAsync(metrics), "xos_blob_store_reserve_bytes"));

        // A reserve larger than the pool: writes are refused with 507 before the pool is full; reads go on.
        (server, metrics) = await StartAsync(data, blobs, "200m");
        await using (server)
        {
            using var s3 = server.CreateClient();
            var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
                s3.PutObjectAsync(new PutObjectRequest { BucketName = "quota", Key = "after", InputStream = new MemoryStream(body) }));
            Assert.Equal((HttpStatusCode)507, refused.StatusCode);
            Assert.Equal("InsufficientStorage", refused.ErrorCode);
            Assert.Equal(ClusterTests.Sha(body), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "quota", "before")));
            var ready = await http.GetStringAsync($"{server.Endpoint}/health/ready");
            Assert.StartsWith("ready\nwarning: ", ready);
            Assert.Contains($"below the reserve of {200L << 20} bytes: writes are refused (507)", ready);
        }
        Directory.Delete(data, recursive: true);
    }
}
