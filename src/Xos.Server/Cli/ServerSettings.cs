using System.CommandLine;
using System.Globalization;
using Xos.Server.Hosting;

namespace Xos.Server.Cli;

public enum SettingShape
{
    /// <summary>One value: <c>--flag VALUE</c> or <c>--flag=VALUE</c>, or the environment variable.</summary>
    Value,
    /// <summary>Any number of <c>--flag VALUE</c>; the environment variable holds them comma separated.</summary>
    Repeated,
    /// <summary>A flag without a value that turns something on; the environment variable says on or off.</summary>
    Switch,
}

/// <summary>
/// One setting of <c>xos server</c>: its flag (or none: environment only), its environment variable, its default as the
/// README states it, what it means, and how a value is read into <see cref="ServerOptions"/>. <see cref="Apply"/> is the
/// one reader of a value, for the flag and the environment alike; it throws <see cref="ArgumentException"/> on a value it
/// cannot use, and the parser turns that into a one-line refusal before anything starts.
/// </summary>
public sealed record ServerSetting(string? Flag, string? Env, string? ValueName, SettingShape Shape, string Default, string Description,
    Func<ServerOptions, string, ServerOptions> Apply);

/// <summary>Every setting of the server, in the order `xos server --help` and the README's table show them.</summary>
public static class ServerSettings
{
    public static readonly ServerSetting Data = new("--data", "XOS_DATA_DIR", "DIR", SettingShape.Value, "`./data`",
        "the data folder: blobs, the SQLite metadata database, root's credentials and the master key",
        (o, v) => o with { DataDirectory = v.Length > 0 ? v : throw new ArgumentException("must name a folder") });

    public static readonly ServerSetting Metadata = new("--metadata", "XOS_METADATA_URL", "URL", SettingShape.Value,
        "SQLite in the data folder",
        "`postgres://USER:PASSWORD@HOST:PORT/DB` (or a Unix-socket URL): metadata in PostgreSQL, shared by any number of gateways on the same data folder; see [docs/deployment.md](docs/deployment.md)",
        (o, v) => o with
        {
            MetadataUrl = v.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? v : throw new ArgumentException("must be a postgres:// URL"),
        });

    public static readonly ServerSetting Blobs = new("--blobs", "XOS_BLOBS", "URL", SettingShape.Value, "the data folder's `blobs/`",
        "`rados://POOL?conf=/etc/ceph/ceph.conf&id=xos` (also `keyring=PATH`, `timeout=SECONDS` (default 30), `namespace=NAME`): object bodies in a Ceph RADOS pool through librados, in RADOS objects of 4 MiB, so gateways share only PostgreSQL and the cluster; see [docs/deployment.md](docs/deployment.md#ceph-rados)",
        (o, v) =>
        {
            Storage.Rados.RadosBlobsUrl.Parse(v); // refuses a wrong URL before anything starts
            return o with { BlobsUrl = v };
        });

    public static readonly IReadOnlyList<ServerSetting> All =
    [
        Data,
        new("--address", "XOS_ADDRESS", "HOST:PORT", SettingShape.Value, "`127.0.0.1:9000`", "where the S3 API and the web console listen",
            (o, v) => o with { Address = ServerOptions.ParseEndpoint(v) }),
        new("--domain", "XOS_DOMAINS", "NAME", SettingShape.Repeated, "`localhost` (always included)",
            "a domain under which `BUCKET.DOMAIN` is virtual-hosted addressing (repeatable; the variable comma separated)",
            (o, v) => o with { Domains = o.Domains.Where(d => d != "localhost").Append(ServerOptions.ParseDomain(v)).Append("localhost").Distinct().ToArray() }),
        new("--cert", "XOS_TLS_CERT", "FILE.pfx", SettingShape.Value, "none: plain HTTP", "serve HTTPS with this PKCS#12 certificate",
            (o, v) => o with { CertificatePath = File.Exists(v) ? v : throw new ArgumentException($"no such file '{v}'") }),
        new("--cert-password", "XOS_TLS_CERT_PASSWORD", "PASSWORD", SettingShape.Value, "none", "the certificate's password",
            (o, v) => o with { CertificatePassword = v }),
        new("--region", "XOS_REGION", "NAME", SettingShape.Value, "`us-east-1`", "the region GetBucketLocation reports for buckets created without a LocationConstraint",
            (o, v) => o with { Region = v.Length > 0 ? v : throw new ArgumentException("must not be empty") }),
        Metadata,
        Blobs,
        new("--json-logs", "XOS_LOG_FORMAT", null, SettingShape.Switch, "single-line text logs",
            "logs as JSON lines (the variable: `json` or `text`); text logs are one line per request, `METHOD BUCKET KEY STATUS in=BYTES out=BYTES MSms REQUEST-ID`, the bytes really received and sent, ` aborted` when the client went away",
            (o, v) => o with { JsonLogs = v.ToLowerInvariant() switch { "json" or "true" => true, "text" or "false" => false, _ => throw new ArgumentException("must be json or text") } }),
        new("--allow-insecure-sse-c", "XOS_ALLOW_INSECURE_SSE_C", null, SettingShape.Switch, "off",
            "accept SSE-C keys over plain HTTP (S3 refuses them there, as the key travels in the request); for tests and local use only",
            (o, v) => o with { AllowInsecureSseC = Bool(v) }),
        new("--min-free", "XOS_MIN_FREE", "SIZE|N%", SettingShape.Value, "256 MiB, at most 5% of the filesystem",
            "writes that would leave less free space on the data folder's filesystem (with `--blobs rados://`, in the pool: `ceph df`'s MAX AVAIL or what its quota leaves) (a size such as `2g`, a share such as `5%`, `0` for none) are refused with `507 InsufficientStorage`, which SDKs do not retry, so the metadata database always has room; reads go on, `/health/ready` says why and the log warns. A disk that fills anyway is answered the same way",
            (o, v) => o with { MinFree = Storage.Files.FreeSpaceGuard.CheckReserve(v) }),
        new("--metrics-address", "XOS_METRICS_ADDRESS", "HOST:PORT", SettingShape.Value, "none",
            "serve `GET /metrics` in Prometheus' format on a listener of its own, without S3 authentication, so give it an address only the monitoring system reaches; see [docs/deployment.md](docs/deployment.md#metrics)",
            (o, v) => o with { MetricsAddress = ServerOptions.ParseEndpoint(v) }),
        new("--media-max-input", "XOS_MEDIA_MAX_INPUT", "SIZE", SettingShape.Value, "`64m`",
            "largest source image processed (`x-xos-process`); larger ones answer `400 InvalidArgument`. Video sources are read by ffmpeg where they lie and are not bounded by it",
            (o, v) => o with { MediaMaxInputBytes = Bench.BenchOptions.ParseSize(v) }),
        new("--media-max-pixels", "XOS_MEDIA_MAX_PIXELS", "N", SettingShape.Value, "100000000",
            "most pixels a source image may declare (read from its header before any pixel is decoded, so a decompression bomb is refused at once) and a result may have; also at most 30000 pixels a side in, 16384 out",
            (o, v) => o with { MediaMaxPixels = Whole(v, 1) }),
        new("--media-max-output", "XOS_MEDIA_MAX_OUTPUT", "SIZE", SettingShape.Value, "`32m`", "largest processing result",
            (o, v) => o with { MediaMaxOutputBytes = Bench.BenchOptions.ParseSize(v) }),
        new("--media-timeout", "XOS_MEDIA_TIMEOUT", "DURATION", SettingShape.Value, "`30s`",
            "time limit of one processing request (`500ms`, `2m`; a bare number is seconds); past it libvips is stopped, ffmpeg killed, and the answer is `400 RequestTimeout`",
            (o, v) => o with { MediaTimeout = Duration(v) }),
        new("--media-concurrency", "XOS_MEDIA_CONCURRENCY", "N", SettingShape.Value, "the number of cores",
            "processing requests run at once; more wait `--media-queue-wait`, then get `503 SlowDown`",
            (o, v) => o with { MediaConcurrency = (int)Whole(v, 1, 4096) }),
        new("--media-queue-wait", "XOS_MEDIA_QUEUE_WAIT", "MS", SettingShape.Value, "2000", "milliseconds a processing request waits for a slot",
            (o, v) => o with { MediaQueueWaitMs = (int)Whole(v, 0, 600_000) }),
        new("--media-cache", "XOS_MEDIA_CACHE", "SIZE", SettingShape.Value, "`2g`",
            "bytes of processed results kept in `DATA/media/cache`, least recently used evicted first; `0` turns the cache off. Results of encrypted sources are stored sealed under a key of their own (wrapped by the master key), SSE-C results never",
            (o, v) => o with { MediaCacheBytes = v.Trim() == "0" ? 0 : Bench.BenchOptions.ParseSize(v) }),
        new("--object-cache", "XOS_OBJECT_CACHE", "SIZE", SettingShape.Value, "`256m`",
            "bytes of memory for hot small objects (see `--object-cache-max-object`) and their metadata, least recently used evicted first; `0` turns it off. With SQLite a hit reads neither the database nor a file; with PostgreSQL every read still reads the object's row, and the cache spares the file. encrypted objects' bodies are never kept (an inline one's row holds its sealed bytes, decrypted per request); see [docs/reliability.md](docs/reliability.md#object-cache)",
            (o, v) => o with { ObjectCacheBytes = v.Trim() == "0" ? 0 : Bench.BenchOptions.ParseSize(v) }),
        new("--object-cache-max-object", "XOS_OBJECT_CACHE_MAX_OBJECT", "SIZE", SettingShape.Value, "`64k`",
            "the largest object `--object-cache` keeps (at most `16m`)",
            (o, v) => o with { ObjectCacheMaxObjectBytes = (int)CacheObjectSize(v) }),
        new("--notify-queue-limit", "XOS_NOTIFY_QUEUE_LIMIT", "EVENTS", SettingShape.Value, "1000000",
            "undelivered events beyond which the notification queue counts as full: a loud warning, a metric and a `/health/ready` detail; nothing is dropped",
            (o, v) => o with { NotifyQueueLimit = Whole(v, 1) }),
        new("--notify-refuse-when-full", "XOS_NOTIFY_REFUSE_WHEN_FULL", null, SettingShape.Switch, "off",
            "while the notification queue is full, answer `503 SlowDown` to writes that would queue events",
            (o, v) => o with { NotifyRefuseWhenFull = Bool(v) }),
        new("--notify-max-backoff", "XOS_NOTIFY_MAX_BACKOFF", "DURATION", SettingShape.Value, "30s",
            "the longest wait between retries of a notification target that is down (`30s`, `2m`; a bare number is seconds)",
            (o, v) => o with { NotifyMaxBackoffSeconds = Duration(v).TotalSeconds }),
        new(null, "XOS_NOTIFY_<KIND>_<NAME>", "ADDRESS [KEY=VALUE ...]", SettingShape.Value, "none",
            "creates or updates the notification target NAME of KIND (`WEBHOOK`, `REDIS`, `NATS`, `AMQP`) at start-up, e.g. `XOS_NOTIFY_WEBHOOK_INDEXER=http://10.0.0.5:8080/events`; its ARN is `arn:xos:sqs::NAME:kind` (docs/deployment.md lists each kind's settings)",
            (o, _) => o),
        new(null, "XOS_ROOT_ACCESS_KEY", "KEY", SettingShape.Value, "generated on first start and kept in `DATA/root-credentials.json`",
            "root's access key (with `XOS_ROOT_SECRET_KEY`). Setting them (to another key) rotates root's key at the next start; `xos admin root rotate` rotates it at once; nothing else ever changes it",
            (o, v) => o with { RootAccessKey = v }),
        new(null, "XOS_ROOT_SECRET_KEY", "SECRET", SettingShape.Value, "as above", "root's secret key",
            (o, v) => o with { RootSecretKey = v }),
        new(null, "XOS_MASTER_KEY", "BASE64", SettingShape.Value, "generated on first start and kept in `DATA/master.key`",
            "base64 of 32 bytes: the key that seals every object key (back it up: encrypted objects cannot be read without it)",
            (o, v) => o with { MasterKey = Convert.TryFromBase64String(v.Trim(), new byte[32], out var n) && n == 32 ? v.Trim() : throw new ArgumentException("must be base64 of 32 bytes") }),
        new(null, "XOS_SM4", "auto|gfni512|gfni256|libgcrypt|bouncycastle", SettingShape.Value,
            "`auto`: XOS's own GFNI + AVX-512 code, else GFNI + AVX2, else libgcrypt, else BouncyCastle, by what the machine has (the banner's `SM4 cipher` line says which)",
            "which SM4-GCM implementation seals and opens SM4 objects; one named that the machine cannot run gives way to the next in that order, and the banner says so. All write the same bytes",
            (o, v) => v.Trim().ToLowerInvariant() is "auto" or "gfni512" or "gfni256" or "libgcrypt" or "bouncycastle" or "managed"
                ? o : throw new ArgumentException($"must be auto, gfni512, gfni256, libgcrypt or bouncycastle, not '{v}'")),
        new(null, "XOS_KMS_KEYS", "NAME[:SM4],...", SettingShape.Value, "none",
            "keys of the built-in key service (SSE-KMS) to create at start-up when missing (AES256 unless `:SM4`)",
            (o, v) => o with { KmsKeys = v }),
        new(null, "XOS_ACCESS_LOG_INTERVAL_SECONDS", "SECONDS", SettingShape.Value, "60",
            "how often server access log records are delivered into their target buckets (also when 10,000 wait, and at shutdown)",
            (o, v) => o with { AccessLogInterval = Seconds(v) }),
        new(null, "XOS_CONSOLE_IDLE_SECONDS", "SECONDS", SettingShape.Value, "1800", "web console sessions end after this long without a request",
            (o, v) => o with { ConsoleIdle = Seconds(v) }),
        new(null, "XOS_CONSOLE_MAX_SECONDS", "SECONDS", SettingShape.Value, "43200 (12 h)", "web console sessions end this long after sign-in at the latest",
            (o, v) => o with { ConsoleLifetime = Seconds(v) }),
        new(null, "XOS_DIRECT_WRITES", "1|0", SettingShape.Value, "1 where the data folder's filesystem takes it (the start-up banner says which)",
            "bodies of 8 MiB and more are written with O_DIRECT, from the request's buffers to the disk without a copy into the page cache; `0` writes everything through the page cache",
            (o, v) => o with { DirectWrites = Bool(v) }),
        new(null, "XOS_LIFECYCLE_DAY_SECONDS", "SECONDS", SettingShape.Value, "86400", "how long a lifecycle day is; shorten it (with the next one) to watch rules act",
            (o, v) => o with { LifecycleDay = Seconds(v) }),
        new(null, "XOS_LIFECYCLE_INTERVAL_SECONDS", "SECONDS", SettingShape.Value, "a day/24, from 1 s to 1 h", "how often the lifecycle worker runs",
            (o, v) => o with { LifecycleInterval = Seconds(v) }),
    ];

    private static bool Bool(string v) => v.ToLowerInvariant() switch
    {
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => throw new ArgumentException($"must be true or false (1 or 0), not '{v}'"),
    };

    private static long CacheObjectSize(string v) =>
        Bench.BenchOptions.ParseSize(v) is var n and >= 1 and <= 16L << 20 ? n : throw new ArgumentException($"must be a size from 1 to 16m, not '{v}'");

    private static long Whole(string v, long min, long max = long.MaxValue) =>
        long.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : throw new ArgumentException($"must be a whole number from {min}{(max == long.MaxValue ? "" : $" to {max}")}, not '{v}'");

    /// <summary>A positive duration: "500ms", "30s", "2m", or a bare number of seconds.</summary>
    private static TimeSpan Duration(string v)
    {
        var t = v.Trim().ToLowerInvariant();
        var (digits, unit) = t.EndsWith("ms") ? (t[..^2], 1.0) : t.EndsWith('s') ? (t[..^1], 1000.0) : t.EndsWith('m') ? (t[..^1], 60_000.0) : (t, 1000.0);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n < 1_000_000_000
            ? TimeSpan.FromMilliseconds(n * unit) : throw new ArgumentException($"must be a duration such as 30s or 500ms, not '{v}'");
    }

    private static TimeSpan Seconds(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"must be a positive number of seconds, not '{v}'");

    /// <summary>The command-line options of <paramref name="settings"/> (those with a flag), added to <paramref name="command"/>.</summary>
    public static IReadOnlyDictionary<ServerSetting, Option> AddTo(Command command, IEnumerable<ServerSetting> settings, bool recursive = false)
    {
        var options = new Dictionary<ServerSetting, Option>();
        foreach (var s in settings.Where(s => s.Flag is not null))
        {
            var description = $"{Plain(s.Description)} [env: {s.Env}] [default: {Plain(s.Default)}]";
            Option option = s.Shape switch
            {
                SettingShape.Switch => new Option<bool>(s.Flag!) { Description = description, Recursive = recursive },
                SettingShape.Repeated => new Option<string[]>(s.Flag!) { Description = description, HelpName = s.ValueName, Recursive = recursive },
                _ => new Option<string>(s.Flag!) { Description = description, HelpName = s.ValueName, Recursive = recursive },
            };
            if (s.Shape is not SettingShape.Switch)
                option.Validators.Add(result =>
                {
                    foreach (var token in result.Tokens)
                    {
                        try { s.Apply(new ServerOptions(), token.Value); }
                        catch (ArgumentException e) { result.AddError(e.Message); }
                    }
                });
            command.Add(option);
            options[s] = option;
        }
        return options;
    }

    /// <summary>
    /// The options the parse gave, then for every setting not given on the command line its environment variable, read by the
    /// same <see cref="ServerSetting.Apply"/>. A value that cannot be used is a <see cref="CommandLineException"/> naming where it came from.
    /// </summary>
    public static ServerOptions Bind(ParseResult result, IReadOnlyDictionary<ServerSetting, Option> options, IEnumerable<ServerSetting> settings,
        Func<string, string?> env)
    {
        var o = new ServerOptions();
        foreach (var s in settings)
        {
            var option = options.GetValueOrDefault(s);
            var given = option is not null && result.GetResult(option) is { Implicit: false };
            try
            {
                if (given)
                {
                    switch (option)
                    {
                        case Option<bool> flag: o = s.Apply(o, result.GetValue(flag) ? "true" : "false"); break;
                        case Option<string[]> many: foreach (var v in result.GetValue(many) ?? []) o = s.Apply(o, v); break;
                        case Option<string> one: o = s.Apply(o, result.GetValue(one) ?? ""); break;
                    }
                }
                else if (s.Env is not null && env(s.Env) is { Length: > 0 } value)
                {
                    var values = s.Shape is SettingShape.Repeated ? value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [value];
                    foreach (var v in values) o = s.Apply(o, v);
                }
            }
            catch (ArgumentException e)
            {
                throw new CommandLineException($"{(given ? s.Flag : s.Env)}: {e.Message}");
            }
        }
        if (o.MetricsAddress is { } m && m.Port == o.Address.Port)
            throw new CommandLineException($"--metrics-address {m} must use another port than --address {o.Address}");
        return o;
    }

    /// <summary>The README's settings table, generated from <see cref="All"/>; a test keeps the README equal to it.</summary>
    public static string MarkdownTable()
    {
        var lines = new List<string> { "| flag | environment | default | meaning |", "| --- | --- | --- | --- |" };
        foreach (var s in All)
        {
            var flag = s.Flag is null ? "" : s.ValueName is null ? $"`{s.Flag}`" : $"`{s.Flag} {s.ValueName}`";
            var value = s.Flag is null && s.ValueName is not null ? $"`{s.Env}={s.ValueName}`" : $"`{s.Env}`";
            lines.Add($"| {Cell(flag)} | {Cell(value)} | {Cell(s.Default)} | {Cell(s.Description)} |");
        }
        return string.Join('\n', lines) + "\n";
    }

    private static string Cell(string text) => text.Replace("|", "\\|");

    private static string Plain(string markdown) =>
        System.Text.RegularExpressions.Regex.Replace(markdown.Replace("`", ""), @"\[([^\]]*)\]\([^)]*\)", "$1");
}
