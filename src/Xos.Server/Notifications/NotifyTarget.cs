using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xos.Server.Notifications;

/// <summary>
/// A destination the administrator configured: its kind (webhook, redis, nats, amqp), its name, and its settings
/// (endpoint, credentials and options, by name). Buckets name it by <see cref="Arn"/>, arn:xos:sqs::NAME:KIND, the form MinIO uses.
/// </summary>
public sealed record NotifyTarget(string Kind, string Name, IReadOnlyDictionary<string, string> Settings, DateTimeOffset Created)
{
    public static readonly string[] Kinds = ["webhook", "redis", "nats", "amqp"];

    /// <summary>Settings that are secrets: stored, used, never shown back.</summary>
    private static readonly string[] SecretSettings = ["token", "secret", "password"];

    /// <summary>The main setting of each kind, the one a bare value (XOS_NOTIFY_WEBHOOK_NAME=URL) sets.</summary>
    public static string MainSetting(string kind) => kind switch
    {
        "webhook" => "endpoint",
        _ => "address",
    };

    /// <summary>The settings each kind takes; anything else is refused so a typing mistake is not silently ignored.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["webhook"] = ["endpoint", "token", "secret", "ca-file", "timeout", "concurrency", "http-version"],
        ["redis"] = ["address", "key", "format", "password", "timeout"],
        ["nats"] = ["address", "subject", "jetstream", "user", "password", "token", "timeout"],
        ["amqp"] = ["address", "exchange", "exchange-type", "routing-key", "durable", "timeout"],
    };

    public string Arn => ArnOf(Name, Kind);

    public static string ArnOf(string name, string kind) => $"arn:xos:sqs::{name}:{kind}";

    public string? Setting(string name) => Settings.TryGetValue(name, out var v) ? v : null;

    /// <summary>The time-out of one delivery (timeout=SECONDS, default 10 s).</summary>
    public TimeSpan Timeout => Setting("timeout") is { } t && double.TryParse(t.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
        ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(10);

    /// <summary>The most events a webhook has in flight at once (concurrency=N, 1 to 256, default 8): always of different keys.</summary>
    public int Concurrency => Setting("concurrency") is { } c && int.TryParse(c, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
        ? n : DefaultConcurrency;

    /// <summary>
    /// The HTTP version a webhook speaks (http-version=): "auto" (the default) lets a TLS endpoint choose HTTP/2 (ALPN)
    /// and speaks HTTP/1.1 to the others; "2" speaks HTTP/2 only, to an http:// endpoint with prior knowledge (h2c);
    /// "1.1" speaks HTTP/1.1 only. With HTTP/2 the events in flight share one connection.
    /// </summary>
    public string HttpVersion => Setting("http-version") ?? "auto";

    private static readonly string[] HttpVersions = ["auto", "2", "1.1"];

    public const int DefaultConcurrency = 8;
    public const int MaxConcurrency = 256;

    /// <summary>The settings as shown to the administrator: secrets replaced by "(set)".</summary>
    public IReadOnlyDictionary<string, string> Redacted =>
        Settings.ToDictionary(kv => kv.Key, kv => SecretSettings.Contains(kv.Key) ? "(set)" : WithoutPassword(kv.Value));

    /// <summary>A URL's password (amqp://user:password@host) masked; other values as they are.</summary>
    private static string WithoutPassword(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        var at = value.IndexOf('@', Math.Max(scheme, 0));
        if (scheme < 0 || at < 0) return value;
        var colon = value.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? value : value[..(colon + 1)] + "(set)" + value[at..];
    }

    /// <summary>A target of <paramref name="kind"/> named <paramref name="name"/>, checked; throws ArgumentException with the reason.</summary>
    public static NotifyTarget Create(string kind, string name, IReadOnlyDictionary<string, string> settings)
    {
        kind = kind.ToLowerInvariant();
        if (!Allowed.TryGetValue(kind, out var allowed)) throw new ArgumentException($"unknown target kind '{kind}' (one of {string.Join(", ", Kinds)})");
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException("a target name is 1 to 64 letters, digits, '-' or '_'");
        foreach (var key in settings.Keys)
            if (!allowed.Contains(key)) throw new ArgumentException($"a {kind} target has no setting '{key}' (it takes {string.Join(", ", allowed)})");
        var main = MainSetting(kind);
        if (!settings.TryGetValue(main, out var value) || value.Length == 0) throw new ArgumentException($"a {kind} target needs {main}=...");
        if (kind == "webhook" && (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new ArgumentException("a webhook endpoint is an http:// or https:// URL");
        if (settings.TryGetValue("concurrency", out var concurrency)
            && (!int.TryParse(concurrency, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > MaxConcurrency))
            throw new ArgumentException($"concurrency is a number of events from 1 to {MaxConcurrency}");
        if (settings.TryGetValue("http-version", out var version) && !HttpVersions.Contains(version))
            throw new ArgumentException($"http-version is one of {string.Join(", ", HttpVersions)}");
        if (settings.TryGetValue("ca-file", out var ca))
        {
            if (!File.Exists(ca)) throw new ArgumentException($"ca-file {ca} does not exist");
            try
            {
                var certificates = CertificatesIn(ca);
                if (certificates.Count == 0) throw new ArgumentException($"ca-file {ca} holds no PEM certificate");
                if (!certificates.Any(IsRoot)) throw new ArgumentException($"ca-file {ca} holds no root certificate (a self-signed one) for the endpoint's chain to end at");
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"ca-file {ca} cannot be read as PEM certificates: {e.Message}");
            }
        }
        return new NotifyTarget(kind, name, new Dictionary<string, string>(settings), DateTimeOffset.UtcNow);
    }

    /// <summary>Whether a certificate is a root, signed by itself: what a chain may end at.</summary>
    public static bool IsRoot(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    /// <summary>The certificates of a PEM file (a CA, or a bundle of them): what a webhook's TLS certificate must chain to.</summary>
    public static X509Certificate2Collection CertificatesIn(string pemFile)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(pemFile);
        return certificates;
    }

    /// <summary>
    /// Settings written as "KEY=VALUE" words (the command line, the environment); a word without '=' is the kind's
    /// main setting (the URL of a webhook, the address of the others).
    /// </summary>
    public static Dictionary<string, string> ParseSettings(string kind, IEnumerable<string> words)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            var eq = word.IndexOf('=');
            // A URL holds '=' in its query: a word that looks like a URL is the main setting.
            if (eq < 0 || word.Contains("://", StringComparison.Ordinal) && word.IndexOf("://", StringComparison.Ordinal) < eq)
                settings[MainSetting(kind.ToLowerInvariant())] = word;
            else settings[word[..eq].Trim().ToLowerInvariant()] = word[(eq + 1)..].Trim();
        }
        return settings;
    }

    public string SettingsJson() => JsonSerializer.Serialize(Settings, TargetJson.Default.IReadOnlyDictionaryStringString);

    public static IReadOnlyDictionary<string, string> SettingsFromJson(string json) =>
        JsonSerializer.Deserialize(json, TargetJson.Default.DictionaryStringString) ?? [];
}

[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TargetJson : JsonSerializerContext;
