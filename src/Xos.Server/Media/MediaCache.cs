using System.Collections.Concurrent;
using System.Text;

namespace Xos.Server.Media;

/// <summary>
/// Processed results on disk, bounded in bytes, least recently used evicted first. An entry's name is a hash of the
/// source's bucket, key, version, ETag and modification time and of the pipeline, so an overwritten or deleted source
/// can never be answered from it: its new version has another name, and a deleted one is refused before the cache is
/// consulted. A file holds its content type on the first line, then the result.
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

    /// <summary>A cached result: its file, where the body starts in it, its length and content type; null on a miss.</summary>
    public CachedResult? TryGet(string name)
    {
        if (!Enabled || !_entries.TryGetValue(name, out var entry)) return null;
        var path = PathOf(name);
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[128];
            var n = file.Read(head);
            var nl = head[..n].IndexOf((byte)'\n');
            if (nl <= 0) return null;
            entry.LastUse = Interlocked.Increment(ref _clock);
            return new CachedResult(path, nl + 1, file.Length - nl - 1, Encoding.ASCII.GetString(head[..nl]));
        }
        catch (IOException)
        {
            Forget(name);
            return null;
        }
    }

    /// <summary>Stores a result (written aside and renamed, so a reader never sees half of one) and evicts past the bound.</summary>
    public void Put(string name, MediaResult result)
    {
        if (!Enabled) return;
        var size = result.Body.Length + result.ContentType.Length + 1L;
        if (size > _maxBytes / 4) return;
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(Encoding.ASCII.GetBytes(result.ContentType + "\n"));
                file.Write(result.Body);
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

public sealed record CachedResult(string Path, long Offset, long Length, string ContentType);
