using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Files;

/// <summary>
/// Blobs as files under <c>data/blobs/xx/&lt;id&gt;</c>. A write goes to <c>data/tmp</c>, is fsynced, renamed into
/// place and the directory fsynced, so a blob either exists whole or not at all.
/// </summary>
public sealed partial class FileBlobStore : IBlobStore
{
    private const int BufferSize = 1 << 20;
    private readonly string _blobRoot;
    private readonly string _tmpRoot;

    private readonly FreeSpaceGuard? _space;

    public FileBlobStore(string dataDirectory, FreeSpaceGuard? space = null)
    {
        _space = space;
        _blobRoot = Path.Combine(dataDirectory, "blobs");
        _tmpRoot = Path.Combine(dataDirectory, "tmp");
        Directory.CreateDirectory(_tmpRoot);
        for (var i = 0; i < 256; i++) Directory.CreateDirectory(Path.Combine(_blobRoot, i.ToString("x2")));
        FsyncDirectory(_blobRoot);
        FsyncDirectory(dataDirectory);
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private string FinalPath(string blobId) => Path.Combine(_blobRoot, blobId[..2], blobId);

    public string? LocalPath(string blobId) => FinalPath(blobId);

    public Stream OpenRead(string blobId) =>
        new FileStream(FinalPath(blobId), new FileStreamOptions
        {
            Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.SequentialScan, BufferSize = 0,
        });

    public void EnsureRoom(long bytes) => _space?.EnsureRoom(bytes);

    public async Task<BlobWriteResult> WriteAsync(Stream source, long? expectedSize, long maxSize, bool computeSha256, CancellationToken ct)
    {
        if (expectedSize > maxSize) throw S3Errors.EntityTooLarge(maxSize);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = computeSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        return await WriteNewBlobAsync(expectedSize, async file =>
        {
            // The hashes run with the disk write of each buffer, in order, while the next buffer is read.
            await using var writer = new OverlappedWriter(file, BufferSize, data =>
            {
                md5.AppendData(data.Span);
                sha?.AppendData(data.Span);
            });
            long total = 0;
            while (true)
            {
                var buffer = await writer.NextBufferAsync();
                var n = await ReadFullAsync(source, buffer, ct);
                if (n == 0) break;
                total += n;
                if (total > maxSize) throw S3Errors.EntityTooLarge(maxSize);
                if (expectedSize is { } expected && total > expected) throw S3Errors.InvalidRequest("The request body is longer than its Content-Length.");
                writer.Write(n, ct);
            }
            await writer.CompleteAsync();
            if (expectedSize is { } exp && total != exp) throw S3Errors.IncompleteBody();
            return (total, md5.GetHashAndReset(), sha?.GetHashAndReset());
        }, ct);
    }

    public async Task<BlobWriteResult> CopyAsync(IReadOnlyList<Segment> source, long offset, long length, CancellationToken ct)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        return await WriteNewBlobAsync(length, async file =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                long segmentStart = 0, remaining = length;
                foreach (var segment in source)
                {
                    var segmentEnd = segmentStart + segment.Size;
                    if (remaining > 0 && offset < segmentEnd)
                    {
                        var from = Math.Max(offset, segmentStart) - segmentStart;
                        await using var input = this.Open(segment);
                        input.Seek(from, SeekOrigin.Begin);
                        var take = Math.Min(remaining, segment.Size - from);
                        while (take > 0)
                        {
                            var n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, take)), ct);
                            if (n == 0) throw new IOException($"blob {segment.BlobId} is shorter than its metadata says");
                            md5.AppendData(buffer, 0, n);
                            await file.WriteAsync(buffer.AsMemory(0, n), ct);
                            take -= n;
                            remaining -= n;
                            offset += n;
                        }
                    }
                    segmentStart = segmentEnd;
                }
                if (remaining != 0) throw new IOException("copy source is shorter than the requested range");
                return (length, md5.GetHashAndReset(), (byte[]?)null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, ct);
    }

    private async Task<BlobWriteResult> WriteNewBlobAsync(long? preallocate, Func<FileStream, Task<(long Size, byte[] Md5, byte[]? Sha256)>> fill, CancellationToken ct)
    {
        _space?.EnsureRoom(preallocate ?? 0);
        var id = NewId();
        var tmp = Path.Combine(_tmpRoot, id + ".tmp");
        try
        {
            (long Size, byte[] Md5, byte[]? Sha256) written;
            await using (var file = new FileStream(tmp, new FileStreamOptions
                         {
                             Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0,
                             PreallocationSize = preallocate is > 0 and < 1L << 40 ? preallocate.Value : 0,
                         }))
            {
                written = await fill(file);
                file.Flush(flushToDisk: true);
            }
            var final = FinalPath(id);
            File.Move(tmp, final);
            FsyncDirectory(Path.GetDirectoryName(final)!);
            return new BlobWriteResult(id, written.Size, written.Md5, written.Sha256);
        }
        catch (Exception e) when (FreeSpaceGuard.IsDiskFull(e))
        {
            TryDelete(tmp);
            throw FreeSpaceGuard.InsufficientStorage();
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public void Delete(string blobId) => TryDelete(FinalPath(blobId));

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public IEnumerable<string> EnumerateBlobs(DateTimeOffset olderThan)
    {
        foreach (var dir in Directory.EnumerateDirectories(_blobRoot))
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            if (File.GetLastWriteTimeUtc(file) < olderThan.UtcDateTime) yield return Path.GetFileName(file);
        }
    }

    public void CleanTemporaryFiles(DateTimeOffset olderThan)
    {
        foreach (var file in Directory.EnumerateFiles(_tmpRoot))
            if (File.GetLastWriteTimeUtc(file) < olderThan.UtcDateTime) TryDelete(file);
    }

    /// <summary>Makes a rename durable: on Linux a new directory entry survives a crash only once the directory is fsynced.</summary>
    private static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var fd = Native.open(path, Native.O_RDONLY | (OperatingSystem.IsLinux() ? Native.O_DIRECTORY_LINUX : 0));
        if (fd < 0) return;
        try { Native.fsync(fd); }
        finally { Native.close(fd); }
    }

    /// <summary>Fills <paramref name="buffer"/> as far as the source goes: 1 MiB writes, not one per network read.</summary>
    private static async Task<int> ReadFullAsync(Stream source, Memory<byte> buffer, CancellationToken ct)
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
    /// Two buffers in turn: the hashing and disk write of one run while the next is read from the client, and every
    /// 8 MiB written the kernel is told to start writing them back, so the fsync at the end waits for the tail only
    /// instead of the whole blob. Reading, hashing and the disk then work at the same time.
    /// </summary>
    private sealed class OverlappedWriter(FileStream file, int bufferSize, Action<ReadOnlyMemory<byte>> beforeWrite) : IAsyncDisposable
    {
        private const long WritebackEvery = 8 << 20;
        private readonly byte[][] _buffers = [ArrayPool<byte>.Shared.Rent(bufferSize), ArrayPool<byte>.Shared.Rent(bufferSize)];
        private readonly int _size = bufferSize;
        private readonly Task[] _bufferWrites = [Task.CompletedTask, Task.CompletedTask];
        private int _current;
        private Task _writing = Task.CompletedTask;
        private long _written;
        private long _writebackFrom;

        /// <summary>The buffer to fill next; the write that last used it has finished.</summary>
        public async Task<Memory<byte>> NextBufferAsync()
        {
            await _bufferWrites[_current];
            return _buffers[_current].AsMemory(0, _size);
        }

        /// <summary>Writes the first <paramref name="count"/> bytes of the current buffer once the previous write is done.</summary>
        public void Write(int count, CancellationToken ct)
        {
            var buffer = _buffers[_current];
            _writing = WriteAfterAsync(_writing, buffer.AsMemory(0, count), ct);
            _bufferWrites[_current] = _writing;
            _current ^= 1;
        }

        private async Task WriteAfterAsync(Task previous, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            await previous.ConfigureAwait(false);
            // Off the reading thread: when the previous write is already done, the hashing must not hold up the next read.
            if (previous.IsCompleted) await Task.Yield();
            beforeWrite(data);
            await file.WriteAsync(data, ct);
            _written += data.Length;
            if (_written - _writebackFrom >= WritebackEvery)
            {
                StartWriteback(file, _writebackFrom, _written - _writebackFrom);
                _writebackFrom = _written;
            }
        }

        public Task CompleteAsync() => _writing;

        public async ValueTask DisposeAsync()
        {
            // The buffers go back to the pool only once no write uses them, also after a failed read.
            try { await _writing; }
            catch (Exception) { }
            foreach (var b in _buffers) ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>sync_file_range(SYNC_FILE_RANGE_WRITE): starts writeback without waiting; only a hint, so errors are ignored.</summary>
    private static void StartWriteback(FileStream file, long offset, long count)
    {
        if (!OperatingSystem.IsLinux()) return;
        var added = false;
        try
        {
            file.SafeFileHandle.DangerousAddRef(ref added);
            _ = Native.sync_file_range((int)file.SafeFileHandle.DangerousGetHandle(), offset, count, Native.SYNC_FILE_RANGE_WRITE);
        }
        finally
        {
            if (added) file.SafeFileHandle.DangerousRelease();
        }
    }

    private static partial class Native
    {
        public const uint SYNC_FILE_RANGE_WRITE = 2;

        [LibraryImport("libc", EntryPoint = "sync_file_range")]
        public static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);

        public const int O_RDONLY = 0;
        public const int O_DIRECTORY_LINUX = 0x10000;

        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync")]
        public static partial int fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close")]
        public static partial int close(int fd);
    }
}
