using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Xos.Server.Admin;
using Xos.Server.Auth;
using Xos.Server.Background;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;
using Xos.Server.Storage.Files;
using Xos.Server.WebConsole;

namespace Xos.Server.Hosting;

/// <summary>Builds the web host: Kestrel on the configured address, the S3 endpoint, health checks and background services.</summary>
public static class ServerHost
{
    public static async Task<WebApplication> BuildAsync(ServerOptions options)
    {
        // No watching of appsettings.json for changes: the watcher wakes on every file event in the working folder
        // (a data folder under it counts), and XOS takes its settings at start-up only.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        // Created by the container, so that it is disposed with it: the lines still queued at shutdown are written out.
        builder.Services.AddSingleton<ILoggerProvider>(_ => new ConsoleLogProvider(options.JsonLogs));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // XOS writes its own request log line; with hosting diagnostics logging off, ASP.NET also skips creating an
        // Activity for every request.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // A failed start is reported by `xos server` as one line; the host's own report would add a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            // S3 clients send their headers at once: a connection still sending them after 10 s is a slow-header
            // attack (slowloris) and is closed. Bodies must keep Kestrel's minimum rate (240 bytes/s after 5 s).
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            // A bound on open connections keeps a flood from exhausting the process's descriptors (blobs and the
            // database need them too); well above what a media gateway serves at once.
            k.Limits.MaxConcurrentConnections = 10_000;
            // Clients send raw UTF-8 in x-amz-copy-source and x-amz-meta-* values; Kestrel would reject them as ASCII.
            k.RequestHeaderEncodingSelector = _ => Encoding.UTF8;
            // HTTP clients read header bytes as Latin-1: user metadata goes back that way (ObjectHeaders encodes the rest).
            k.ResponseHeaderEncodingSelector = name => name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? Encoding.Latin1 : Encoding.UTF8;
            k.Listen(options.Address, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (options.CertificatePath is not null) listen.UseHttps(options.CertificatePath, options.CertificatePassword);
            });
            if (options.MetricsAddress is { } metrics) k.Listen(metrics, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Host.ConfigureHostOptions(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));

        Directory.CreateDirectory(options.DataDirectory);
        var folderLock = DataFolderLock.Acquire(options.DataDirectory, shared: options.MetadataUrl is not null);
        builder.Services.AddSingleton(folderLock);
        var (store, root) = await MetadataBootstrap.OpenForServerAsync(options, CancellationToken.None);
        // The reserve is kept where bodies go: the data folder's filesystem, or the pool (a full data folder under the
        // SQLite database is still answered 507, by S3Endpoint).
        IBlobStore blobs;
        FreeSpaceGuard space;
        if (Storage.Rados.RadosBlobsUrl.IsRados(options.BlobsUrl))
        {
            var rados = Storage.Rados.RadosBlobStore.Open(Storage.Rados.RadosBlobsUrl.Parse(options.BlobsUrl!), options.MinFree);
            rados.ClaimFor(root.UserId);
            (blobs, space) = (rados, rados.Space);
        }
        else
        {
            space = new FreeSpaceGuard(options.DataDirectory, FreeSpaceGuard.ParseReserve(options.MinFree, options.DataDirectory));
            blobs = new FileBlobStore(options.DataDirectory, space, options.DirectWrites);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IMetadataStore>(store);
        builder.Services.AddSingleton<IBlobStore>(blobs);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ICredentialProvider, StoreCredentialProvider>();
        builder.Services.AddSingleton<RequestAuthenticator>();
        builder.Services.AddSingleton((IConsoleStore)store);
        builder.Services.AddSingleton(ConsoleOptions.From(options.ConsoleIdle, options.ConsoleLifetime));
        builder.Services.AddSingleton<ConsoleSessions>();
        builder.Services.AddSingleton<ISessionAuthenticator>(sp => sp.GetRequiredService<ConsoleSessions>());
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddSingleton<ConsoleAssets>();
        builder.Services.AddSingleton<ConsoleApi>();
        builder.Services.AddSingleton<ConsoleEndpoint>();
        builder.Services.AddSingleton<RequestRate>();
        builder.Services.AddSingleton(space);
        builder.Services.AddSingleton<ServerOverview>();
        builder.Services.AddSingleton<Authorizer>();
        var lifecycle = LifecycleOptions.From(options.LifecycleDay, options.LifecycleInterval);
        builder.Services.AddSingleton(lifecycle);
        var masterKey = MasterKey.LoadOrCreate(options.DataDirectory, options.MasterKey);
        builder.Services.AddSingleton(masterKey);
        var objectCache = Caching.ObjectCache.From(options);
        if (objectCache is not null)
        {
            ((Storage.Sql.SqlMetadataStore)store).UseObjectCache(objectCache);
            Caching.ObjectCacheMetrics.Observe(objectCache);
        }
        builder.Services.AddSingleton(sp => new ServerContext(options, store, blobs, sp.GetRequiredService<Authorizer>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Xos"), lifecycle, masterKey, sp.GetRequiredService<RequestAuthenticator>())
        {
            ObjectCache = objectCache,
        });
        builder.Services.AddSingleton<S3Endpoint>();
        builder.Services.AddSingleton(root);
        var admin = new AdminService(store, root.UserId, new Kms.KeyService(store, masterKey));
        await admin.ProvisionKmsKeysAsync(options.KmsKeys, CancellationToken.None);
        await admin.ProvisionNotifyTargetsAsync(Environment.GetEnvironmentVariables(), CancellationToken.None);
        builder.Services.AddSingleton(admin);
        builder.Services.AddSingleton<AdminApi>();
        builder.Services.AddHostedService<OrphanBlobSweeper>();
        builder.Services.AddHostedService<SharedChangeListener>();
        builder.Services.AddHostedService<LifecycleWorker>();
        builder.Services.AddHostedService<Notifications.EventDelivery>();
        builder.Services.AddSingleton(new AccessLogOptions(options.AccessLogInterval, 10_000));
        builder.Services.AddSingleton<AccessLogDelivery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccessLogDelivery>());

        var app = builder.Build();
        space.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<FreeSpaceGuard>();
        var endpoint = app.Services.GetRequiredService<S3Endpoint>();
        var adminApi = app.Services.GetRequiredService<AdminApi>();
        await ServerMetrics.InitializeAsync(space, store.IsSharedByProcesses ? "postgresql" : "sqlite", served: options.MetricsAddress is not null);
        var metricsPort = options.MetricsAddress?.Port;
        var console = app.Services.GetRequiredService<ConsoleEndpoint>();
        var requests = app.Services.GetRequiredService<RequestRate>();
        app.Run(http =>
        {
            if (http.Connection.LocalPort == metricsPort) return ServerMetrics.ServeAsync(http);
            if (Health.TryHandle(http, store, space) is { } health) return health;
            requests.Record();
            if (adminApi.Matches(http)) return adminApi.HandleAsync(http);
            if (console.TryHandle(http) is { } page) return page;
            UploadedDocuments.Isolate(http, options.Domains);
            return endpoint.HandleAsync(http);
        });
        return app;
    }
}
