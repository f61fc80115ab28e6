using System.Collections.Concurrent;
using Xos.Server.Storage;

namespace Xos.Server.Caching;

/// <summary>
/// Hot small objects in memory, bounded by bytes (--object-cache), least recently used evicted first. Two kinds of entry:
/// <list type="bullet">
/// <item>Rows: a bucket's record and one object version's record (with its bytes when they are kept inline), as
/// <see cref="Storage.Sql.SqlMetadataStore.GetBucketAndObjectAsync"/> returned them. Only kept where this process sees
/// every write to the metadata (SQLite); see <see cref="Stamp"/> for why a row is never served after a write to its key
/// was acknowledged.</item>
/// <item>Bodies: the bytes of a small blob, by blob id. A blob is written once under a new random id before any row
/// names it and never changes, so a body needs no invalidation: the row (read fresh, or a valid cached one) decides which
/// blob an object is, and only that blob's bytes are sent.</item>
/// </list>
/// </summary>
public sealed class ObjectCache
{
    public const int DefaultMaxObjectBytes = 64 * 1024;
    /// <summary>Charged per entry beyond its bytes: the records, the key and the dictionary's node.</summary>
    internal const int EntryOverhead = 512;
    private const int StripeCount = 4096;

    private readonly long[] _stripes = new long[StripeCount];
    /// <summary>Writers in progress per stripe, and clears in progress: while any runs, its rows are neither served nor kept.</summary>
    private readonly int[] _writing = new int[StripeCount];
    private long _global;
    private int _clearing;
    private readonly ConcurrentDictionary<RowKey, RowEntry> _rows = new();
    private readonly ConcurrentDictionary<string, BodyEntry> _bodies = new(StringComparer.Ordinal);
    private long _bytes, _tick, _hits, _misses, _evictions;
    private int _evicting;

    public ObjectCache(long capacityBytes, int maxObjectBytes = DefaultMaxObjectBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxObjectBytes);
        Capacity = capacityBytes;
        MaxObjectBytes = (int)Math.Min(maxObjectBytes, capacityBytes);
    }

    /// <summary>The cache the settings ask for; null when --object-cache is 0.</summary>
    public static ObjectCache? From(Hosting.ServerOptions options) =>
        options.ObjectCacheBytes > 0 ? new ObjectCache(options.ObjectCacheBytes, options.ObjectCacheMaxObjectBytes) : null;

    public long Capacity { get; }
    public int MaxObjectBytes { get; }
    public long Bytes => Interlocked.Read(ref _bytes);
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);
    public long Evictions => Interlocked.Read(ref _evictions);
    public int Count => _rows.Count + _bodies.Count;

    /// <summary>
    /// The generations a reader saw before it read the database. A writer of a key brackets its transaction with
    /// <see cref="BeginWrite"/> and <see cref="EndWrite"/> (a change to a bucket or account with <see cref="BeginClear"/>
    /// and <see cref="EndClear"/>): each bumps the key's stripe (or every stripe), and while one is in progress the stripe's
    /// rows are neither served nor kept. A row is served only while both generations it was read under are still current
    /// and no writer of its stripe is at work. So from the moment a write begins, and therefore from its commit on, no row
    /// read before it is served; a row read while it ran is never kept; and any row kept later came from a database read
    /// that began after the write ended. No lock: the generations only grow.
    /// </summary>
    public readonly record struct Stamp(long Global, long Stripe);

    public Stamp Begin(string key) => new(Volatile.Read(ref _global), Volatile.Read(ref _stripes[StripeOf(key)]));

    private bool Current(string key, long global, long stripe)
    {
        var s = StripeOf(key);
        return global == Volatile.Read(ref _global) && stripe == Volatile.Read(ref _stripes[s])
            && Volatile.Read(ref _writing[s]) == 0 && Volatile.Read(ref _clearing) == 0;
    }

    private static int StripeOf(string key) => StringComparer.Ordinal.GetHashCode(key) & (StripeCount - 1);

    /// <summary>A write to every row of <paramref name="key"/> (any bucket, any version) begins: none is served from now on.</summary>
    public void BeginWrite(string key)
    {
        var s = StripeOf(key);
        Interlocked.Increment(ref _writing[s]);
        Interlocked.Increment(ref _stripes[s]);
    }

    /// <summary>The write begun by <see cref="BeginWrite"/> committed or failed: rows read from now on may be kept again.</summary>
    public void EndWrite(string key)
    {
        var s = StripeOf(key);
        Interlocked.Increment(ref _stripes[s]);
        Interlocked.Decrement(ref _writing[s]);
    }

    /// <summary>A write that may change any row (a bucket's or an account's settings) begins.</summary>
    public void BeginClear()
    {
        Interlocked.Increment(ref _clearing);
        Interlocked.Increment(ref _global);
    }

    /// <summary>
    /// The write begun by <see cref="BeginClear"/> ended; its caller has dropped the rows (<see cref="Clear"/>, which the
    /// store's forgetting of a change does), and rows read from now on may be kept again.
    /// </summary>
    public void EndClear() => Interlocked.Decrement(ref _clearing);

    /// <summary>Every row stops being served (a bucket changed, or the database was changed by another process). Bodies stay: they never change.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _global);
        foreach (var (key, entry) in _rows) Remove(_rows, key, entry);
    }

    public bool TryGetRow(string bucket, string key, string? versionId, out BucketRecord bucketRecord, out ObjectRecord objectRecord)
    {
        var rowKey = new RowKey(bucket, key, versionId);
        if (_rows.TryGetValue(rowKey, out var entry))
        {
            if (Current(key, entry.Global, entry.Stripe))
            {
                Touch(entry);
                bucketRecord = entry.Bucket;
                objectRecord = entry.Object;
                return true;
            }
            Remove(_rows, rowKey, entry);
        }
        Interlocked.Increment(ref _misses);
        bucketRecord = null!;
        objectRecord = null!;
        return false;
    }

    /// <summary>Whether a version is kept as a row: small, one piece (inline or one blob), not a delete marker.</summary>
    public bool Keeps(ObjectRecord obj) => !obj.IsDeleteMarker && obj.Segments is null && obj.Size <= MaxObjectBytes;

    /// <summary>Keeps a row read under <paramref name="stamp"/> (taken before the read); an outdated one is not kept.</summary>
    public void AddRow(string bucket, string key, string? versionId, BucketRecord bucketRecord, ObjectRecord objectRecord, Stamp stamp)
    {
        if (!Keeps(objectRecord) || !Current(key, stamp.Global, stamp.Stripe)) return;
        var charge = EntryOverhead + (objectRecord.InlineData?.Length ?? 0) + 2L * (bucket.Length + key.Length);
        Put(_rows, new RowKey(bucket, key, versionId), new RowEntry(bucketRecord, objectRecord, stamp.Global, stamp.Stripe, charge));
    }

    public bool TryGetBody(string blobId, out byte[] body)
    {
        if (_bodies.TryGetValue(blobId, out var entry))
        {
            Touch(entry);
            body = entry.Data;
            return true;
        }
        Interlocked.Increment(ref _misses);
        body = null!;
        return false;
    }

    /// <summary>Keeps the whole content of blob <paramref name="blobId"/>.</summary>
    public void AddBody(string blobId, byte[] body)
    {
        if (body.Length > MaxObjectBytes) return;
        Put(_bodies, blobId, new BodyEntry(body, EntryOverhead + body.Length + 2L * blobId.Length));
    }

    private void Touch(Entry entry)
    {
        Interlocked.Increment(ref _hits);
        entry.LastUsed = Interlocked.Increment(ref _tick);
    }

    private void Put<TKey, TEntry>(ConcurrentDictionary<TKey, TEntry> map, TKey key, TEntry entry) where TKey : notnull where TEntry : Entry
    {
        entry.LastUsed = Interlocked.Increment(ref _tick);
        while (true)
        {
            if (map.TryGetValue(key, out var old))
            {
                if (!map.TryUpdate(key, entry, old)) continue;
                Interlocked.Add(ref _bytes, entry.Charge - old.Charge);
                break;
            }
            if (map.TryAdd(key, entry))
            {
                Interlocked.Add(ref _bytes, entry.Charge);
                break;
            }
        }
        if (Interlocked.Read(ref _bytes) > Capacity) Evict();
    }

    private void Remove<TKey, TEntry>(ConcurrentDictionary<TKey, TEntry> map, TKey key, TEntry entry) where TKey : notnull where TEntry : Entry
    {
        if (map.TryRemove(KeyValuePair.Create(key, entry))) Interlocked.Add(ref _bytes, -entry.Charge);
    }

    /// <summary>
    /// Removes the least recently used entries until a tenth of the capacity is free: one pass sorts them all, so it runs
    /// once per tenth of the capacity added, not per entry. One thread evicts at a time; the others go on adding, so the
    /// cache may pass its capacity by what they add meanwhile.
    /// </summary>
    private void Evict()
    {
        if (Interlocked.CompareExchange(ref _evicting, 1, 0) != 0) return;
        try
        {
            var target = Capacity - Capacity / 10;
            var all = new List<(long LastUsed, bool IsRow, object Key, Entry Entry)>(Count);
            foreach (var (key, entry) in _rows) all.Add((entry.LastUsed, true, key, entry));
            foreach (var (key, entry) in _bodies) all.Add((entry.LastUsed, false, key, entry));
            all.Sort(static (a, b) => a.LastUsed.CompareTo(b.LastUsed));
            foreach (var (_, isRow, key, entry) in all)
            {
                if (Interlocked.Read(ref _bytes) <= target) break;
                if (isRow) Remove(_rows, (RowKey)key, (RowEntry)entry);
                else Remove(_bodies, (string)key, (BodyEntry)entry);
                Interlocked.Increment(ref _evictions);
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }

    private readonly record struct RowKey(string Bucket, string Key, string? VersionId);

    private abstract class Entry(long charge)
    {
        public long Charge { get; } = charge;
        public long LastUsed;
    }

    private sealed class RowEntry(BucketRecord bucket, ObjectRecord obj, long global, long stripe, long charge) : Entry(charge)
    {
        public BucketRecord Bucket { get; } = bucket;
        public ObjectRecord Object { get; } = obj;
        public long Global { get; } = global;
        public long Stripe { get; } = stripe;
    }

    private sealed class BodyEntry(byte[] data, long charge) : Entry(charge)
    {
        public byte[] Data { get; } = data;
    }
}
