using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Files;

/// <summary>
/// Blobs as files under <c>data/blobs/xx/&lt;id&gt;</c>. A write goes to <c>data/tmp</c>, is fsynced, renamed into
/// place and the directory fsynced, so a blob either exists whole or not at all.
/// </summary>
public sealed partial class FileBlobStore : IBlobStore
{
    private const int BufferSize = 1 << 20;
    private const long DirectWriteThreshold = 8 << 20;
    private readonly string _blobRoot;
    private readonly string _tmpRoot;

    private readonly FreeSpaceGuard? _space;

    /// <param name="directWrites">XOS_DIRECT_WRITES: false writes every body through the page cache.</param>
    public FileBlobStore(string dataDirectory, FreeSpaceGuard? space = null, bool directWrites = true)
    {
        _space = space;
        _blobRoot = Path.Combine(dataDirectory, "blobs");
        _tmpRoot = Path.Combine(dataDirectory, "tmp");
        Directory.CreateDirectory(_tmpRoot);
        for (var i = 0; i < 256; i++) Directory.CreateDirectory(Path.Combine(_blobRoot, i.ToString("x2")));
        FsyncDirectory(_blobRoot);
        FsyncDirectory(dataDirectory);
        WritesDirect = directWrites && ProbeDirectWrites(_tmpRoot);
    }

    /// <summary>Whether bodies of 8 MiB and more go to the disk with O_DIRECT (the data folder's filesystem takes it).</summary>
    public bool WritesDirect { get; }

    private static bool ProbeDirectWrites(string folder)
    {
        var probe = Path.Combine(folder, NewId() + ".probe");
        try
        {
            using var handle = OpenDirect(probe, 0);
            return handle is not null;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            TryDelete(probe);
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private string FinalPath(string blobId) => Path.Combine(_blobRoot, blobId[..2], blobId);

    public string? LocalPath(string blobId) => FinalPath(blobId);

    /// <summary>A local open, done at once: nothing to fetch ahead, so <paramref name="length"/> is not needed.</summary>
    public Task<Stream> OpenReadAsync(string blobId, long offset, long length, CancellationToken ct)
    {
        try
        {
            var file = new FileStream(FinalPath(blobId), new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.SequentialScan, BufferSize = 0,
            });
            if (offset != 0) file.Position = offset;
            return Task.FromResult<Stream>(file);
        }
        catch (Exception e)
        {
            return Task.FromException<Stream>(e);
        }
    }

    public void EnsureRoom(long bytes) => _space?.EnsureRoom(bytes);

    public async Task<BlobWriteResult> WriteAsync(Stream source, long? expectedSize, long maxSize, bool computeSha256, CancellationToken ct)
    {
        if (expectedSize > maxSize) throw S3Errors.EntityTooLarge(maxSize);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = computeSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        var direct = WritesDirect && (expectedSize is null or >= DirectWriteThreshold);
        return await WriteNewBlobAsync(expectedSize, direct, async (file, isDirect) =>
        {
            // The hashes run with the disk write of each buffer, in order, while the next buffer is read.
            await using var writer = new OverlappedWriter(file, isDirect, BufferSize, data =>
            {
                md5.AppendData(data.Span);
                sha?.AppendData(data.Span);
            });
            long total = 0;
            while (true)
            {
                var buffer = await writer.NextBufferAsync();
                var n = await StreamFill.ReadFullAsync(source, buffer, ct);
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
        return await WriteNewBlobAsync(length, direct: false, async (file, _) =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            long written = 0;
            try
            {
                long segmentStart = 0, remaining = length;
                foreach (var segment in source)
                {
                    var segmentEnd = segmentStart + segment.Size;
                    if (remaining > 0 && offset < segmentEnd)
                    {
                        var from = Math.Max(offset, segmentStart) - segmentStart;
                        var take = Math.Min(remaining, segment.Size - from);
                        await using var input = await this.OpenAsync(segment, from, take, ct);
                        while (take > 0)
                        {
                            var n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, take)), ct);
                            if (n == 0) throw new IOException($"blob {segment.BlobId} is shorter than its metadata says");
                            md5.AppendData(buffer, 0, n);
                            await RandomAccess.WriteAsync(file, buffer.AsMemory(0, n), written, ct);
                            written += n;
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

    private async Task<BlobWriteResult> WriteNewBlobAsync(long? preallocate, bool direct,
        Func<SafeFileHandle, bool, Task<(long Size, byte[] Md5, byte[]? Sha256)>> fill, CancellationToken ct)
    {
        _space?.EnsureRoom(preallocate ?? 0);
        var id = NewId();
        var tmp = Path.Combine(_tmpRoot, id + ".tmp");
        try
        {
            (long Size, byte[] Md5, byte[]? Sha256) written;
            var preallocation = preallocate is > 0 and < 1L << 40 ? preallocate.Value : 0;
            var directHandle = direct ? OpenDirect(tmp, preallocation) : null;
            using (var file = directHandle ?? File.OpenHandle(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocation))
            {
                written = await fill(file, directHandle is not null);
                // O_DIRECT wrote whole 4 KiB blocks: the file is cut back to the body's length before it is made durable.
                if (directHandle is not null && Native.ftruncate(Fd(file), written.Size) != 0) ThrowLastError("ftruncate");
                if (Native.fsync(Fd(file)) != 0) ThrowLastError("fsync");
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

    /// <summary>
    /// Large bodies are written with O_DIRECT: straight from the request's buffers to the disk, without a copy into the
    /// page cache (a media upload is rarely read back at once, and it would push out what is). Null where the
    /// filesystem refuses O_DIRECT (tmpfs, some network filesystems): the caller then writes through the page cache.
    /// </summary>
    private static SafeFileHandle? OpenDirect(string path, long preallocation)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var fd = Native.open(path, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC | Native.O_DIRECT_LINUX,
            (int)(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.EINVAL) return null;
            throw new IOException($"open {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        // Reserves the space at once, so a full disk is found before the body is read; a hint where unsupported.
        if (preallocation > 0 && Native.fallocate(fd, 0, 0, preallocation) != 0 && Marshal.GetLastPInvokeError() == Native.ENOSPC)
        {
            handle.Dispose();
            throw new IOException("No space left on device", Native.ENOSPC);
        }
        return handle;
    }

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private static void ThrowLastError(string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException($"{call}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    public void Delete(string blobId) => TryDelete(FinalPath(blobId));

    /// <summary>A local unlink, done at once on the caller's thread (no hop to the thread pool).</summary>
    public Task DeleteAsync(string blobId)
    {
        Delete(blobId);
        return Task.CompletedTask;
    }

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

    /// <summary>
    /// Buffers in turn: the hashing and disk write of one run while the next is read from the client. The hashes see
    /// the buffers in order; the writes go to their own offsets, so with O_DIRECT up to three are in flight at once and
    /// the disk's latency is not paid once per buffer. Through the page cache, every 8 MiB written the kernel is told to
    /// start writing them back, so the fsync at the end waits for the tail only instead of the whole blob.
    /// </summary>
    private sealed class OverlappedWriter : IAsyncDisposable
    {
        private const long WritebackEvery = 8 << 20;
        private readonly SafeFileHandle _file;
        private readonly bool _direct;
        private readonly Action<ReadOnlyMemory<byte>> _beforeWrite;
        private readonly AlignedBuffer[] _buffers;
        private readonly Task[] _bufferWrites;
        private int _current;
        private Task _hashing = Task.CompletedTask;
        private long _queued;

        public OverlappedWriter(SafeFileHandle file, bool direct, int bufferSize, Action<ReadOnlyMemory<byte>> beforeWrite)
        {
            _file = file;
            _direct = direct;
            _beforeWrite = beforeWrite;
            _buffers = new AlignedBuffer[direct ? 4 : 2];
            _bufferWrites = new Task[_buffers.Length];
            for (var i = 0; i < _buffers.Length; i++)
            {
                _buffers[i] = AlignedBuffer.Rent(bufferSize);
                _bufferWrites[i] = Task.CompletedTask;
            }
        }

        /// <summary>The buffer to fill next; the write that last used it has finished.</summary>
        public async Task<Memory<byte>> NextBufferAsync()
        {
            await _bufferWrites[_current];
            return _buffers[_current].Memory;
        }

        /// <summary>Hashes, then writes, the first <paramref name="count"/> bytes of the current buffer, after the buffers before it were hashed.</summary>
        public void Write(int count, CancellationToken ct)
        {
            var buffer = _buffers[_current].Memory;
            _hashing = HashAfterAsync(_hashing, buffer[..count]);
            _bufferWrites[_current] = WriteAfterAsync(_hashing, buffer, count, _queued, ct);
            _queued += count;
            _current = (_current + 1) % _buffers.Length;
        }

        private async Task HashAfterAsync(Task previous, ReadOnlyMemory<byte> data)
        {
            await previous.ConfigureAwait(false);
            // Off the reading thread: when the previous hash is already done, the hashing must not hold up the next read.
            if (previous.IsCompleted) await Task.Yield();
            _beforeWrite(data);
        }

        private async Task WriteAfterAsync(Task hashed, Memory<byte> buffer, int count, long offset, CancellationToken ct)
        {
            await hashed.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            // Only the last buffer of a body is short; O_DIRECT writes it out to a whole block, cut back at the end.
            var length = _direct ? (int)AlignedBuffer.RoundUp(count) : count;
            RandomAccess.Write(_file, buffer.Span[..length], offset);
            var end = offset + count;
            if (!_direct && end / WritebackEvery != offset / WritebackEvery)
                StartWriteback(_file, end / WritebackEvery * WritebackEvery - WritebackEvery, WritebackEvery);
        }

        public Task CompleteAsync() => Task.WhenAll(_bufferWrites);

        public async ValueTask DisposeAsync()
        {
            // The buffers go back to the pool only once no write uses them, also after a failed read.
            foreach (var write in _bufferWrites)
            {
                try { await write; }
                catch (Exception) { }
            }
            foreach (var b in _buffers) AlignedBuffer.Return(b);
        }
    }

    /// <summary>sync_file_range(SYNC_FILE_RANGE_WRITE): starts writeback without waiting; only a hint, so errors are ignored.</summary>
    private static void StartWriteback(SafeFileHandle file, long offset, long count)
    {
        if (!OperatingSystem.IsLinux()) return;
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            _ = Native.sync_file_range(Fd(file), offset, count, Native.SYNC_FILE_RANGE_WRITE);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    private static partial class Native
    {
        public const uint SYNC_FILE_RANGE_WRITE = 2;

        [LibraryImport("libc", EntryPoint = "sync_file_range")]
        public static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);

        public const int O_RDONLY = 0;
        public const int O_WRONLY = 1;
        public const int O_CREAT = 0x40;
        public const int O_EXCL = 0x80;
        public const int O_DIRECTORY_LINUX = 0x10000;
        public const int O_DIRECT_LINUX = 0x4000;
        public const int O_CLOEXEC = 0x80000;
        public const int EINVAL = 22;
        public const int ENOSPC = 28;

        /// <summary><paramref name="mode"/> counts only with O_CREAT.</summary>
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int open(string path, int flags, int mode = 0);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int fsync(int fd);

        [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int ftruncate(int fd, long length);

        [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
        public static partial int fallocate(int fd, int mode, long offset, long length);

        [LibraryImport("libc", EntryPoint = "close")]
        public static partial int close(int fd);
    }
}
