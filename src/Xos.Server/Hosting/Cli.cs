namespace Xos.Server.Hosting;

/// <summary>The <c>xos</c> command line: <c>xos server</c> and <c>xos bench</c>.</summary>
public static class Cli
{
    private static readonly string Usage = $"""
        usage:
          xos server [--data DIR] [--address HOST:PORT] [--domain NAME ...] [--cert FILE.pfx [--cert-password P]] [--region NAME] [--json-logs]
                     [--metadata postgres://USER:PASSWORD@HOST:PORT/DB] [--min-free SIZE|N%] [--metrics-address HOST:PORT]
              env: XOS_DATA_DIR, XOS_METADATA_URL, XOS_MIN_FREE, XOS_METRICS_ADDRESS, XOS_ADDRESS, XOS_DOMAINS, XOS_TLS_CERT, XOS_TLS_CERT_PASSWORD, XOS_REGION,
                   XOS_ROOT_ACCESS_KEY, XOS_ROOT_SECRET_KEY, XOS_LOG_FORMAT=json, XOS_CONSOLE_IDLE_SECONDS, XOS_CONSOLE_MAX_SECONDS
        {Admin.AdminCommand.Usage}
          xos bench --endpoint URL [--access-key AK --secret-key SK] [options]   (xos bench --help)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "server":
                return await RunServerAsync(args[1..]);
            case "bench":
                return await Bench.BenchCommand.RunAsync(args[1..]);
            case "admin":
                return await Admin.AdminCommand.RunAsync(args[1..]);
            default:
                Console.Error.WriteLine($"unknown command '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static string StartupProblem(Exception e, ServerOptions options) => e switch
    {
        IOException when e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || e.InnerException is System.Net.Sockets.SocketException
            => $"{options.Address} is already in use by another program",
        UnauthorizedAccessException => $"the data folder {options.DataDirectory} is not writable ({e.Message})",
        Microsoft.Data.Sqlite.SqliteException sqlite => $"the metadata database in {options.DataDirectory} cannot be used: {sqlite.Message}",
        System.Data.Common.DbException db => $"the metadata database {Storage.Postgres.PostgresDatabase.Redact(options.MetadataUrl ?? "")} cannot be used: {db.Message}",
        Storage.Sql.SchemaTooNewException => e.Message,
        System.Security.Cryptography.CryptographicException => $"the TLS certificate {options.CertificatePath} cannot be loaded: {e.Message}",
        _ => e.Message,
    };

    private static async Task<int> RunServerAsync(string[] args)
    {
        ServerOptions options;
        try
        {
            options = ServerOptions.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        options = options with { DataDirectory = Path.GetFullPath(options.DataDirectory) };
        WebApplication app;
        try
        {
            Directory.CreateDirectory(options.DataDirectory);
            app = await ServerHost.BuildAsync(options);
            await app.StartAsync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException
                                      or System.Security.Cryptography.CryptographicException or System.Data.Common.DbException or Storage.Sql.SchemaTooNewException
                                      or System.Text.Json.JsonException or ArgumentException)
        {
            // Whatever stops the server from starting is one line and a non-zero exit, never a stack trace.
            Console.Error.WriteLine($"xos: cannot start: {StartupProblem(e, options)}");
            return 1;
        }
        var root = app.Services.GetRequiredService<RootCredentials>();
        var scheme = options.CertificatePath is null ? "http" : "https";
        Console.WriteLine($"XOS listening on {scheme}://{options.Address}");
        var store = app.Services.GetRequiredService<Storage.IMetadataStore>();
        var blobs = app.Services.GetRequiredService<Storage.IBlobStore>() as Storage.Files.FileBlobStore;
        Console.WriteLine($"  data folder : {options.DataDirectory} (file blobs; bodies of 8 MiB and more {(blobs?.WritesDirect == true ? "written with O_DIRECT" : "written through the page cache: the filesystem refuses O_DIRECT")})");
        Console.WriteLine($"  metadata    : {((Storage.Sql.SqlMetadataStore)store).Description}");
        Console.WriteLine($"  domains     : {string.Join(", ", options.Domains)} (virtual-hosted: <bucket>.{options.Domains[0]}:{options.Address.Port})");
        Console.WriteLine($"  SM4 cipher  : {Storage.Encryption.Sm4Gcm.Implementation}");
        var video = Media.VideoTools.Find();
        Console.WriteLine($"  media       : images {(Media.MediaProcessor.LibvipsVersion is { } vips ? $"by libvips {vips}" : $"unavailable ({Media.MediaProcessor.LibvipsError})")}; " +
            $"video {(video.Available ? $"by {video.Ffmpeg}" : "unavailable: ffmpeg/ffprobe not found on PATH (video/* answers 501)")}");
        Console.WriteLine($"  web console : {scheme}://{options.Address}{WebConsole.ConsoleEndpoint.Prefix}/ (sign in with an access key and secret)");
        if (options.MetricsAddress is { } metrics) Console.WriteLine($"  metrics     : http://{metrics}/metrics (Prometheus, no authentication)");
        Console.WriteLine($"  access key  : {root.AccessKey}");
        Console.WriteLine(root.FromEnvironment
            ? "  secret key  : (from XOS_ROOT_SECRET_KEY)"
            : $"  secret key  : {root.SecretKey}   (kept in {Path.Combine(options.DataDirectory, RootCredentials.FileName)})");
        // The store was created outside the container, which therefore does not dispose it; close it after the last request.
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        store.Dispose();
        return 0;
    }
}
