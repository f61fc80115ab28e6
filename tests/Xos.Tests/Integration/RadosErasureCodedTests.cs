using System.Security.Cryptography;
using Amazon.S3.Model;
using Xos.Server.Storage.Rados;

namespace Xos.Tests.Integration;

/// <summary>
/// Bodies on an erasure-coded pool (k=2 m=1 over the test cluster's three OSDs) without allow_ec_overwrites, the
/// strictest kind: it takes only appends at multiples of its stripe width and no omap. XOS writes every body as such
/// appends (1 MiB chunks at the end of their object) plus an attribute, so it needs nothing more; a pool whose stripe
/// width does not divide 1 MiB is refused at start-up. (The whole object-data suite runs on it with
/// XOS_TEST_BLOBS=rados XOS_TEST_RADOS_POOL=xos-tests-ec.)
/// </summary>
public sealed class RadosErasureCodedTests
{
    private const int EOPNOTSUPP = 95;

    [CephFact]
    public async Task ThePoolRefusesOverwritesAndEveryKindOfBodyWorksOnItAnyway()
    {
        var ceph = await TestCeph.StartAsync();
        Assert.Contains("allow_ec_overwrites: false", await ceph.CephAsync("osd", "pool", "get", TestCeph.ErasureCodedPool, "allow_ec_overwrites"));
        var ns = "ec-" + Guid.NewGuid().ToString("N")[..8];
        var url = RadosBlobsUrl.Parse(ceph.BlobsUrl(ns, pool: TestCeph.ErasureCodedPool));
        using (var cluster = RadosCluster.Connect(url.Conf, url.Id, url.ClientSettings()))
        using (var pool = cluster.OpenPool(TestCeph.ErasureCodedPool, ns))
        {
            // What makes the pool strict: an append is taken, a write over what is there is not.
            Assert.Equal(8192, pool.RequiredAlignment());
            pool.Write("probe", new byte[8192], 0);
            pool.Write("probe", new byte[100], 8192);
            Assert.Equal(EOPNOTSUPP, Assert.Throws<RadosException>(() => pool.Write("probe", new byte[8192], 0)).Errno);
            pool.Remove("probe");
        }

        var env = new Dictionary<string, string> { ["XOS_BLOBS"] = ceph.BlobsUrl(ns, pool: TestCeph.ErasureCodedPool) };
        await using var server = await XosProcess.StartAsync(environment: env);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("coded");
        var bodies = new Dictionary<string, byte[]>();
        foreach (var size in new[] { 0, 1, 300_000, 1 << 20, (1 << 20) + 3, 4 << 20, (4 << 20) + 1, (9 << 20) + 5 })
        {
            var body = RandomNumberGenerator.GetBytes(size);
            bodies[$"k{size}"] = body;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "coded", Key = $"k{size}", InputStream = new MemoryStream(body) });
            Assert.Equal(ClusterTests.Sha(body), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "coded", $"k{size}")));
        }
        // A range across a stripe boundary.
        var big = bodies[$"k{(9 << 20) + 5}"];
        using (var ranged = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "coded", Key = $"k{(9 << 20) + 5}", ByteRange = new ByteRange((4 << 20) - 10, (4 << 20) + 9) }))
        {
            var got = new MemoryStream();
            await ranged.ResponseStream.CopyToAsync(got);
            Assert.Equal(big[((4 << 20) - 10)..((4 << 20) + 10)], got.ToArray());
        }
        // Multipart (parts of odd sizes), a server-side copy of the result, and deletes.
        var start = await s3.InitiateMultipartUploadAsync("coded", "multi");
        var parts = new List<PartETag>();
        var whole = new MemoryStream();
        for (var n = 1; n <= 2; n++)
        {
            var part = RandomNumberGenerator.GetBytes((5 << 20) + n);
            whole.Write(part);
            var r = await s3.UploadPartAsync(new UploadPartRequest { BucketName = "coded", Key = "multi", UploadId = start.UploadId, PartNumber = n, InputStream = new MemoryStream(part) });
            parts.Add(new PartETag(n, r.ETag));
        }
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "coded", Key = "multi", UploadId = start.UploadId, PartETags = parts });
        Assert.Equal(ClusterTests.Sha(whole.ToArray()), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "coded", "multi")));
        await s3.CopyObjectAsync("coded", "multi", "coded", "copied");
        Assert.Equal(ClusterTests.Sha(whole.ToArray()), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "coded", "copied")));
        await s3.DeleteObjectAsync("coded", "multi");
        Assert.Equal(ClusterTests.Sha(whole.ToArray()), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "coded", "copied")));
    }

    [CephFact]
    public async Task APoolWhoseStripeWidthDoesNotDivideTheChunksIsRefusedAtStartUp()
    {
        var ceph = await TestCeph.StartAsync();
        var name = "xos-odd-" + Guid.NewGuid().ToString("N")[..8];
        // k=2 x 12 KiB = a stripe width of 24 KiB, which 1 MiB is no multiple of.
        await ceph.CephAsync("osd", "erasure-code-profile", "set", name, "k=2", "m=1", "stripe_unit=12288", "crush-failure-domain=osd");
        await ceph.CephAsync("osd", "pool", "create", name, "8", "8", "erasure", name);
        var line = await TestCeph.RefusedStartAsync($"rados://{name}?conf={ceph.ConfPath}&keyring={ceph.KeyringPath}&timeout=10");
        Assert.Equal($"xos: cannot start: pool '{name}' is erasure-coded with a stripe width of 24576 bytes, which does not divide the 1 MiB chunks " +
                     $"XOS writes: run ceph osd pool set {name} allow_ec_overwrites true, or use a profile whose k x stripe_unit divides 1 MiB", line);
    }
}
