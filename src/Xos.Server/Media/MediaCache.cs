using System.Collections.Concurrent;
using System.Text;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Media;

/// <summary>
/// Processed results on disk, bounded in bytes, least recently used evicted first. An entry's name is a hash of the
/// source's bucket, key, version, ETag and modification time and of the pipeline, so an overwritten or deleted source
/// can never be answered from it: its new version has another name, and a deleted one is refused before the cache is
/// consulted. A file holds its content type, the result's length and the JSON of its sealing key (empty when in the
/// clear) on three lines, then the result.
/// </summary>
public sealed class MediaCache
{
    private readonly string _root;
    private readonly long _maxBytes;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _bytes;
    private long _clock;
    private int _evicting;

    private sealed class Entry(long size, long lastUse)
    {
        public long Size = size;
        public long LastUse = lastUse;
    }

    public MediaCache(string root, long maxBytes)
    {
        _root = root;
        _maxBytes = maxBytes;
        if (maxBytes <= 0) return;
        Directory.CreateDirectory(root);
        // What an earlier run left: entries by their last write (touched on use), unfinished writes removed.
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.LastWriteTimeUtc))
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal)) { TryDelete(file.FullName); continue; }
            _entries[file.Name] = new Entry(file.Length, Interlocked.Increment(ref _clock));
            _bytes += file.Length;
        }
        Evict();
    }

    public bool Enabled => _maxBytes > 0;
    public long Bytes => Interlocked.Read(ref _bytes);
    public int Count => _entries.Count;

    private string PathOf(string name) => Path.Combine(_root, name[..2], name);

    /// <summary>A cached result, its file held open (so eviction cannot take it mid-answer); null on a miss.</summary>
    public CachedResult? TryGet(string name)
    {
        if (!Enabled) return null;
        FileStream? file = null;
        try
        {
            // Synchronous reads: a cached result is small and in the page cache, where the thread pool's asynchronous
            // file I/O only adds a hand-off per read.
            file = new FileStream(PathOf(name), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
            // An entry another gateway on the same data folder wrote is used, and from now on counted, here too.
            var entry = _entries.GetOrAdd(name, _ =>
            {
                Interlocked.Add(ref _bytes, file.Length);
                return new Entry(file.Length, 0);
            });
            Span<byte> head = stackalloc byte[4096];
            var n = file.Read(head);
            // Line 1: content type; line 2: the result's length; line 3: the sealing key's JSON, or nothing.
            var text = Encoding.ASCII.GetString(head[..n]);
            var lines = text.Split('\n', 4);
            if (lines.Length < 4 || !long.TryParse(lines[1], System.Globalization.CultureInfo.InvariantCulture, out var length)) throw new IOException("damaged cache entry");
            var offset = lines[0].Length + lines[1].Length + lines[2].Length + 3;
            entry.LastUse = Interlocked.Increment(ref _clock);
            return new CachedResult(file, offset, length, lines[0], lines[2].Length == 0 ? null : lines[2]);
        }
        catch (FileNotFoundException)
        {
            Forget(name);
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            Forget(name);
            return null;
        }
        catch (IOException)
        {
            file?.Dispose();
            Forget(name);
            return null;
        }
    }

    /// <summary>
    /// Stores a result (written aside and renamed, so a reader never sees half of one) and evicts past the bound. With
    /// <paramref name="seal"/> the result is stored sealed in chunks, as encrypted objects are, never in the clear.
    /// </summary>
    public void Put(string name, MediaResult result, (string Json, ChunkCipher Cipher)? seal = null)
    {
        if (!Enabled) return;
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        long size;
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(Encoding.ASCII.GetBytes($"{result.ContentType}\n{result.Body.Length}\n{seal?.Json}\n"));
                if (seal is { } s)
                {
                    using var sealing = new EncryptingStream(new MemoryStream(result.Body, writable: false), s.Cipher, 0);
                    sealing.CopyTo(file);
                }
                else file.Write(result.Body);
                size = file.Length;
            }
            if (size > _maxBytes / 4)
            {
                TryDelete(tmp);
                return;
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException)
        {
            TryDelete(tmp);
            return;
        }
        var added = new Entry(size, Interlocked.Increment(ref _clock));
        _entries.AddOrUpdate(name, _ => { Interlocked.Add(ref _bytes, size); return added; }, (_, old) =>
        {
            Interlocked.Add(ref _bytes, size - old.Size);
            return added;
        });
        Evict();
    }

    private void Forget(string name)
    {
        if (_entries.TryRemove(name, out var e)) Interlocked.Add(ref _bytes, -e.Size);
    }

    /// <summary>Removes the least recently used entries until the cache holds at most nine tenths of its bound.</summary>
    private void Evict()
    {
        if (Bytes <= _maxBytes || Interlocked.Exchange(ref _evicting, 1) == 1) return;
        try
        {
            var target = _maxBytes / 10 * 9;
            foreach (var (name, _) in _entries.ToArray().OrderBy(e => e.Value.LastUse))
            {
                if (Bytes <= target) break;
                Forget(name);
                TryDelete(PathOf(name));
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A cache hit: the open file, where the stored body starts, the result's length and type, and the JSON of the key
/// it is sealed with (null when stored in the clear).</summary>
public sealed record CachedResult(FileStream File, long Offset, long Length, string ContentType, string? SealJson) : IDisposable
{
    public void Dispose() => File.Dispose();
}

/// <summary>A file seen from <c>start</c> on, for the chunk decryption that seeks to absolute chunk positions.</summary>
internal sealed class OffsetStream(FileStream file, long start) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => file.Length - start;
    public override long Position { get => file.Position - start; set => file.Position = value + start; }
    public override int Read(byte[] buffer, int offset, int count) => file.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => file.ReadAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => file.ReadAsync(buffer, offset, count, ct);
    public override long Seek(long offset, SeekOrigin origin) =>
        origin == SeekOrigin.Begin ? file.Seek(offset + start, SeekOrigin.Begin) - start : file.Seek(offset, origin) - start;
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
        base.Dispose(disposing);
    }
}
