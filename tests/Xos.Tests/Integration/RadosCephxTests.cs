using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// The test cluster runs cephx, as production clusters do: XOS connects as client.xos with exactly the capabilities
/// docs/deployment.md documents (mon 'allow r', osd 'allow rw pool=P'), from the keyring named in the URL, and a wrong
/// key, a missing key or missing capabilities stop it at start-up in one line naming the fix, with exit code 1.
/// </summary>
public sealed class RadosCephxTests
{
    /// <summary>A user of the test cluster with the given capabilities (client.admin creates it) and its keyring file.</summary>
    private static async Task<(string Id, string Keyring)> UserAsync(string hint, params string[] caps)
    {
        var ceph = await TestCeph.StartAsync();
        var id = $"{hint}-{Guid.NewGuid().ToString("N")[..8]}";
        var keyring = Path.Combine(ceph.Directory, $"client.{id}.keyring");
        await ceph.CephAsync(["auth", "get-or-create", $"client.{id}", .. caps, "-o", keyring]);
        return (id, keyring);
    }

    private static string Url(TestCeph.Cluster ceph, string id, string keyring, string pool = TestCeph.Pool, string ns = "cephx") =>
        $"rados://{pool}?conf={ceph.ConfPath}&id={id}&keyring={keyring}&timeout=10&namespace={ns}";

    [CephFact]
    public async Task TheClusterRequiresCephxAndClientXosHasExactlyTheDocumentedCapabilities()
    {
        var ceph = await TestCeph.StartAsync();
        Assert.Contains("\"cephx\"", await ceph.CephAsync("daemon", "mon.a", "config", "get", "auth_service_required"));
        var user = await ceph.CephAsync("auth", "get", "client.xos");
        Assert.Contains("caps mon = \"allow r\"", user);
        Assert.Contains($"caps osd = \"allow rw pool={TestCeph.Pool}, allow rw pool={TestCeph.ErasureCodedPool}\"", user);
        Assert.DoesNotContain("caps mgr", user);

        // A gateway as client.xos, with the keyring from the URL, stores and serves bodies of one and of several stripes.
        var env = new Dictionary<string, string> { ["XOS_BLOBS"] = ceph.BlobsUrl("cephx-" + Guid.NewGuid().ToString("N")[..8]) };
        await using var server = await XosProcess.StartAsync(environment: env);
        Assert.Contains("as client.xos", server.Output);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("keyed");
        foreach (var size in new[] { 1, (1 << 20) + 1, (9 << 20) + 7 })
        {
            var body = System.Security.Cryptography.RandomNumberGenerator.GetBytes(size);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "keyed", Key = $"k{size}", InputStream = new MemoryStream(body) });
            Assert.Equal(ClusterTests.Sha(body), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "keyed", $"k{size}")));
        }

        // Without its key the cluster is not reached at all: ceph.conf's keyring is client.admin's, and a keyring= file that
        // is not there is no keyring.
        var keyless = await TestCeph.RefusedStartAsync($"rados://{TestCeph.Pool}?conf={ceph.ConfPath}&timeout=10");
        Assert.StartsWith($"xos: cannot start: the Ceph cluster of rados://{TestCeph.Pool} as client.xos ({ceph.ConfPath}) refused client.xos: rados_connect: EACCES", keyless);
        Assert.EndsWith("check that the keyring ceph.conf names holds its current key (ceph auth get client.xos) and that it has mon 'allow r'", keyless);
        var nowhere = Path.Combine(ceph.Directory, "no-such.keyring");
        Assert.Equal($"xos: cannot start: found no keyring for client.xos (keyring={nowhere}): rados_connect: ENOENT (No such file or directory); " +
                     "export one with ceph auth get client.xos -o PATH and give keyring=PATH",
            await TestCeph.RefusedStartAsync($"rados://{TestCeph.Pool}?conf={ceph.ConfPath}&keyring={nowhere}&timeout=10"));
    }

    [CephFact]
    public async Task AWrongKeyIsRefusedAtStartUpInOneLine()
    {
        var ceph = await TestCeph.StartAsync();
        var wrong = Path.Combine(ceph.Directory, $"wrong-{Guid.NewGuid().ToString("N")[..8]}.keyring");
        // A well-formed key that is not client.xos's.
        var key = Convert.ToBase64String([1, 0, .. BitConverter.GetBytes((uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds()), 0, 0, 0, 0, 16, 0, .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)]);
        await File.WriteAllTextAsync(wrong, $"[client.xos]\n\tkey = {key}\n");
        var line = await TestCeph.RefusedStartAsync(Url(ceph, "xos", wrong));
        Assert.StartsWith($"xos: cannot start: the Ceph cluster of rados://{TestCeph.Pool} namespace cephx as client.xos ({ceph.ConfPath}) refused client.xos: rados_connect: EACCES", line);
        Assert.EndsWith($"check that keyring={wrong} holds its current key (ceph auth get client.xos) and that it has mon 'allow r'", line);
    }

    [CephFact]
    public async Task MissingCapabilitiesAreRefusedAtStartUpInOneLineNamingTheCapsToGrant()
    {
        var ceph = await TestCeph.StartAsync();
        // No mon capability: the monitors refuse the session itself.
        var (noMon, noMonKeyring) = await UserAsync("nomon", "osd", $"allow rw pool={TestCeph.Pool}");
        Assert.Contains($"refused client.{noMon}: rados_connect: EACCES", await TestCeph.RefusedStartAsync(Url(ceph, noMon, noMonKeyring)));

        // No osd capability, one on another pool, or read-only: found by the start-up's read and write of xos.owner.
        var grant = $"grant them with ceph auth caps client.ID mon 'allow r' osd 'allow rw pool={TestCeph.Pool} namespace=cephx'";
        foreach (var osdCaps in new[] { null, $"allow rw pool={TestCeph.ErasureCodedPool}", $"allow r pool={TestCeph.Pool}" })
        {
            var (id, keyring) = osdCaps is null ? await UserAsync("noosd", "mon", "allow r") : await UserAsync("someosd", "mon", "allow r", "osd", osdCaps);
            var line = await TestCeph.RefusedStartAsync(Url(ceph, id, keyring));
            Assert.StartsWith($"xos: cannot start: client.{id} lacks the capabilities rados://{TestCeph.Pool} namespace cephx as client.{id} ({ceph.ConfPath}) needs: rados_", line);
            Assert.Contains("EPERM (Operation not permitted)", line);
            Assert.EndsWith(grant.Replace("client.ID", $"client.{id}"), line);
        }
    }

    [CephFact]
    public async Task CapabilitiesLimitedToANamespaceServeThatNamespaceOnly()
    {
        var ceph = await TestCeph.StartAsync();
        var ns = "only-" + Guid.NewGuid().ToString("N")[..8];
        var (id, keyring) = await UserAsync("ns", "mon", "allow r", "osd", $"allow rw pool={TestCeph.Pool} namespace={ns}");
        await using (var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_BLOBS"] = Url(ceph, id, keyring, ns: ns) }))
        {
            using var s3 = server.CreateClient();
            await s3.PutBucketAsync("fenced");
            // Large enough to be a blob in the pool, not a row of the database.
            var body = System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "fenced", Key = "k", InputStream = new MemoryStream(body) });
            Assert.Equal(ClusterTests.Sha(body), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, "fenced", "k")));
            Assert.Contains((await ceph.RadosAsync(ns, "ls")).Split('\n', StringSplitOptions.RemoveEmptyEntries), o => o != "xos.owner");
        }
        var line = await TestCeph.RefusedStartAsync(Url(ceph, id, keyring, ns: ns + "-other"));
        Assert.Contains($"client.{id} lacks the capabilities", line);
    }
}
