namespace Xos.Server.Storage;

/// <summary>What a finished blob write measured while streaming.</summary>
public sealed record BlobWriteResult(string BlobId, long Size, byte[] Md5, byte[]? Sha256);

/// <summary>
/// Immutable blobs of bytes, each written once under a fresh id.
/// A write is durable (flushed and renamed into place) before it returns; a blob is visible to clients only
/// after the metadata that names it has been committed.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Streams <paramref name="source"/> into a new blob. Throws EntityTooLarge past <paramref name="maxSize"/> and
    /// IncompleteBody when <paramref name="expectedSize"/> is given and not met. Nothing is left behind on failure.
    /// </summary>
    Task<BlobWriteResult> WriteAsync(Stream source, long? expectedSize, long maxSize, bool computeSha256, CancellationToken ct);

    /// <summary>Writes a new blob holding <paramref name="length"/> bytes of the given segments starting at <paramref name="offset"/>.</summary>
    Task<BlobWriteResult> CopyAsync(IReadOnlyList<Segment> source, long offset, long length, CancellationToken ct);

    /// <summary>
    /// Opens a blob for reading, positioned at <paramref name="offset"/>; <paramref name="length"/> is how much the caller
    /// means to read from there (0 when it does not know), which a remote store fetches while it opens the blob. Throws
    /// FileNotFoundException (from the task, before any byte is handed over) when the blob is gone or was never committed.
    /// </summary>
    Task<Stream> OpenReadAsync(string blobId, long offset, long length, CancellationToken ct);

    /// <summary>
    /// Refuses (507 InsufficientStorage) a write of <paramref name="bytes"/> that would eat into the free-space reserve;
    /// for data that goes elsewhere on the same disk (objects kept inline in the metadata store).
    /// </summary>
    void EnsureRoom(long bytes);

    /// <summary>The blob's file when the store keeps blobs as local files (used for sendfile); null otherwise.</summary>
    string? LocalPath(string blobId);

    /// <summary>Removes a blob; failures leave an orphan for the sweep and are not thrown. May block (for background work).</summary>
    void Delete(string blobId);

    /// <summary>
    /// <see cref="Delete"/> for request paths: a store that must wait for the network (RADOS) waits without blocking a
    /// thread; the folder store unlinks at once and returns a completed task.
    /// </summary>
    Task DeleteAsync(string blobId);

    /// <summary>Blob ids older than <paramref name="olderThan"/>, for the orphan sweep.</summary>
    IEnumerable<string> EnumerateBlobs(DateTimeOffset olderThan);

    /// <summary>Removes temporary files left by writes that never finished.</summary>
    void CleanTemporaryFiles(DateTimeOffset olderThan);
}

public static class BlobStoreSegments
{
    private const int ReleasedAtOnce = 16;

    /// <summary>
    /// Deletes the blobs a committed transaction no longer refers to (<see cref="WriteOutcome.UnreferencedBlobs"/>),
    /// <see cref="ReleasedAtOnce"/> at a time, without blocking a thread (a RADOS delete waits for the OSDs; a folder
    /// store's unlinks run at once). A crash before this runs leaves orphans for the start-up sweep; a delete that fails
    /// leaves one for the periodic sweep.
    /// </summary>
    public static async Task ReleaseAsync(this IBlobStore blobs, WriteOutcome outcome)
    {
        var unreferenced = outcome.UnreferencedBlobs;
        for (var from = 0; from < unreferenced.Count; from += ReleasedAtOnce)
        {
            var batch = new Task[Math.Min(ReleasedAtOnce, unreferenced.Count - from)];
            for (var i = 0; i < batch.Length; i++) batch[i] = blobs.DeleteAsync(unreferenced[from + i]);
            await Task.WhenAll(batch);
        }
    }

    /// <summary>
    /// Opens one segment of an object's data at <paramref name="offset"/> (see <see cref="IBlobStore.OpenReadAsync"/>): its
    /// blob, or the bytes an inline object keeps in its metadata.
    /// </summary>
    public static Task<Stream> OpenAsync(this IBlobStore blobs, Segment segment, long offset, long length, CancellationToken ct) =>
        segment.Inline is { } data
            ? Task.FromResult<Stream>(new MemoryStream(data, writable: false) { Position = offset })
            : blobs.OpenReadAsync(segment.BlobId, offset, length, ct);
}

public static class StreamFill
{
    /// <summary>Fills <paramref name="buffer"/> as far as the source goes: whole buffers, not one write per network read.</summary>
    public static async Task<int> ReadFullAsync(Stream source, Memory<byte> buffer, CancellationToken ct)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await source.ReadAsync(buffer[filled..], ct);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    /// <summary>
    /// Whether <paramref name="source"/> has nothing more to give (reading it to its end, which is where a decoder checks
    /// a signed or checksummed body's last chunk). A byte it does give is consumed: a body with more is refused anyway.
    /// </summary>
    public static async Task<bool> AtEndAsync(Stream source, CancellationToken ct)
    {
        var probe = System.Buffers.ArrayPool<byte>.Shared.Rent(1);
        try
        {
            return await source.ReadAsync(probe.AsMemory(0, 1), ct) == 0;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(probe);
        }
    }
}
