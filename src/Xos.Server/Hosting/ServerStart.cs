namespace Xos.Server.Hosting;

/// <summary>`xos server`: starts the server with its options, prints the banner, and runs until SIGTERM or Ctrl+C.</summary>
public static class ServerStart
{
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

    public static async Task<int> RunAsync(ServerOptions options)
    {
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
                                      or System.Text.Json.JsonException or ArgumentException or Admin.AdminException)
        {
            // Whatever stops the server from starting is one line and a non-zero exit, never a stack trace.
            Console.Error.WriteLine($"xos: cannot start: {StartupProblem(e, options)}");
            return 1;
        }
        var root = app.Services.GetRequiredService<RootCredentials>();
        var scheme = options.CertificatePath is null ? "http" : "https";
        Console.WriteLine($"XOS listening on {scheme}://{options.Address}");
        Console.WriteLine($"  version     : {Cli.BuildInfo.Describe}");
        var store = app.Services.GetRequiredService<Storage.IMetadataStore>();
        var blobs = app.Services.GetRequiredService<Storage.IBlobStore>();
        if (blobs is Storage.Rados.RadosBlobStore rados)
            Console.WriteLine($"  data folder : {options.DataDirectory}\n  blobs       : {rados.Url} (RADOS objects of {Storage.Rados.RadosBlobStore.StripeSize >> 20} MiB)");
        else
            Console.WriteLine($"  data folder : {options.DataDirectory} (file blobs; bodies of 8 MiB and more {((blobs as Storage.Files.FileBlobStore)?.WritesDirect == true ? "written with O_DIRECT" : options.DirectWrites ? "written through the page cache: the filesystem refuses O_DIRECT" : "written through the page cache (XOS_DIRECT_WRITES=0)")})");
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
