using System.Collections.Concurrent;
using Xos.Server.Auth;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// Access keys found recently, so a request to a shared database costs one round trip (its object) instead of two.
/// It is only used while the database tells this process of every change to keys, users and roles (PostgreSQL's
/// LISTEN/NOTIFY, see <see cref="SqlDatabase.ListenForCredentialChangesAsync"/>): each change empties it, and so does
/// any doubt (the listening connection lost), after which lookups go to the database until it listens again.
/// Unknown keys are never cached, so a key created elsewhere works at once.
/// </summary>
public sealed class CredentialCache
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, (AccessKeyRecord Key, long Expires)> _keys = new(StringComparer.Ordinal);
    private volatile bool _listening;
    private long _generation;

    public bool TryGet(string accessKey, out AccessKeyRecord key)
    {
        key = null!;
        if (!_listening || !_keys.TryGetValue(accessKey, out var entry) || entry.Expires < Environment.TickCount64) return false;
        key = entry.Key;
        return true;
    }

    /// <summary>The generation to pass to <see cref="Add"/>: a lookup that overlapped a change must not repopulate the cache.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public void Add(AccessKeyRecord key, long generation)
    {
        if (!_listening || Interlocked.Read(ref _generation) != generation
            || key.Temporary is { Grant.Expires: var expires } && expires < DateTimeOffset.UtcNow) return;
        if (_keys.Count >= MaxEntries) _keys.Clear();
        _keys[key.AccessKey] = (key, Environment.TickCount64 + (long)Lifetime.TotalMilliseconds);
        // A change that happened while the row was being read may have cleared the cache before this line.
        if (Interlocked.Read(ref _generation) != generation) _keys.TryRemove(key.AccessKey, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _keys.Clear();
    }

    /// <summary>Whether change notifications arrive; the cache is emptied on every transition.</summary>
    public void SetListening(bool listening)
    {
        Clear();
        _listening = listening;
        Clear();
    }
}
