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
    /// --metrics-address / XOS_METRICS_ADDRESS: where GET /metrics (Prometheus) is served, without S3 authentication, so it
    /// belongs on an address only the monitoring system reaches; null serves no metrics.
    /// </summary>
    public IPEndPoint? MetricsAddress { get; init; }

    // Media processing on read (Media/): limits and the result cache. README's settings table lists them.
    /// <summary>--media-max-input / XOS_MEDIA_MAX_INPUT: largest source image processed, in bytes.</summary>
    public long MediaMaxInputBytes { get; init; } = 64L << 20;
    /// <summary>--media-max-pixels / XOS_MEDIA_MAX_PIXELS: most pixels a source image may declare (checked before decoding) or a result have.</summary>
    public long MediaMaxPixels { get; init; } = 100_000_000;
    /// <summary>--media-max-output / XOS_MEDIA_MAX_OUTPUT: largest processing result, in bytes.</summary>
    public long MediaMaxOutputBytes { get; init; } = 32L << 20;
    /// <summary>--media-timeout / XOS_MEDIA_TIMEOUT: how long one processing request may take (30s, 500ms; a bare number is seconds).</summary>
    public TimeSpan MediaTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>--media-concurrency / XOS_MEDIA_CONCURRENCY: processing requests run at once (default: the number of cores).</summary>
    public int MediaConcurrency { get; init; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>--media-queue-wait / XOS_MEDIA_QUEUE_WAIT: milliseconds a request waits for a processing slot before 503 SlowDown.</summary>
    public int MediaQueueWaitMs { get; init; } = 2000;
    /// <summary>--media-cache / XOS_MEDIA_CACHE: bytes of processed results kept on disk (0: no cache).</summary>
    public long MediaCacheBytes { get; init; } = 2L << 30;

    public const long MaxObjectSize = 5L * 1024 * 1024 * 1024;
    /// <summary>Objects up to this size are kept in the metadata store with their record instead of in a blob file.</summary>
    public const int MaxInlineObjectSize = 16 * 1024;
    public const long MaxPartSize = 5L * 1024 * 1024 * 1024;
    public const long MinPartSize = 5L * 1024 * 1024;
    public const int MaxPartNumber = 10000;

    public static ServerOptions Parse(string[] args, Func<string, string?> env)
    {
        var o = new ServerOptions();
        string? Flag(string name)
        {
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == name && i + 1 < args.Length) return args[i + 1];
                if (args[i].StartsWith(name + "=", StringComparison.Ordinal)) return args[i][(name.Length + 1)..];
            }
            return null;
        }
        List<string> Flags(string name)
        {
            var values = new List<string>();
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == name && i + 1 < args.Length) values.Add(args[++i]);
                else if (args[i].StartsWith(name + "=", StringComparison.Ordinal)) values.Add(args[i][(name.Length + 1)..]);
            }
            return values;
        }

        var data = Flag("--data") ?? env("XOS_DATA_DIR");
        if (data is not null) o = o with { DataDirectory = data };
        var address = Flag("--address") ?? env("XOS_ADDRESS");
        if (address is not null) o = o with { Address = ParseEndpoint(address) };
        var domains = Flags("--domain");
        if (domains.Count == 0 && env("XOS_DOMAINS") is { } envDomains)
            domains = envDomains.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (domains.Count > 0)
            o = o with { Domains = domains.Select(d => d.Trim().TrimStart('.').ToLowerInvariant()).Append("localhost").Distinct().ToArray() };
        o = o with
        {
            CertificatePath = Flag("--cert") ?? env("XOS_TLS_CERT"),
            CertificatePassword = Flag("--cert-password") ?? env("XOS_TLS_CERT_PASSWORD"),
            RootAccessKey = env("XOS_ROOT_ACCESS_KEY"),
            RootSecretKey = env("XOS_ROOT_SECRET_KEY"),
            Region = Flag("--region") ?? env("XOS_REGION") ?? o.Region,
            JsonLogs = args.Contains("--json-logs") || env("XOS_LOG_FORMAT") == "json",
            AllowInsecureSseC = args.Contains("--allow-insecure-sse-c") || env("XOS_ALLOW_INSECURE_SSE_C") is "true" or "1",
            MinFree = Flag("--min-free") ?? env("XOS_MIN_FREE"),
            MetadataUrl = (Flag("--metadata") ?? env("XOS_METADATA_URL")) is { Length: > 0 } url ? url : null,
            MetricsAddress = (Flag("--metrics-address") ?? env("XOS_METRICS_ADDRESS")) is { Length: > 0 } metrics
                ? ParseEndpoint(metrics, "--metrics-address") : null,
            MediaMaxInputBytes = (Flag("--media-max-input") ?? env("XOS_MEDIA_MAX_INPUT")) is { } mi ? Bench.BenchOptions.ParseSize(mi) : o.MediaMaxInputBytes,
            MediaMaxPixels = (Flag("--media-max-pixels") ?? env("XOS_MEDIA_MAX_PIXELS")) is { } mp ? PositiveInt(mp, "--media-max-pixels") : o.MediaMaxPixels,
            MediaMaxOutputBytes = (Flag("--media-max-output") ?? env("XOS_MEDIA_MAX_OUTPUT")) is { } mo ? Bench.BenchOptions.ParseSize(mo) : o.MediaMaxOutputBytes,
            MediaTimeout = (Flag("--media-timeout") ?? env("XOS_MEDIA_TIMEOUT")) is { } mt ? Duration(mt, "--media-timeout") : o.MediaTimeout,
            MediaConcurrency = (Flag("--media-concurrency") ?? env("XOS_MEDIA_CONCURRENCY")) is { } mc ? (int)PositiveInt(mc, "--media-concurrency") : o.MediaConcurrency,
            MediaQueueWaitMs = (Flag("--media-queue-wait") ?? env("XOS_MEDIA_QUEUE_WAIT")) is { } mq ? (int)PositiveInt(mq, "--media-queue-wait", allowZero: true) : o.MediaQueueWaitMs,
            MediaCacheBytes = (Flag("--media-cache") ?? env("XOS_MEDIA_CACHE")) is { } cache ? (cache.Trim() == "0" ? 0 : Bench.BenchOptions.ParseSize(cache)) : o.MediaCacheBytes,
        };
        if (o.MetricsAddress is { } m && m.Port == o.Address.Port)
            throw new ArgumentException($"--metrics-address {m} must use another port than --address {o.Address}");
        return o;
    }

    /// <summary>A positive duration: "500ms", "30s", "2m", or a bare number of seconds.</summary>
    private static TimeSpan Duration(string text, string flag)
    {
        var t = text.Trim().ToLowerInvariant();
        var (digits, unit) = t.EndsWith("ms") ? (t[..^2], 1.0) : t.EndsWith('s') ? (t[..^1], 1000.0) : t.EndsWith('m') ? (t[..^1], 60_000.0) : (t, 1000.0);
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 && n < 1_000_000_000
            ? TimeSpan.FromMilliseconds(n * unit) : throw new ArgumentException($"{flag} must be a duration such as 30s or 500ms, not '{text}'");
    }

    private static long PositiveInt(string text, string flag, bool allowZero = false) =>
        long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= int.MaxValue * 100L
            && (n > 0 || allowZero)
            ? n : throw new ArgumentException($"{flag} must be a {(allowZero ? "non-negative" : "positive")} whole number, not '{text}'");

    public static IPEndPoint ParseEndpoint(string text, string flag = "--address")
    {
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0) return ep;
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text[(colon + 1)..], out var port))
        {
            var host = text[..colon];
            if (host is "localhost") return new IPEndPoint(IPAddress.Loopback, port);
            if (host is "*" or "0.0.0.0") return new IPEndPoint(IPAddress.Any, port);
            if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return new IPEndPoint(ip, port);
        }
        throw new ArgumentException($"{flag} must be HOST:PORT (an IP address or localhost), not '{text}'");
    }
}
