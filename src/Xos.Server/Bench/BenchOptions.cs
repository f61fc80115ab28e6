using System.Globalization;

namespace Xos.Server.Bench;

/// <summary>One workload of the benchmark: PUT or GET of objects of one size, or listing a large bucket.</summary>
public sealed record Workload(string Name, string Kind, long ObjectSize)
{
    public static Workload Parse(string name)
    {
        if (name == "list") return new Workload(name, "list", 0);
        var dash = name.IndexOf('-');
        if (dash < 0) throw new ArgumentException($"unknown workload '{name}' (use put-SIZE, get-SIZE or list)");
        var kind = name[..dash];
        if (kind is not ("put" or "get" or "notify")) throw new ArgumentException($"unknown workload '{name}' (use put-SIZE, get-SIZE, notify-SIZE or list)");
        return new Workload(name, kind, BenchOptions.ParseSize(name[(dash + 1)..]));
    }
}

public sealed record BenchOptions
{
    public required Uri Endpoint { get; init; }
    public required string AccessKey { get; init; }
    public required string SecretKey { get; init; }
    public string Region { get; init; } = "us-east-1";
    public string? Bucket { get; init; }
    public int Concurrency { get; init; } = 8;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public long? MaxOps { get; init; }
    public IReadOnlyList<Workload> Workloads { get; init; } = [];
    public int ListKeys { get; init; } = 10000;
    public string? JsonPath { get; init; }
    public string? HtmlPath { get; init; }
    public bool Progress { get; init; } = true;
    /// <summary>
    /// How every object the run writes is encrypted, to measure encrypted I/O: AES256, SM4 or aws:kms (x-amz-server-side-encryption),
    /// or SSE-C (a customer key made for the run, sent on every write and read).
    /// </summary>
    public string? ServerSideEncryption { get; init; }

    private readonly byte[] _customerKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    /// <summary>The encryption headers of a write (<paramref name="write"/>) or a read under <see cref="ServerSideEncryption"/>.</summary>
    public IReadOnlyList<(string Name, string Value)> EncryptionHeaders(bool write) => ServerSideEncryption switch
    {
        null => [],
        "SSE-C" =>
        [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", Convert.ToBase64String(_customerKey)),
            ("x-amz-server-side-encryption-customer-key-MD5", Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(_customerKey))),
        ],
        var algorithm => write ? [("x-amz-server-side-encryption", algorithm)] : [],
    };

    public const string Usage = """
        usage: xos bench --endpoint URL [--access-key AK --secret-key SK] [options]
               xos bench --compare FIRST.json SECOND.json [MORE.json ...]   (runs saved with --json, side by side, with ratios)
               xos bench --html REPORT.html RUN.json [MORE.json ...]         (the same runs as charts in one HTML file)
          --endpoint URL        any S3 endpoint (path-style requests, Signature V4)
          --access-key, --secret-key
                                default: XOS_ROOT_ACCESS_KEY/XOS_ROOT_SECRET_KEY or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
          --region NAME         signing region (default us-east-1)
          --bucket NAME         use this bucket (default: a fresh one, removed afterwards with everything in it)
          --concurrency N       parallel clients (default 8)
          --duration SECONDS    time per workload (default 10)
          --ops N               stop a workload after N operations
          --workloads LIST      default put-4k,get-4k,put-1m,get-1m,put-64m,get-64m,list; notify-SIZE: PUTs without,
                                then with event notifications to a webhook inside the bench (root's keys, server on this host)
          --list-keys N         keys created for the list workload (default 10000)
          --json FILE           also write the results as JSON (with per-second throughput and a latency histogram)
          --html FILE           also write the results as an HTML report with charts
          --sse ALGORITHM       write every object encrypted: AES256, SM4 or aws:kms (x-amz-server-side-encryption), or
                                SSE-C (a customer key made for the run; XOS needs HTTPS or --allow-insecure-sse-c)
          --no-progress         no progress line on stderr (there is none anyway when stdout or stderr is not a terminal)
        """;

    /// <summary>Sizes such as 4k, 1m, 64m, 1g (binary units), or a plain byte count.</summary>
    public static long ParseSize(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        long unit = 1;
        if (t.EndsWith("kib") || t.EndsWith("kb") || t.EndsWith('k')) unit = 1 << 10;
        else if (t.EndsWith("mib") || t.EndsWith("mb") || t.EndsWith('m')) unit = 1 << 20;
        else if (t.EndsWith("gib") || t.EndsWith("gb") || t.EndsWith('g')) unit = 1 << 30;
        var digits = t.TrimEnd('b', 'i', 'k', 'm', 'g');
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new ArgumentException($"'{text}' is not a size (examples: 4k, 1m, 64m)");
        return checked(n * unit);
    }

    public static BenchOptions Parse(string[] args, Func<string, string?> env)
    {
        var values = new Dictionary<string, string>();
        var progress = true;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--no-progress") { progress = false; continue; }
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'");
            var eq = a.IndexOf('=');
            if (eq > 0) values[a[2..eq]] = a[(eq + 1)..];
            else if (i + 1 < args.Length) values[a[2..]] = args[++i];
            else throw new ArgumentException($"{a} needs a value");
        }
        string? Get(string name) => values.Remove(name, out var v) ? v : null;
        int PositiveInt(string name, int fallback)
        {
            var v = Get(name);
            if (v is null) return fallback;
            return int.TryParse(v, out var n) && n > 0 ? n : throw new ArgumentException($"--{name} must be a positive integer");
        }

        var endpointText = Get("endpoint") ?? throw new ArgumentException("--endpoint is required");
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException("--endpoint must be an http:// or https:// URL");
        var accessKey = Get("access-key") ?? env("XOS_ROOT_ACCESS_KEY") ?? env("AWS_ACCESS_KEY_ID") ?? throw new ArgumentException("--access-key is required");
        var secretKey = Get("secret-key") ?? env("XOS_ROOT_SECRET_KEY") ?? env("AWS_SECRET_ACCESS_KEY") ?? throw new ArgumentException("--secret-key is required");
        var durationText = Get("duration");
        var duration = durationText is null ? TimeSpan.FromSeconds(10)
            : double.TryParse(durationText, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && secs > 0 ? TimeSpan.FromSeconds(secs)
            : throw new ArgumentException("--duration must be a positive number of seconds");
        long? ops = Get("ops") is { } opsText ? long.TryParse(opsText, out var o) && o > 0 ? o : throw new ArgumentException("--ops must be a positive integer") : null;
        var workloads = (Get("workloads") ?? "put-4k,get-4k,put-1m,get-1m,put-64m,get-64m,list")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Workload.Parse).ToList();
        var sse = Get("sse");
        var options = new BenchOptions
        {
            Endpoint = endpoint,
            AccessKey = accessKey,
            SecretKey = secretKey,
            Region = Get("region") ?? "us-east-1",
            Bucket = Get("bucket"),
            Concurrency = PositiveInt("concurrency", 8),
            Duration = duration,
            MaxOps = ops,
            Workloads = workloads,
            ListKeys = PositiveInt("list-keys", 10000),
            JsonPath = Get("json"),
            HtmlPath = Get("html"),
            Progress = progress,
            ServerSideEncryption = sse is not null && sse.Equals("SSE-C", StringComparison.OrdinalIgnoreCase) ? "SSE-C" : sse,
        };
        if (values.Count > 0) throw new ArgumentException($"unknown option --{values.Keys.First()}");
        return options;
    }
}
