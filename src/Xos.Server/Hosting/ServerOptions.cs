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
            NotifyQueueLimit = (Flag("--notify-queue-limit") ?? env("XOS_NOTIFY_QUEUE_LIMIT")) is { } limit
                ? long.TryParse(limit, out var l) && l > 0 ? l : throw new ArgumentException($"--notify-queue-limit must be a positive number of events, not '{limit}'")
                : o.NotifyQueueLimit,
            NotifyRefuseWhenFull = args.Contains("--notify-refuse-when-full") || env("XOS_NOTIFY_REFUSE_WHEN_FULL") is "true" or "1",
            NotifyMaxBackoffSeconds = (Flag("--notify-max-backoff") ?? env("XOS_NOTIFY_MAX_BACKOFF")) is { } backoff
                ? double.TryParse(backoff.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture, out var b) && b > 0 ? b
                    : throw new ArgumentException($"--notify-max-backoff must be a positive number of seconds, not '{backoff}'")
                : o.NotifyMaxBackoffSeconds,
        };
        if (o.MetricsAddress is { } m && m.Port == o.Address.Port)
            throw new ArgumentException($"--metrics-address {m} must use another port than --address {o.Address}");
        return o;
    }

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
