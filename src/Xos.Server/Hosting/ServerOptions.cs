using System.Net;

namespace Xos.Server.Hosting;

/// <summary>How the server is configured: command-line flags first, then XOS_* environment variables, then defaults.</summary>
public sealed record ServerOptions
{
    public string DataDirectory { get; init; } = "data";
    public IPEndPoint Address { get; init; } = new(IPAddress.Loopback, 9000);
    /// <summary>Domains under which <c>bucket.domain</c> selects virtual-hosted addressing.</summary>
    public IReadOnlyList<string> Domains { get; init; } = ["localhost"];
    public string? CertificatePath { get; init; }
    public string? CertificatePassword { get; init; }
    public string? RootAccessKey { get; init; }
    public string? RootSecretKey { get; init; }
    /// <summary>Region reported by GetBucketLocation for buckets created without a LocationConstraint.</summary>
    public string Region { get; init; } = "us-east-1";
    public bool JsonLogs { get; init; }
    /// <summary>
    /// Accept SSE-C keys over plain HTTP (--allow-insecure-sse-c, XOS_ALLOW_INSECURE_SSE_C=true). S3 refuses them,
    /// since the key travels in the request; only for tests and local use.
    /// </summary>
    public bool AllowInsecureSseC { get; init; }
    /// <summary>--min-free / XOS_MIN_FREE as given (a size or a percentage); null for the default reserve.</summary>
    public string? MinFree { get; init; }
    /// <summary>
    /// --metadata / XOS_METADATA_URL: postgres://user:password@host:port/database for a metadata store that several gateways
    /// share; null for the embedded SQLite database in the data folder.
    /// </summary>
    public string? MetadataUrl { get; init; }
    /// <summary>
    /// --blobs / XOS_BLOBS: rados://POOL?conf=/etc/ceph/ceph.conf&amp;id=xos for object bodies in a Ceph RADOS pool that
    /// several gateways share; null for the data folder's blobs/.
    /// </summary>
    public string? BlobsUrl { get; init; }
    /// <summary>
    /// --metrics-address / XOS_METRICS_ADDRESS: where GET /metrics (Prometheus) is served, without S3 authentication, so it
    /// belongs on an address only the monitoring system reaches; null serves no metrics.
    /// </summary>
    public IPEndPoint? MetricsAddress { get; init; }
    /// <summary>XOS_MASTER_KEY: base64 of the 32-byte master key; null keeps (or makes) DATA/master.key.</summary>
    public string? MasterKey { get; init; }
    /// <summary>XOS_KMS_KEYS: keys of the built-in key service created at start-up when missing (NAME or NAME:SM4, comma separated).</summary>
    public string? KmsKeys { get; init; }
    public TimeSpan AccessLogInterval { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan ConsoleIdle { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan ConsoleLifetime { get; init; } = TimeSpan.FromHours(12);
    /// <summary>XOS_DIRECT_WRITES: large bodies written with O_DIRECT where the filesystem takes it.</summary>
    public bool DirectWrites { get; init; } = true;
    public TimeSpan LifecycleDay { get; init; } = TimeSpan.FromDays(1);
    /// <summary>How often the lifecycle worker runs; null for a day/24, from 1 s to 1 h.</summary>
    public TimeSpan? LifecycleInterval { get; init; }

    // Media processing on read (Media/): limits and the result cache (read by Cli/ServerSettings.cs).
    /// <summary>--media-max-input / XOS_MEDIA_MAX_INPUT: largest source image processed, in bytes.</summary>
    public long MediaMaxInputBytes { get; init; } = 64L << 20;
    /// <summary>--media-max-pixels / XOS_MEDIA_MAX_PIXELS: most pixels a source image may declare (checked before decoding) or a result have.</summary>
    public long MediaMaxPixels { get; init; } = 100_000_000;
    /// <summary>--media-max-output / XOS_MEDIA_MAX_OUTPUT: largest processing result, in bytes.</summary>
    public long MediaMaxOutputBytes { get; init; } = 32L << 20;
    /// <summary>--media-timeout / XOS_MEDIA_TIMEOUT: how long one processing request may take.</summary>
    public TimeSpan MediaTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>--media-concurrency / XOS_MEDIA_CONCURRENCY: processing requests run at once (default: the number of cores).</summary>
    public int MediaConcurrency { get; init; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>--media-queue-wait / XOS_MEDIA_QUEUE_WAIT: milliseconds a request waits for a processing slot before 503 SlowDown.</summary>
    public int MediaQueueWaitMs { get; init; } = 2000;
    /// <summary>--media-cache / XOS_MEDIA_CACHE: bytes of processed results kept on disk (0: no cache).</summary>
    public long MediaCacheBytes { get; init; } = 2L << 30;
    /// <summary>--object-cache / XOS_OBJECT_CACHE: bytes of hot small objects and their metadata kept in memory (0: no cache).</summary>
    public long ObjectCacheBytes { get; init; } = 256L << 20;
    /// <summary>--object-cache-max-object / XOS_OBJECT_CACHE_MAX_OBJECT: the largest object the object cache keeps.</summary>
    public int ObjectCacheMaxObjectBytes { get; init; } = Caching.ObjectCache.DefaultMaxObjectBytes;
    /// <summary>
    /// --notify-queue-limit / XOS_NOTIFY_QUEUE_LIMIT: how many undelivered events may wait before the queue counts as full
    /// (a loud warning, a metric and a readiness detail; nothing is dropped). Default 1,000,000.
    /// </summary>
    public long NotifyQueueLimit { get; init; } = 1_000_000;
    /// <summary>--notify-refuse-when-full / XOS_NOTIFY_REFUSE_WHEN_FULL=true: refuse (503 SlowDown) writes that would queue events while the queue is full.</summary>
    public bool NotifyRefuseWhenFull { get; init; }
    /// <summary>--notify-max-backoff / XOS_NOTIFY_MAX_BACKOFF: the longest wait, in seconds, between retries of a target that is down (default 30).</summary>
    public double NotifyMaxBackoffSeconds { get; init; } = 30;

    public const long MaxObjectSize = 5L * 1024 * 1024 * 1024;
    /// <summary>Objects up to this size are kept in the metadata store with their record instead of in a blob file.</summary>
    public const int MaxInlineObjectSize = 16 * 1024;
    public const long MaxPartSize = 5L * 1024 * 1024 * 1024;
    public const long MinPartSize = 5L * 1024 * 1024;
    public const int MaxPartNumber = 10000;

    /// <summary>
    /// The options of <c>xos server ARGS</c>, read by the command line's one parser (<see cref="Cli.XosCommandLine"/>) with the
    /// environment behind the flags; anything it cannot use is an <see cref="ArgumentException"/> with the one line `xos` prints.
    /// </summary>
    public static ServerOptions Parse(string[] args, Func<string, string?> env) => Cli.XosCommandLine.ParseServer(args, env);

    public static IPEndPoint ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text[(colon + 1)..], out var port))
        {
            if (port is < 1 or > 65535) throw new ArgumentException($"has port {port}, out of range (1 to 65535)");
            if (IPEndPoint.TryParse(text, out var ep)) return ep;
            var host = text[..colon];
            if (host is "localhost") return new IPEndPoint(IPAddress.Loopback, port);
            if (host is "*" or "0.0.0.0") return new IPEndPoint(IPAddress.Any, port);
            if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return new IPEndPoint(ip, port);
        }
        throw new ArgumentException($"must be HOST:PORT (an IP address, localhost or *, and a port), not '{text}'");
    }

    /// <summary>A domain for virtual-hosted addressing: a DNS name, lower case, without a leading dot.</summary>
    public static string ParseDomain(string text)
    {
        var d = text.Trim().TrimStart('.').ToLowerInvariant();
        return d.Length > 0 && Uri.CheckHostName(d) == UriHostNameType.Dns ? d : throw new ArgumentException($"must be a DNS name such as s3.example.com, not '{text}'");
    }
}
