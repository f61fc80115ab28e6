using System.Globalization;

namespace Xos.Server.Bench;

/// <summary>One workload of the benchmark: PUT or GET of objects of one size, or listing a large bucket.</summary>
public sealed record Workload(string Name, string Kind, long ObjectSize)
{
    public static Workload Parse(string name)
    {
        if (name == "list") return new Workload(name, "list", 0);
        if (BenchMedia.Workloads.Contains(name)) return new Workload(name, "media", 0);
        var dash = name.IndexOf('-');
        if (dash < 0) throw new ArgumentException($"unknown workload '{name}' (use put-SIZE, get-SIZE, notify-SIZE, list, thumbnail, thumbnail-cached or snapshot)");
        var kind = name[..dash];
        if (kind is not ("put" or "get" or "notify")) throw new ArgumentException($"unknown workload '{name}' (use put-SIZE, get-SIZE, notify-SIZE, list, thumbnail, thumbnail-cached or snapshot)");
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
    /// <summary>Where the media workloads keep (and find) their source photo and video; null for a folder in the temp folder.</summary>
    public string? MediaFiles { get; init; }
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
            throw new ArgumentException($"must be a size such as 4k, 1m or 64m, not '{text}'");
        return checked(n * unit);
    }

    /// <summary>The options of `xos bench ARGS` as the command line reads them, <paramref name="env"/> behind the keys.</summary>
    public static BenchOptions Parse(string[] args, Func<string, string?> env) => Cli.BenchCli.ParseRun(args, env);
}
