using Xos.Server.Caching;
using Xos.Server.Storage;

namespace Xos.Tests.Unit;

public sealed class ObjectCacheTests
{
    private static readonly BucketRecord Bucket = new(1, "b", "owner", DateTimeOffset.UnixEpoch, "us-east-1");

    private static ObjectRecord Inline(string key, int size, byte fill = 1) =>
        new() { BucketId = 1, Key = key, Size = size, InlineData = Enumerable.Repeat(fill, size).ToArray() };

    private static void Add(ObjectCache cache, string key, ObjectRecord obj) => cache.AddRow("b", key, null, Bucket, obj, cache.Begin(key));

    [Fact]
    public void ARowIsServedUntilAWriteToItsKey()
    {
        var cache = new ObjectCache(1 << 20);
        Add(cache, "k", Inline("k", 10));
        Assert.True(cache.TryGetRow("b", "k", null, out _, out var found));
        Assert.Equal(10, found.Size);
        Assert.False(cache.TryGetRow("b", "k", "v1", out _, out _));
        Assert.False(cache.TryGetRow("other", "k", null, out _, out _));
        cache.BeginWrite("k");
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        cache.EndWrite("k");
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        Assert.Equal(1, cache.Hits);
        Assert.Equal(4, cache.Misses);
    }

    [Fact]
    public void NoRowOfAKeyIsServedOrKeptWhileAWriteToItRunsNorAfter()
    {
        var cache = new ObjectCache(1 << 20);
        Add(cache, "k", Inline("k", 10));
        cache.BeginWrite("k");
        // Between the transaction's commit and the end of the write, the row read before it is not served...
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        // ...and a row read meanwhile (old or new: the reader cannot know) is not kept, even under a stamp taken now.
        cache.AddRow("b", "k", null, Bucket, Inline("k", 11), cache.Begin("k"));
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        cache.EndWrite("k");
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        Add(cache, "k", Inline("k", 12));
        Assert.True(cache.TryGetRow("b", "k", null, out _, out var found));
        Assert.Equal(12, found.Size);

        // The same for a change to a bucket's settings, which every row carries.
        cache.BeginClear();
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        cache.AddRow("b", "k", null, Bucket, Inline("k", 13), cache.Begin("k"));
        cache.Clear();
        cache.EndClear();
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
    }

    [Fact]
    public void ARowReadBeforeAWriteIsNeverKept()
    {
        var cache = new ObjectCache(1 << 20);
        var stamp = cache.Begin("k");
        cache.BeginWrite("k"); // a write committed while the row was being read
        cache.EndWrite("k");
        cache.AddRow("b", "k", null, Bucket, Inline("k", 10), stamp);
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));

        stamp = cache.Begin("k");
        cache.Clear(); // a bucket changed meanwhile
        cache.AddRow("b", "k", null, Bucket, Inline("k", 10), stamp);
        Assert.False(cache.TryGetRow("b", "k", null, out _, out _));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void AClearOutdatesEveryRowButNoBody()
    {
        var cache = new ObjectCache(1 << 20);
        Add(cache, "a", Inline("a", 10));
        Add(cache, "b", Inline("b", 10));
        cache.AddBody("blob", new byte[100]);
        cache.Clear();
        Assert.False(cache.TryGetRow("b", "a", null, out _, out _));
        Assert.False(cache.TryGetRow("b", "b", null, out _, out _));
        Assert.True(cache.TryGetBody("blob", out var body));
        Assert.Equal(100, body.Length);
        Assert.Equal(ObjectCache.EntryOverhead + 100 + 8, cache.Bytes);
    }

    [Fact]
    public void LargeObjectsDeleteMarkersAndMultipartObjectsAreNotKept()
    {
        var cache = new ObjectCache(1 << 20, maxObjectBytes: 1000);
        Add(cache, "big", Inline("big", 1001));
        Add(cache, "marker", new ObjectRecord { Key = "marker", IsDeleteMarker = true });
        Add(cache, "parts", new ObjectRecord { Key = "parts", Size = 10, Segments = [new Segment("x", 5), new Segment("y", 5)] });
        cache.AddBody("large", new byte[1001]);
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
        Add(cache, "small", Inline("small", 1000));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void BytesStayWithinTheCapacityAndTheLeastRecentlyUsedGoFirst()
    {
        const int size = 1000;
        var perEntry = ObjectCache.EntryOverhead + size;
        var cache = new ObjectCache(perEntry * 20L, maxObjectBytes: 4096);
        for (var i = 0; i < 10; i++) cache.AddBody($"blob{i:D2}", new byte[size - 14]);
        // Bodies blob00..blob09 in; blob00 used again, so it is the most recently used of them.
        Assert.True(cache.TryGetBody("blob00", out _));
        for (var i = 10; i < 200; i++)
        {
            cache.AddBody($"blob{i:D3}", new byte[size - 14]);
            Assert.True(cache.Bytes <= cache.Capacity, $"{cache.Bytes} bytes held, capacity {cache.Capacity}");
            Assert.True(cache.TryGetBody("blob00", out _)); // kept in use: never the least recently used
        }
        Assert.True(cache.Evictions > 0);
        Assert.True(cache.TryGetBody("blob00", out _));
        Assert.False(cache.TryGetBody("blob05", out _));
        Assert.True(cache.Count <= 20);
    }

    [Fact]
    public void ReplacingAnEntryChargesOnlyTheNewOne()
    {
        var cache = new ObjectCache(1 << 20);
        Add(cache, "k", Inline("k", 100));
        var once = cache.Bytes;
        Add(cache, "k", Inline("k", 100, fill: 2));
        Assert.Equal(once, cache.Bytes);
        Assert.True(cache.TryGetRow("b", "k", null, out _, out var found));
        Assert.Equal(2, found.InlineData![0]);
    }

    [Fact]
    public void ConcurrentAddsAndInvalidationsKeepTheAccountsRight()
    {
        var cache = new ObjectCache(64 * 1024, maxObjectBytes: 2048);
        Parallel.For(0, 20_000, i =>
        {
            var key = "k" + (i % 300);
            if (i % 5 == 0) { cache.BeginWrite(key); cache.EndWrite(key); }
            else if (i % 7 == 0) cache.AddBody("blob" + (i % 100), new byte[i % 2000]);
            else if (!cache.TryGetRow("b", key, null, out _, out _)) Add(cache, key, Inline(key, i % 1500));
        });
        cache.Clear();
        var bodies = Enumerable.Range(0, 100).Sum(i => cache.TryGetBody("blob" + i, out var b) ? ObjectCache.EntryOverhead + b.Length + 2L * ("blob" + i).Length : 0);
        Assert.Equal(bodies, cache.Bytes);
    }
}
