using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Numerics;
using Xos.Server.Bench;

namespace Xos.Server.Cli;

/// <summary>
/// `xos bench`: a run against any S3 endpoint (its options), and `compare`, `report`, `ceiling` and `cipher`.
/// Every value is checked by the parser, so a run never starts on a misspelt workload or size.
/// </summary>
public static class BenchCli
{
    private sealed record RunOptions(Option<string> Endpoint, Option<string> AccessKey, Option<string> SecretKey, Option<string> Region,
        Option<string> Bucket, Option<int> Concurrency, Option<double> Duration, Option<long> Ops, Option<string> Workloads, Option<int> ListKeys,
        Option<string> Json, Option<string> Html, Option<string> Sse, Option<bool> NoProgress, Option<string> MediaFiles);

    public const string DefaultWorkloads = "put-4k,get-4k,put-1m,get-1m,put-64m,get-64m,list";

    public static Command Command(Func<string, string?> env)
    {
        var bench = new Command("bench", "Benchmark any S3 endpoint: PUT and GET of objects of several sizes and listing, with N clients");
        var run = AddRunOptions(bench);
        bench.SetAction((r, ct) => BenchCommand.RunAsync(Bind(r, run, env), ct));

        var runs = new Argument<string[]>("RUN.json") { Description = "runs saved with --json", Arity = new ArgumentArity(2, 100) };
        var compare = new Command("compare", "Runs saved with --json side by side, per workload, with ratios to the first") { runs };
        compare.SetAction(r => BenchCompare.RunAsync(r.GetValue(runs)!));
        bench.Add(compare);

        var html = new Argument<string>("REPORT.html") { Description = "the HTML file to write" };
        var reportRuns = new Argument<string[]>("RUN.json") { Description = "runs saved with --json", Arity = ArgumentArity.OneOrMore };
        var report = new Command("report", "Runs saved with --json as charts in one HTML file") { html, reportRuns };
        report.SetAction(r => BenchHtml.RunAsync(r.GetValue(html)!, r.GetValue(reportRuns)!));
        bench.Add(report);

        var listen = new Option<IPEndPoint>("--listen")
        {
            HelpName = "HOST:PORT", Description = "where to listen (an IP address and a port)", Required = true,
            CustomParser = a => IPEndPoint.TryParse(a.Tokens[0].Value, out var e) && e.Port != 0 ? e : Fail<IPEndPoint>(a, $"must be IP:PORT, not '{a.Tokens[0].Value}'"),
        };
        var ceilingSize = SizeOption("--size", "the body of every GET (at most 64m) [default: 4k]", 1, 64L << 20);
        var ceiling = new Command("ceiling", "The least an ASP.NET Core server can do per request: Kestrel answering every GET with SIZE bytes from memory") { listen, ceilingSize };
        ceiling.SetAction(r => BenchCeiling.RunAsync(r.GetValue(listen)!, SizeOf(r, ceilingSize, "4k")));
        bench.Add(ceiling);

        var cipherSize = SizeOption("--size", "how much to seal and open (64k to 4g) [default: 256m]", Storage.Encryption.ChunkCipher.ChunkSize, 4L << 30);
        var cipher = new Command("cipher", "How fast this machine seals and opens objects with AES256 and SM4, in XOS's chunk format, on one thread") { cipherSize };
        cipher.SetAction(r => BenchCipher.Run(SizeOf(r, cipherSize, "256m")));
        bench.Add(cipher);
        return bench;
    }

    /// <summary>The options of `xos bench ARGS` (a run), or an <see cref="ArgumentException"/> with the line `xos` would print.</summary>
    public static BenchOptions ParseRun(string[] args, Func<string, string?> env)
    {
        var bench = new Command("bench");
        var run = AddRunOptions(bench);
        var result = new RootCommand { bench }.Parse(["bench", .. args]);
        if (result.Errors.Count > 0) throw new ArgumentException(CommandLineErrors.Describe(result));
        try
        {
            return Bind(result, run, env);
        }
        catch (CommandLineException e)
        {
            throw new ArgumentException(e.Message);
        }
    }

    private static T Fail<T>(ArgumentResult a, string message)
    {
        a.AddError(message);
        return default!;
    }

    /// <summary>
    /// A size option. Its default is applied by <see cref="SizeOf"/>, not by a default-value factory, so that help shows it
    /// once and as written (`4k`) rather than a second time in bytes.
    /// </summary>
    private static Option<long> SizeOption(string name, string description, long min, long max) => new(name)
    {
        HelpName = "SIZE",
        Description = description,
        CustomParser = a =>
        {
            try
            {
                var size = BenchOptions.ParseSize(a.Tokens[0].Value);
                return size >= min && size <= max ? size : Fail<long>(a, $"must be from {min} to {max} bytes, not '{a.Tokens[0].Value}'");
            }
            catch (ArgumentException e)
            {
                return Fail<long>(a, e.Message);
            }
        },
    };

    private static long SizeOf(ParseResult result, Option<long> option, string fallback) =>
        result.GetResult(option) is null ? BenchOptions.ParseSize(fallback) : result.GetValue(option);

    /// <summary>A positive number; help shows its default from the default-value factory.</summary>
    private static Option<T> Positive<T>(string name, string valueName, string description, T fallback) where T : INumber<T>, IParsable<T> => new(name)
    {
        HelpName = valueName,
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = a => T.TryParse(a.Tokens[0].Value, CultureInfo.InvariantCulture, out var v) && v > T.Zero ? v
            : Fail<T>(a, $"must be a positive number, not '{a.Tokens[0].Value}'"),
    };

    private static RunOptions AddRunOptions(Command bench)
    {
        var endpoint = new Option<string>("--endpoint") { HelpName = "URL", Description = "any S3 endpoint (path-style requests, Signature V4)" };
        endpoint.Validators.Add(r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) r.AddError($"must be an http:// or https:// URL, not '{text}'");
        });
        var workloads = new Option<string>("--workloads") { HelpName = "LIST", Description = $"put-SIZE, get-SIZE, list; notify-SIZE (PUTs without, then with event notifications to a webhook inside the bench; root's keys, server on this host); thumbnail, thumbnail-cached (a 12-megapixel JPEG to 256 pixels, new pipelines each time or the cached one), snapshot (a frame of a 720p video); comma separated [default: {DefaultWorkloads}]" };
        workloads.Validators.Add(r =>
        {
            try { ParseWorkloads(r.GetValueOrDefault<string>()); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });
        var sse = new Option<string>("--sse")
        {
            HelpName = "ALGORITHM",
            Description = "write every object encrypted: AES256, SM4 or aws:kms (x-amz-server-side-encryption), or SSE-C (a customer key made for the run; XOS needs HTTPS or --allow-insecure-sse-c)",
        };
        sse.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, "AES256", "SM4", "aws:kms", "SSE-C");
        var options = new RunOptions(endpoint,
            new Option<string>("--access-key") { HelpName = "AK", Description = "[default: XOS_ROOT_ACCESS_KEY or AWS_ACCESS_KEY_ID]" },
            new Option<string>("--secret-key") { HelpName = "SK", Description = "[default: XOS_ROOT_SECRET_KEY or AWS_SECRET_ACCESS_KEY]" },
            new Option<string>("--region") { HelpName = "NAME", Description = "signing region [default: us-east-1]" },
            new Option<string>("--bucket") { HelpName = "NAME", Description = "use this bucket [default: a fresh one, removed afterwards with everything in it]" },
            Positive("--concurrency", "N", "parallel clients", 8),
            Positive("--duration", "SECONDS", "time per workload", 10.0),
            new Option<long>("--ops") { HelpName = "N", Description = "stop a workload after N operations",
                CustomParser = a => long.TryParse(a.Tokens[0].Value, out var n) && n > 0 ? n : Fail<long>(a, $"must be a positive integer, not '{a.Tokens[0].Value}'") },
            workloads,
            Positive("--list-keys", "N", "keys created for the list workload", 10000),
            new Option<string>("--json") { HelpName = "FILE", Description = "also write the results as JSON (per-second throughput and a latency histogram)" },
            new Option<string>("--html") { HelpName = "FILE", Description = "also write the results as an HTML report with charts" },
            sse,
            new Option<bool>("--no-progress") { Description = "no progress line on stderr (there is none anyway when stdout or stderr is not a terminal)" },
            new Option<string>("--media-files") { HelpName = "DIR", Description = $"where the media workloads keep their sources ({BenchMedia.Photo}, {BenchMedia.Video}; made when missing) [default: a folder in the temp folder]" });
        foreach (var o in new Option[] { options.Endpoint, options.AccessKey, options.SecretKey, options.Region, options.Bucket, options.Concurrency, options.Duration,
                     options.Ops, options.Workloads, options.ListKeys, options.Json, options.Html, options.Sse, options.NoProgress, options.MediaFiles })
            bench.Add(o);
        return options;
    }

    private static List<Workload> ParseWorkloads(string? list) =>
        (list ?? DefaultWorkloads).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Workload.Parse).ToList();

    private static BenchOptions Bind(ParseResult r, RunOptions o, Func<string, string?> env)
    {
        var endpoint = r.GetValue(o.Endpoint) ?? throw new CommandLineException("xos bench needs --endpoint URL (see 'xos bench --help')");
        var sse = r.GetValue(o.Sse);
        return new BenchOptions
        {
            Endpoint = new Uri(endpoint),
            AccessKey = r.GetValue(o.AccessKey) ?? env("XOS_ROOT_ACCESS_KEY") ?? env("AWS_ACCESS_KEY_ID")
                ?? throw new CommandLineException("xos bench needs --access-key (or XOS_ROOT_ACCESS_KEY or AWS_ACCESS_KEY_ID)"),
            SecretKey = r.GetValue(o.SecretKey) ?? env("XOS_ROOT_SECRET_KEY") ?? env("AWS_SECRET_ACCESS_KEY")
                ?? throw new CommandLineException("xos bench needs --secret-key (or XOS_ROOT_SECRET_KEY or AWS_SECRET_ACCESS_KEY)"),
            Region = r.GetValue(o.Region) ?? "us-east-1",
            Bucket = r.GetValue(o.Bucket),
            Concurrency = r.GetValue(o.Concurrency),
            Duration = TimeSpan.FromSeconds(r.GetValue(o.Duration)),
            MaxOps = r.GetResult(o.Ops) is null ? null : r.GetValue(o.Ops),
            Workloads = ParseWorkloads(r.GetValue(o.Workloads)),
            ListKeys = r.GetValue(o.ListKeys),
            JsonPath = r.GetValue(o.Json),
            HtmlPath = r.GetValue(o.Html),
            Progress = !r.GetValue(o.NoProgress),
            MediaFiles = r.GetValue(o.MediaFiles),
            ServerSideEncryption = sse is null ? null
                : sse.Equals("SSE-C", StringComparison.OrdinalIgnoreCase) ? "SSE-C"
                : sse.Equals("aws:kms", StringComparison.OrdinalIgnoreCase) ? "aws:kms" : sse.ToUpperInvariant(),
        };
    }
}
