using Xos.Server.Hosting;

namespace Xos.Server.Media;

/// <summary>The bounds on processing, from the server's settings (README: --media-* flags, XOS_MEDIA_* variables).</summary>
public sealed record MediaLimits
{
    /// <summary>A source image may be at most this many pixels a side (Aliyun's limit).</summary>
    public const int MaxSourceSide = 30000;
    /// <summary>A result may be at most this many pixels a side (Aliyun's limit).</summary>
    public const int MaxOutputSide = 16384;

    /// <summary>Largest source image in bytes (video sources are read by ffmpeg where they lie and are not bounded by it).</summary>
    public long MaxInputBytes { get; init; } = 64L << 20;
    /// <summary>Largest number of pixels a source image may declare, and a result may have.</summary>
    public long MaxPixels { get; init; } = 100_000_000;
    /// <summary>Largest encoded result in bytes.</summary>
    public long MaxOutputBytes { get; init; } = 32L << 20;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How many requests process at once; more wait up to <see cref="QueueWait"/>, then get 503 SlowDown.</summary>
    public int Concurrency { get; init; } = Math.Max(1, Environment.ProcessorCount);
    public TimeSpan QueueWait { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Bytes of results kept on disk (least recently used evicted); 0 turns the cache off.</summary>
    public long CacheBytes { get; init; } = 2L << 30;

    public static MediaLimits From(ServerOptions o) => new()
    {
        MaxInputBytes = o.MediaMaxInputBytes,
        MaxPixels = o.MediaMaxPixels,
        MaxOutputBytes = o.MediaMaxOutputBytes,
        Timeout = o.MediaTimeout,
        Concurrency = o.MediaConcurrency,
        QueueWait = TimeSpan.FromMilliseconds(o.MediaQueueWaitMs),
        CacheBytes = o.MediaCacheBytes,
    };
}
