using System.Security.Cryptography;
using System.Text;
using Xos.Server.Protocol;
using Xos.Server.Storage.Rados;

namespace Xos.Tests.Integration;

/// <summary>The librados layer and the RADOS blob store against a real one-node Ceph cluster (see <see cref="TestCeph"/>).</summary>
public sealed class RadosLayerTests : IAsyncLifetime
{
    private readonly string _ns = "layer-" + Guid.NewGuid().ToString("N")[..10];
    private TestCeph.Cluster _ceph = null!;
    private RadosCluster _cluster = null!;
    private RadosPool _pool = null!;
    private RadosBlobStore _store = null!;

    public async Task InitializeAsync()
    {
        if (TestCeph.Missing is not null) return;
        _ceph = await TestCeph.StartAsync();
        var url = RadosBlobsUrl.Parse(_ceph.BlobsUrl(_ns, timeoutSeconds: 20));
        _cluster = RadosCluster.Connect(url.Conf, url.Id, url.ClientSettings());
        _pool = _cluster.OpenPool(TestCeph.Pool, _ns);
        _store = RadosBlobStore.Open(url);
    }

    public Task DisposeAsync()
    {
        _store?.Dispose();
        _pool?.Dispose();
        _cluster?.Dispose();
        return Task.CompletedTask;
    }

    private static byte[] Body(int size)
    {
        var body = new byte[size];
        new Random(size).NextBytes(body);
        return body;
    }

    private List<string> Objects() => _pool.ListObjects().Order(StringComparer.Ordinal).ToList();

    [CephFact]
    public async Task TheLayerWritesReadsStatsAndRemovesObjectsSyncAndAsync()
    {
        _pool.WriteFull("a", "hello world"u8);
        _pool.Write("a", "W"u8, 6);
        _pool.Append("a", "!"u8);
        var buffer = new byte[64];
        var n = _pool.Read("a", buffer, 0);
        Assert.Equal("hello World!", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(12, _pool.Stat("a").Size);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - _pool.Stat("a").Modified).TotalMinutes) < 10);

        _pool.SetXattr("a", "k", "v1"u8);
        Assert.Equal(2, _pool.GetXattr("a", "k", buffer));
        Assert.Null(_pool.GetXattr("a", "other", buffer));

        var big = Body(3 << 20);
        await _pool.WriteAsync("b", big, 0);
        var back = new byte[big.Length + 10];
        Assert.Equal(big.Length, await _pool.ReadAsync("b", back, 0));
        Assert.True(big.AsSpan().SequenceEqual(back.AsSpan(0, big.Length)));
        Assert.Equal(100, await _pool.ReadAsync("b", back.AsMemory(0, 100), 1000));
        Assert.True(big.AsSpan(1000, 100).SequenceEqual(back.AsSpan(0, 100)));

        await _pool.WriteFullWithXattrAsync("c", "body"u8.ToArray(), "k", "v2"u8.ToArray());
        Assert.Equal(4, _pool.Stat("c").Size);
        Assert.Equal(2, _pool.GetXattr("c", "k", buffer));
        Assert.Equal("v2", Encoding.ASCII.GetString(buffer, 0, 2));

        // The listing sees this namespace only.
        Assert.Equal(["a", "b", "c"], Objects());
        Assert.True(_pool.Remove("a"));
        Assert.False(_pool.Remove("a"));
        Assert.True(await _pool.RemoveAsync("b"));
        Assert.False(await _pool.RemoveAsync("b"));
        Assert.Equal(["c"], Objects());
    }

    [CephFact]
    public async Task EveryFailureIsAnExceptionNamingTheCallTheObjectAndTheErrno()
    {
        var missing = Assert.Throws<RadosException>(() => _pool.Stat("nothing"));
        Assert.Equal("rados_stat(nothing): ENOENT (No such file or directory)", missing.Message);
        Assert.Equal(RadosException.ENOENT, Assert.Throws<RadosException>(() => _pool.Read("nothing", new byte[1], 0)).Errno);
        var aio = await Assert.ThrowsAsync<RadosException>(() => _pool.ReadAsync("nothing", new byte[1], 0));
        Assert.Equal("rados_aio_read(nothing): ENOENT (No such file or directory)", aio.Message);
        Assert.Equal(RadosException.ENOENT, Assert.Throws<RadosException>(() => _pool.GetXattr("nothing", "k", new byte[8])).Errno);
        // A pool that does not exist, and a cluster nobody answers for.
        Assert.Equal(RadosException.ENOENT, Assert.Throws<RadosException>(() => _cluster.OpenPool("no-such-pool-" + _ns)).Errno);
        var nowhere = Assert.Throws<IOException>(() => RadosBlobStore.Open(RadosBlobsUrl.Parse($"rados://no-such-pool?conf={_ceph.ConfPath}&keyring={_ceph.KeyringPath}")));
        Assert.Contains("has no pool 'no-such-pool'", nowhere.Message);
    }

    [CephFact]
    public async Task ABodyIsCutIntoStripesOf4MiBAndReadBackWholeOrByRange()
    {
        var body = Body((9 << 20) + 77);
        var result = await _store.WriteAsync(new MemoryStream(body), null, 5L << 30, computeSha256: true, CancellationToken.None);
        Assert.Equal(body.Length, result.Size);
        Assert.Equal(MD5.HashData(body), result.Md5);
        Assert.Equal(SHA256.HashData(body), result.Sha256);
        var id = result.BlobId;
        Assert.Equal([id, id + ".1", id + ".2"], Objects());
        Assert.Equal(4 << 20, _pool.Stat(id).Size);
        Assert.Equal((1 << 20) + 77, _pool.Stat(id + ".2").Size);

        await using (var whole = await _store.OpenReadAsync(id, 0, body.Length, CancellationToken.None))
        {
            Assert.Equal(body.Length, whole.Length);
            var copy = new MemoryStream();
            await whole.CopyToAsync(copy, 100_000);
            Assert.True(body.AsSpan().SequenceEqual(copy.ToArray()));
        }
        // A range across the boundary of stripes 1 and 2, after a seek, then a seek back.
        await using (var ranged = await _store.OpenReadAsync(id, 0, 0, CancellationToken.None))
        {
            ranged.Seek((8 << 20) - 10, SeekOrigin.Begin);
            var part = new byte[30];
            var got = 0;
            while (got < part.Length) got += await ranged.ReadAsync(part.AsMemory(got));
            Assert.True(body.AsSpan((8 << 20) - 10, 30).SequenceEqual(part));
            ranged.Position = 5;
            Assert.Equal(3, await ranged.ReadAsync(part.AsMemory(0, 3)));
            Assert.True(body.AsSpan(5, 3).SequenceEqual(part.AsSpan(0, 3)));
        }

        // Opened at an offset with the first chunk fetched together with the layout: a short range inside stripe 1, and
        // a range from the middle of stripe 0 across into stripe 1 (the chunk fetched at opening stops at the stripe's end).
        foreach (var (from, count) in new[] { ((5L << 20) + 3, 100L), ((4L << 20) - 1000, 3L << 20), (0L, (long)body.Length) })
        {
            await using var opened = await _store.OpenReadAsync(id, from, count, CancellationToken.None);
            Assert.Equal(from, opened.Position);
            var part = new byte[count];
            Assert.Equal((int)count, await opened.ReadAtLeastAsync(part, (int)count, throwOnEndOfStream: false));
            Assert.True(body.AsSpan((int)from, (int)count).SequenceEqual(part), $"range {from}+{count}");
        }

        await _store.DeleteAsync(id);
        Assert.Empty(Objects());
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(id, 0, 100, CancellationToken.None));
        await _store.DeleteAsync(id); // a blob already gone is not the caller's problem
    }

    [CephFact]
    public async Task SmallAndEmptyBodiesAreOneObjectWithTheirLayout()
    {
        foreach (var size in new[] { 0, 17_000, 1 << 20, (4 << 20) })
        {
            var body = Body(size);
            var result = await _store.WriteAsync(new MemoryStream(body), size, 5L << 30, computeSha256: false, CancellationToken.None);
            Assert.Equal([result.BlobId], Objects());
            await using var read = await _store.OpenReadAsync(result.BlobId, 0, size, CancellationToken.None);
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.True(body.AsSpan().SequenceEqual(copy.ToArray()));
            _store.Delete(result.BlobId);
        }
        Assert.Empty(Objects());
    }

    /// <summary>Hands out <paramref name="good"/> bytes, then fails as a client that goes away.</summary>
    private sealed class FailingStream(byte[] data, int good) : ReadOnlyStream
    {
        private int _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_position >= good) throw new IOException("the client went away");
            var n = Math.Min(Math.Min(buffer.Length, good - _position), 300_000);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return ValueTask.FromResult(n);
        }
    }

    [CephFact]
    public async Task AWriteThatFailsOrIsCutShortLeavesNothingInThePool()
    {
        var body = Body(10 << 20);
        await Assert.ThrowsAsync<IOException>(() => _store.WriteAsync(new FailingStream(body, (9 << 20) + 5), null, 5L << 30, false, CancellationToken.None));
        var shortBody = await Assert.ThrowsAsync<S3Exception>(() => _store.WriteAsync(new MemoryStream(body, 0, 6 << 20), 10 << 20, 5L << 30, false, CancellationToken.None));
        Assert.Equal("IncompleteBody", shortBody.Code);
        var tooLarge = await Assert.ThrowsAsync<S3Exception>(() => _store.WriteAsync(new MemoryStream(body), null, 5 << 20, false, CancellationToken.None));
        Assert.Equal("EntityTooLarge", tooLarge.Code);
        Assert.Empty(Objects());
    }

    [CephFact]
    public async Task TheSweepListsCommittedBlobsAndUnfinishedWritesOnlyAfterTheirGrace()
    {
        var committed = await _store.WriteAsync(new MemoryStream(Body(100_000)), null, 5L << 30, false, CancellationToken.None);
        // What a crash in the middle of a write leaves: a head without its layout, and a stripe after it.
        var unfinished = Guid.NewGuid().ToString("N");
        _pool.WriteFull(unfinished, Body(4 << 20));
        _pool.WriteFull(unfinished + ".1", Body(1000));
        // Not readable, whether the open fetches data with the layout check or not.
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(unfinished, 0, 0, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(unfinished, 0, 1 << 20, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(unfinished, (4 << 20) + 10, 100, CancellationToken.None));

        Assert.Empty(_store.EnumerateBlobs(DateTimeOffset.UtcNow.AddMinutes(-5)));
        Assert.Equal([committed.BlobId], _store.EnumerateBlobs(DateTimeOffset.UtcNow.AddMinutes(5)).ToList());
        var both = _store.EnumerateBlobs(DateTimeOffset.UtcNow.AddMinutes(5) + RadosBlobStore.UnfinishedGrace).Order().ToList();
        Assert.Equal(new[] { committed.BlobId, unfinished }.Order().ToList(), both);

        // The sweep's delete of an unfinished write finds its stripes without a layout.
        await _store.DeleteAsync(unfinished);
        _store.Delete(committed.BlobId);
        Assert.Empty(Objects());
    }
}
