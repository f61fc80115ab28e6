using System.Collections.Concurrent;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// Records found recently (access keys, buckets), so a request to a shared database costs one round trip (its object)
/// instead of three. It is only used while the database tells this process of every change to them (PostgreSQL's
/// LISTEN/NOTIFY, see <see cref="SqlDatabase.ListenForChangesAsync"/>): each change empties it, and so does any doubt
/// (the listening connection lost), after which lookups go to the database until it listens again. What was not found
/// is never cached, so a key or bucket created elsewhere works at once.
/// </summary>
public sealed class NotifiedCache<T>(Func<T, bool>? usable = null) where T : class
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, (T Value, long Expires, long Generation)> _entries = new(StringComparer.Ordinal);
    private volatile bool _listening;
    private long _generation;

    /// <summary>Whether entries are kept and served: only while notifications arrive.</summary>
    public bool InUse => _listening;

    public bool TryGet(string name, out T value)
    {
        value = null!;
        // An entry read before the last change is never served, even in the moment before its reader takes it out again.
        if (!_listening || !_entries.TryGetValue(name, out var entry) || entry.Expires < Environment.TickCount64
            || entry.Generation != Interlocked.Read(ref _generation)) return false;
        value = entry.Value;
        return true;
    }

    /// <summary>The generation to pass to <see cref="Add"/>: a lookup that overlapped a change must not repopulate the cache.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public void Add(string name, T value, long generation)
    {
        if (!_listening || Interlocked.Read(ref _generation) != generation || usable?.Invoke(value) == false) return;
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[name] = (value, Environment.TickCount64 + (long)Lifetime.TotalMilliseconds, generation);
        // A change that happened while the row was being read may have cleared the cache before this line.
        if (Interlocked.Read(ref _generation) != generation) _entries.TryRemove(name, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    /// <summary>Whether change notifications arrive; the cache is emptied on every transition.</summary>
    public void SetListening(bool listening)
    {
        Clear();
        _listening = listening;
        Clear();
    }
}
