using System.Security.Cryptography;
using Xos.Server.Protocol;
using Xos.Server.Storage.Files;

namespace Xos.Tests.Unit;

/// <summary>The file blob store's write path: page-cache writes for small bodies, O_DIRECT writes with a cut-back tail for large ones.</summary>
public sealed class BlobStoreTests : IDisposable
{
    // Beside the test assembly, on the disk the checkout is on: /tmp may be a filesystem without O_DIRECT.
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "blob-tests", Guid.NewGuid().ToString("N"))).FullName;
    private readonly FileBlobStore _store;

    public BlobStoreTests()
    {
        _store = new FileBlobStore(_dir);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Body(int size)
    {
        var body = new byte[size];
        new Random(size).NextBytes(body);
        return body;
    }

    /// <summary>Hands out its bytes in reads of awkward sizes, as a network stream does.</summary>
    private sealed class TrickleStream(byte[] data, int failAfter = int.MaxValue) : ReadOnlyStream
    {
        private int _position;
        private readonly Random _random = new(7);

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter) throw new IOException("the client went away");
            var n = Math.Min(Math.Min(count, data.Length - _position), _random.Next(1, 200_000));
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_position >= failAfter) throw new IOException("the client went away");
            var n = Math.Min(Math.Min(buffer.Length, data.Length - _position), _random.Next(1, 200_000));
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return ValueTask.FromResult(n);
        }
    }

    [Fact]
    public void TheDataFolderOnTheDiskTakesDirectWrites()
    {
        // The test machine's disk is ext4; were this false, the large-body cases below would not test O_DIRECT.
        Assert.True(_store.WritesDirect);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(4096, true)]
    [InlineData((8 << 20) - 1, true)]
    [InlineData(8 << 20, true)]
    [InlineData((8 << 20) + 1, true)]
    [InlineData((13 << 20) + 4097, true)]
    [InlineData((9 << 20) + 77, false)]
    public async Task EveryBodyIsStoredByteForByteWithItsHashes(int size, bool sizeKnown)
    {
        var body = Body(size);
        var result = await _store.WriteAsync(new TrickleStream(body), sizeKnown ? size : null, 5L << 30, computeSha256: true, CancellationToken.None);
        Assert.Equal(size, result.Size);
        Assert.Equal(MD5.HashData(body), result.Md5);
        Assert.Equal(SHA256.HashData(body), result.Sha256);
        var stored = await File.ReadAllBytesAsync(_store.LocalPath(result.BlobId)!);
        Assert.Equal(body.Length, stored.Length);
        Assert.True(body.AsSpan().SequenceEqual(stored));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "tmp")));
    }

    [Fact]
    public async Task AClientThatVanishesMidBodyLeavesNothingBehind()
    {
        var body = Body(20 << 20);
        await Assert.ThrowsAsync<IOException>(() =>
            _store.WriteAsync(new TrickleStream(body, failAfter: 11 << 20), body.Length, 5L << 30, computeSha256: false, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "tmp")));
        Assert.Empty(_store.EnumerateBlobs(DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task ABodyShorterThanItsLengthIsNeverStored()
    {
        var body = Body((12 << 20) + 5);
        var e = await Assert.ThrowsAsync<S3Exception>(() =>
            _store.WriteAsync(new TrickleStream(body), body.Length + 4096L, 5L << 30, computeSha256: false, CancellationToken.None));
        Assert.Equal("IncompleteBody", e.Code);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "tmp")));
        Assert.Empty(_store.EnumerateBlobs(DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task ABlobOpensAtAnOffsetAndItsAsynchronousDeleteIsTheUnlinkDoneAtOnce()
    {
        var body = Body(100_000);
        var result = await _store.WriteAsync(new MemoryStream(body), body.Length, 5L << 30, computeSha256: false, CancellationToken.None);
        await using (var opened = await _store.OpenReadAsync(result.BlobId, 70_000, 100, CancellationToken.None))
        {
            Assert.Equal(70_000, opened.Position);
            var part = new byte[30_000];
            Assert.Equal(part.Length, await opened.ReadAtLeastAsync(part, part.Length));
            Assert.True(body.AsSpan(70_000).SequenceEqual(part));
        }
        // The folder store's delete runs on the caller's thread (a release after a PUT's answer costs no thread hop).
        var deleted = _store.DeleteAsync(result.BlobId);
        Assert.True(deleted.IsCompletedSuccessfully);
        Assert.False(File.Exists(_store.LocalPath(result.BlobId)));
        Assert.True(_store.DeleteAsync(result.BlobId).IsCompletedSuccessfully); // gone already: not the caller's problem
        var missing = _store.OpenReadAsync(result.BlobId, 0, 0, CancellationToken.None); // the error is the task's, as on RADOS
        await Assert.ThrowsAsync<FileNotFoundException>(() => missing);
    }
}
