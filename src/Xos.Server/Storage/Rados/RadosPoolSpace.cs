using System.Text.Json;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// The room left for bodies in one pool, as <c>ceph df detail</c> reports it: the pool's MAX AVAIL (what the fullest OSD
/// its CRUSH rule writes to still takes below the full ratio, divided by the replication or erasure-coding overhead), or
/// what is left of its <c>max_bytes</c> quota when that is less. Read from the monitors (<c>mon 'allow r'</c> suffices):
/// once when the store opens, then in the background at most every second, so no request waits on a monitor; the
/// monitors' own figures are refreshed by the manager every few seconds anyway.
/// </summary>
internal sealed class RadosPoolSpace
{
    private const string DfCommand = """{"prefix":"df","detail":"detail","format":"json"}""";
    private readonly RadosCluster _cluster;
    private readonly string _pool;
    private long _available;
    private long _total;
    private long _checkedAt;
    private int _refreshing;

    /// <summary>Reads the pool's figures once; throws <see cref="RadosException"/> when the monitors refuse (no mon 'allow r').</summary>
    public RadosPoolSpace(RadosCluster cluster, string pool)
    {
        _cluster = cluster;
        _pool = pool;
        Refresh();
    }

    /// <summary>Bytes the pool still takes (the latest figure; a refresh starts when it is over a second old).</summary>
    public long Available
    {
        get
        {
            RefreshInBackgroundWhenStale();
            return Interlocked.Read(ref _available);
        }
    }

    /// <summary>The pool's size for a reserve given as a percentage: its quota, or what it holds plus what it still takes.</summary>
    public long Total
    {
        get
        {
            RefreshInBackgroundWhenStale();
            return Interlocked.Read(ref _total);
        }
    }

    private void RefreshInBackgroundWhenStale()
    {
        if (Environment.TickCount64 - Interlocked.Read(ref _checkedAt) <= 1000 || Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0) return;
        _ = Task.Run(() =>
        {
            // A monitor out of reach keeps the last figures; the blob operations themselves report the outage.
            try { Refresh(); }
            catch (Exception e) when (e is RadosException or JsonException or InvalidDataException) { Interlocked.Exchange(ref _checkedAt, Environment.TickCount64); }
            finally { Volatile.Write(ref _refreshing, 0); }
        });
    }

    private void Refresh()
    {
        var (available, total) = Parse(_cluster.MonCommand(DfCommand), _pool);
        Interlocked.Exchange(ref _available, available);
        Interlocked.Exchange(ref _total, total);
        Interlocked.Exchange(ref _checkedAt, Environment.TickCount64);
    }

    /// <summary>The available and total bytes of <paramref name="pool"/> in the JSON of <c>ceph df detail</c>.</summary>
    public static (long Available, long Total) Parse(string json, string pool)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.TryGetProperty("pools", out var pools) && pools.ValueKind == JsonValueKind.Array)
        {
            foreach (var p in pools.EnumerateArray())
            {
                if (!p.TryGetProperty("name", out var name) || name.GetString() != pool || !p.TryGetProperty("stats", out var stats)) continue;
                var maxAvail = Number(stats, "max_avail");
                var stored = Number(stats, "stored");
                var quota = stats.TryGetProperty("quota_bytes", out _) ? Number(stats, "quota_bytes") : 0;
                if (quota > 0) return (Math.Max(0, Math.Min(maxAvail, quota - stored)), quota);
                return (maxAvail, stored + maxAvail);
            }
        }
        throw new InvalidDataException($"the monitors' df lists no pool '{pool}'");
    }

    private static long Number(JsonElement stats, string name) =>
        stats.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) && n >= 0 ? n : throw new InvalidDataException($"the monitors' df has no {name}");
}
