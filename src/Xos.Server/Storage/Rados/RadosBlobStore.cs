using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Xos.Server.Protocol;
using Xos.Server.Storage.Files;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// Blobs as objects in a Ceph RADOS pool (<c>--blobs rados://POOL</c>), through librados. A body is cut into stripes of
/// <see cref="StripeSize"/> (4 MiB): stripe 0 is the object named by the blob id, stripe N the object <c>ID.N</c>. Every
/// blob id is fresh, so nothing is overwritten; a body counts only once its layout attribute is on the head (see
/// <see cref="RadosStripeWriter"/>) and is visible to clients only once the metadata naming it commits, as on the folder
/// store. Stripes of failed writes are removed at once; after a crash the orphan sweep finds their heads by listing the pool.
/// </summary>
public sealed partial class RadosBlobStore : IBlobStore, IDisposable
{
    /// <summary>The size of each RADOS object a body is cut into (the last one is shorter).</summary>
    public const int StripeSize = 4 << 20;
    internal const string LayoutAttribute = "xos.layout";
    /// <summary>A head without its layout is a write in flight (or abandoned by a crash); it is swept only this much later than committed orphans.</summary>
    public static readonly TimeSpan UnfinishedGrace = TimeSpan.FromDays(1);
    private readonly RadosCluster _cluster;
    private readonly RadosPool _pool;

    private RadosBlobStore(RadosCluster cluster, RadosPool pool, RadosBlobsUrl url, FreeSpaceGuard space)
    {
        _cluster = cluster;
        _pool = pool;
        Space = space;
        Url = url;
    }

    public RadosBlobsUrl Url { get; }

    /// <summary>The --min-free reserve on the pool's free space (<see cref="RadosPoolSpace"/>), for the guard, the metrics and /health/ready.</summary>
    public FreeSpaceGuard Space { get; }


    internal static string StripeName(string id, long stripe) => stripe == 0 ? id : $"{id}.{stripe}";

    private static string NewId() => Guid.NewGuid().ToString("N");

    public async Task<BlobWriteResult> WriteAsync(Stream source, long? expectedSize, long maxSize, bool computeSha256, CancellationToken ct)
    {
        if (expectedSize > maxSize) throw S3Errors.EntityTooLarge(maxSize);
        Space.EnsureRoom(expectedSize ?? 0);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = computeSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        var id = NewId();
        var writer = new RadosStripeWriter(_pool, id);
        try
        {
            long total = 0;
            await using (writer)
            {
                while (true)
                {
                    var buffer = await writer.NextBufferAsync();
                    var n = await StreamFill.ReadFullAsync(source, buffer, ct);
                    total += n;
                    if (total > maxSize) throw S3Errors.EntityTooLarge(maxSize);
                    if (expectedSize is { } expected && total > expected) throw S3Errors.InvalidRequest("The request body is longer than its Content-Length.");
                    md5.AppendData(buffer.Span[..n]);
                    sha?.AppendData(buffer.Span[..n]);
                    // A full buffer that reaches the announced length is the last one: it goes out with the layout (one
                    // round trip for a body of one chunk) rather than before it.
                    if (n == buffer.Length && total == expectedSize)
                    {
                        if (!await StreamFill.AtEndAsync(source, ct)) throw S3Errors.InvalidRequest("The request body is longer than its Content-Length.");
                        await writer.FinishAsync(n, total);
                        break;
                    }
                    if (n < buffer.Length)
                    {
                        if (expectedSize is { } exp && total != exp) throw S3Errors.IncompleteBody();
                        await writer.FinishAsync(n, total);
                        break;
                    }
                    await writer.WriteAsync(n);
                }
            }
            return new BlobWriteResult(id, total, md5.GetHashAndReset(), sha?.GetHashAndReset());
        }
        catch (Exception e)
        {
            await RemoveStripesAsync(id, writer.HighestStripe);
            if (Answer(e) is var answer && answer != e) throw answer;
            throw;
        }
    }

    public Task<BlobWriteResult> CopyAsync(IReadOnlyList<Segment> source, long offset, long length, CancellationToken ct) =>
        WriteAsync(new Objects.ServerSideEncryption.SegmentRangeStream(this, source, offset, length), length, long.MaxValue, computeSha256: false, ct);

    /// <summary>
    /// Opens a committed blob at <paramref name="offset"/> in one round trip: the layout check and the read of the first
    /// chunk the caller asked for (<paramref name="length"/> bytes from there, at most one chunk, within one stripe) go out
    /// together, and the stream is handed over (with that chunk in it) only once the layout confirmed the blob is committed.
    /// The read assumes the usual <see cref="StripeSize"/>; a blob of another layout is opened without it.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string blobId, long offset, long length, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var layoutRead = ReadLayoutAsync(blobId);
        byte[]? first = null;
        Task<int>? firstRead = null;
        if (length > 0 && offset >= 0)
        {
            first = ArrayPool<byte>.Shared.Rent(RadosStripeWriter.ChunkSize);
            var want = (int)Math.Min(Math.Min(length, RadosStripeWriter.ChunkSize), StripeSize - offset % StripeSize);
            firstRead = _pool.ReadAsync(StripeName(blobId, offset / StripeSize), first.AsMemory(0, want), offset % StripeSize);
        }
        try
        {
            // Both settle before anything is decided: librados writes into the chunk's buffer until its read completes.
            try { await Task.WhenAll(layoutRead, firstRead ?? Task.CompletedTask); }
            catch (Exception) { }
            var (size, stripe) = await layoutRead ?? throw new FileNotFoundException($"blob {blobId} was never committed", blobId);
            var stream = new RadosBlobStream(_pool, blobId, size, stripe, Answer);
            stream.Seek(offset, SeekOrigin.Begin);
            if (firstRead is null || stripe != StripeSize || offset >= size) return stream;
            var got = (int)Math.Min(await firstRead, size - offset);
            stream.Prefetched(first!, offset, got, offset + Math.Min(length, size - offset));
            first = null;
            return stream;
        }
        catch (RadosException e)
        {
            throw Answer(e);
        }
        finally
        {
            if (first is not null) ArrayPool<byte>.Shared.Return(first);
        }
    }

    /// <summary>The committed body's size and stripe size; null when the head has no layout (an unfinished write).</summary>
    private (long Size, int Stripe)? ReadLayout(string blobId)
    {
        Span<byte> value = stackalloc byte[LayoutBufferSize];
        int? n;
        try
        {
            n = _pool.GetXattr(blobId, LayoutAttribute, value);
        }
        catch (RadosException e) when (e.Errno == RadosException.ENOENT)
        {
            throw new FileNotFoundException($"blob {blobId} is not in pool {_pool.Name}", blobId);
        }
        catch (RadosException e)
        {
            throw Answer(e);
        }
        return n is { } length ? ParseLayout(blobId, value[..length]) : null;
    }

    /// <summary><see cref="ReadLayout"/> without blocking a thread: librados' asynchronous getxattr.</summary>
    private async Task<(long Size, int Stripe)?> ReadLayoutAsync(string blobId)
    {
        var value = ArrayPool<byte>.Shared.Rent(LayoutBufferSize);
        try
        {
            var n = await _pool.GetXattrAsync(blobId, LayoutAttribute, value.AsMemory(0, LayoutBufferSize));
            return n is { } length ? ParseLayout(blobId, value.AsSpan(0, length)) : null;
        }
        catch (RadosException e) when (e.Errno == RadosException.ENOENT)
        {
            throw new FileNotFoundException($"blob {blobId} is not in pool {_pool.Name}", blobId);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(value);
        }
    }

    private const int LayoutBufferSize = 64;

    private static (long Size, int Stripe) ParseLayout(string blobId, ReadOnlySpan<byte> value)
    {
        var text = Encoding.ASCII.GetString(value);
        var space = text.IndexOf(' ');
        if (space < 0 || !long.TryParse(text[..space], out var size) || !int.TryParse(text[(space + 1)..], out var stripe) || stripe <= 0)
            throw new InvalidDataException($"blob {blobId} has a damaged layout attribute '{text}'");
        return (size, stripe);
    }

    public void EnsureRoom(long bytes) => Space.EnsureRoom(bytes);

    public string? LocalPath(string blobId) => null;

    /// <summary>
    /// Removes a blob's stripes, the head last, so that a removal cut short leaves a head the orphan sweep finds again.
    /// Like the folder store's, failures are not the caller's problem: the sweep retries. Blocks; for background work.
    /// </summary>
    public void Delete(string blobId) => DeleteAsync(blobId).GetAwaiter().GetResult();

    /// <summary><see cref="Delete"/> without blocking a thread: the layout is read with librados' asynchronous getxattr.</summary>
    public async Task DeleteAsync(string blobId)
    {
        try
        {
            var layout = await ReadLayoutAsync(blobId);
            var last = layout is { } l ? Math.Max(0, (l.Size - 1) / l.Stripe) : -1;
            await RemoveStripesAsync(blobId, last);
        }
        catch (RadosException e)
        {
            Answer(e); // a time-out refreshes the OSD map; the head stays for the sweep
        }
        catch (Exception e) when (e is IOException or InvalidDataException) { }
    }

    /// <summary>
    /// Removes stripes 1..<paramref name="lastStripe"/> (or, when unknown (-1), every stripe there is, probing until a
    /// few in a row are missing), then the head. Errors are swallowed: what is left keeps its head for the sweep.
    /// </summary>
    private async Task RemoveStripesAsync(string id, long lastStripe)
    {
        try
        {
            if (lastStripe >= 0)
            {
                for (long from = 1; from <= lastStripe; from += 16)
                {
                    var batch = new List<Task<bool>>();
                    for (var s = from; s <= Math.Min(lastStripe, from + 15); s++) batch.Add(_pool.RemoveAsync(StripeName(id, s)));
                    await Task.WhenAll(batch);
                }
            }
            else
            {
                // Unknown length: chunks in flight span at most two stripes, so three missing in a row end the body.
                var missing = 0;
                for (long s = 1; missing < 3; s++) missing = await _pool.RemoveAsync(StripeName(id, s)) ? 0 : missing + 1;
            }
            await _pool.RemoveAsync(id);
        }
        catch (RadosException) { }
    }

    /// <summary>
    /// Heads (objects without a '.' in their name) last changed before <paramref name="olderThan"/>, or for unfinished
    /// writes (no layout) a further <see cref="UnfinishedGrace"/> before, so an upload in flight is never swept.
    /// </summary>
    public IEnumerable<string> EnumerateBlobs(DateTimeOffset olderThan)
    {
        foreach (var name in _pool.ListObjects())
        {
            if (name.Contains('.')) continue;
            DateTimeOffset modified;
            bool committed;
            try
            {
                modified = _pool.Stat(name).Modified;
                committed = ReadLayout(name) is not null;
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            if (modified < (committed ? olderThan : olderThan - UnfinishedGrace)) yield return name;
        }
    }

    /// <summary>Nothing to do: there are no temporary names; unfinished writes are heads without a layout, swept by <see cref="EnumerateBlobs"/>.</summary>
    public void CleanTemporaryFiles(DateTimeOffset olderThan) { }

    private int _refreshing;

    /// <summary>
    /// <see cref="Translate"/>, and after a time-out a refresh of the OSD map in the background (one at a time): librados
    /// alone does not find an OSD that was restarted at a new address while its operations were timing out.
    /// </summary>
    private Exception Answer(Exception e)
    {
        if (e is RadosException { IsTransient: true } && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            _ = Task.Run(() =>
            {
                try { _cluster.WaitForLatestOsdMap(); }
                catch (Exception) { }
                finally { Volatile.Write(ref _refreshing, 0); }
            });
        }
        return Translate(e);
    }

    /// <summary>
    /// What a client is told: an OSD or monitor out of reach (the time-out passed) is <c>503 SlowDown</c>, which SDKs
    /// retry; a full pool is <c>507 InsufficientStorage</c>; anything else stays an error of the server.
    /// </summary>
    internal static Exception Translate(Exception e) => e switch
    {
        RadosException { IsTransient: true } => SlowDown(),
        RadosException { IsFull: true } => FreeSpaceGuard.InsufficientStorage(),
        _ => e,
    };

    public static S3Exception SlowDown() => new("SlowDown", 503, "Please reduce your request rate.");

    public void Dispose()
    {
        _pool.Dispose();
        _cluster.Dispose();
    }
}
