using Prometheus;

namespace Xos.Server.Caching;

/// <summary>The object cache on the Prometheus endpoint: hits, misses, evictions, bytes and entries, read at each scrape.</summary>
public static class ObjectCacheMetrics
{
    private static readonly Counter Hits = Metrics.CreateCounter("xos_object_cache_hits_total",
        "Reads answered from the object cache (a row on SQLite, a body on any engine).");
    private static readonly Counter Misses = Metrics.CreateCounter("xos_object_cache_misses_total",
        "Reads of cacheable kinds the object cache could not answer (not kept yet, evicted, or outdated by a write).");
    private static readonly Counter Evictions = Metrics.CreateCounter("xos_object_cache_evictions_total",
        "Entries removed to stay within --object-cache.");
    private static readonly Gauge Bytes = Metrics.CreateGauge("xos_object_cache_bytes", "Bytes the object cache holds, as charged against --object-cache.");
    private static readonly Gauge Capacity = Metrics.CreateGauge("xos_object_cache_capacity_bytes", "--object-cache.");
    private static readonly Gauge Entries = Metrics.CreateGauge("xos_object_cache_entries", "Rows and bodies the object cache holds.");

    public static void Observe(ObjectCache cache)
    {
        Capacity.Set(cache.Capacity);
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            Hits.IncTo(cache.Hits);
            Misses.IncTo(cache.Misses);
            Evictions.IncTo(cache.Evictions);
            Bytes.Set(cache.Bytes);
            Entries.Set(cache.Count);
        });
    }
}
