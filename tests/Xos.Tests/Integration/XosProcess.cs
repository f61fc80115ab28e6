using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;

namespace Xos.Tests.Integration;

/// <summary>
/// The real xos executable started as a child process on a free loopback port with a fresh data folder,
/// exactly as a user starts it (`xos server --data DIR --address 127.0.0.1:PORT`).
/// </summary>
public sealed partial class XosProcess : IAsyncDisposable
{
    public const string AccessKey = "XOSTESTROOTKEY000001";
    public const string SecretKey = "xos-test-root-secret-key-0000000000000000";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsData;

    public int ProcessId => _process.Id;
    public int Port { get; }
    public string DataDirectory { get; }
    /// <summary>The PostgreSQL database the server keeps its metadata in, or null for its SQLite database.</summary>
    public string? MetadataUrl { get; private init; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public string Output { get { lock (_output) return _output.ToString(); } }

    private XosProcess(Process process, int port, string dataDirectory, bool ownsData)
    {
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
        _ownsData = ownsData;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "xos.dll");

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static async Task<XosProcess> StartAsync(string? dataDirectory = null, int? port = null, IDictionary<string, string>? environment = null,
        string scheme = "http")
    {
        var ownsData = dataDirectory is null;
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        var p = port ?? FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { ServerDll, "server", "--data", dataDirectory, "--address", $"127.0.0.1:{p}" }) psi.ArgumentList.Add(a);
        psi.Environment["XOS_ROOT_ACCESS_KEY"] = AccessKey;
        psi.Environment["XOS_ROOT_SECRET_KEY"] = SecretKey;
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        if (TestPostgres.IsSelected && !psi.Environment.ContainsKey("XOS_METADATA_URL"))
            psi.Environment["XOS_METADATA_URL"] = await TestPostgres.UrlForDataFolderAsync(dataDirectory);
        if (TestCeph.IsSelected && !psi.Environment.ContainsKey("XOS_BLOBS"))
            psi.Environment["XOS_BLOBS"] = await TestCeph.UrlForDataFolderAsync(dataDirectory);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start xos");
        var server = new XosProcess(process, p, dataDirectory, ownsData) { MetadataUrl = psi.Environment.TryGetValue("XOS_METADATA_URL", out var url) ? url : null };
        await server.WaitReadyAsync(scheme);
        return server;
    }

    private async Task WaitReadyAsync(string scheme)
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("xos exited during start-up:\n" + Output);
            try
            {
                var r = await http.GetAsync($"{scheme}://127.0.0.1:{Port}/health/ready");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("xos did not become ready:\n" + Output);
    }

    public AmazonS3Client CreateClient(string? accessKey = null, string? secretKey = null, bool forcePathStyle = true) =>
        new(new BasicAWSCredentials(accessKey ?? AccessKey, secretKey ?? SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = forcePathStyle,
            AuthenticationRegion = "us-east-1",
            Timeout = TimeSpan.FromSeconds(120),
            MaxErrorRetry = 0,
        });

    /// <summary>A connection of its own to a data folder's metadata database (its SQLite file, or PostgreSQL at <paramref name="metadataUrl"/>).</summary>
    private static async Task<System.Data.Common.DbConnection> OpenMetadataAsync(string dataDirectory, string? metadataUrl)
    {
        System.Data.Common.DbConnection db = metadataUrl is null
            ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "metadata.db")};Pooling=false")
            : new Npgsql.NpgsqlConnection(Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString(metadataUrl) + ";Pooling=false");
        await db.OpenAsync();
        return db;
    }

    /// <summary>The first value <paramref name="sql"/> returns from the metadata database, read beside any server.</summary>
    public static async Task<object?> ExecuteMetadataScalarAsync(string dataDirectory, string? metadataUrl, string sql)
    {
        await using var db = await OpenMetadataAsync(dataDirectory, metadataUrl);
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>
    /// Runs one statement on the server's metadata database, whichever engine it is, for tests that must reach
    /// what no API changes (a session's expiry moved into the past). Parameters are named @name. The server is then told
    /// that credentials may have changed, as anyone editing the database by hand must (NOTIFY on PostgreSQL,
    /// metadata.db.changes on SQLite).
    /// </summary>
    public static async Task<int> ExecuteMetadataSqlAsync(string dataDirectory, string? metadataUrl, string sql, params (string Name, object Value)[] args)
    {
        await using var db = await OpenMetadataAsync(dataDirectory, metadataUrl);
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        var changed = await cmd.ExecuteNonQueryAsync();
        // The SQLite server keeps keys and small objects in memory too, and is told of hand edits the same way as of `xos admin --data`'s.
        if (metadataUrl is null) Xos.Server.Storage.Sqlite.SqliteDatabase.AnnounceChange(Path.Combine(dataDirectory, "metadata.db"));
        if (metadataUrl is not null)
        {
            // As docs/deployment.md asks of hand edits: gateways keep found keys and sessions while nobody says otherwise.
            await using var notify = db.CreateCommand();
            notify.CommandText = "NOTIFY xos_credentials";
            await notify.ExecuteNonQueryAsync();
        }
        return changed;
    }

    public Task<int> ExecuteMetadataSqlAsync(string sql, params (string Name, object Value)[] args) =>
        ExecuteMetadataSqlAsync(DataDirectory, MetadataUrl, sql, args);

    /// <summary>
    /// How a client's request ends when the server is killed under it: an S3 error or client error from the SDK, a
    /// broken HTTP exchange, or, when the kill lands while HttpClient connects, a bare SocketException ("Transport
    /// endpoint is not connected"). Whether that write committed is unknown.
    /// </summary>
    public static bool IsCutOffByAKill(Exception e) => e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException
        or HttpRequestException or IOException or OperationCanceledException or System.Net.Sockets.SocketException;

    /// <summary>SIGKILL: the process gets no chance to clean up, as in a power cut of the process.</summary>
    public void Crash()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM and wait for the graceful shutdown to finish.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited) return _process.ExitCode;
        _ = Native.Kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(40));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { await StopAsync(TimeSpan.FromSeconds(20)); }
            catch (OperationCanceledException) { Crash(); }
        }
        _process.Dispose();
        if (_ownsData)
        {
            try { Directory.Delete(DataDirectory, recursive: true); }
            catch (IOException) { }
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "kill")]
        public static partial int Kill(int pid, int signal);
    }
}

/// <summary>One server shared by the tests of a collection; each test uses its own bucket.</summary>
public sealed class XosFixture : IAsyncLifetime
{
    public XosProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await XosProcess.StartAsync();

    /// <summary>After the whole collection: the server must not have logged a failure (an unhandled exception or a 500).</summary>
    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        var failures = Server.Output.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).ToList();
        if (failures.Count > 0) throw new InvalidOperationException("the server logged failures:\n" + string.Join('\n', failures.Take(5)));
    }

    public static string NewBucketName(string hint = "t") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(40, hint.Length + 33)].ToLowerInvariant();
}

[CollectionDefinition(Name)]
public sealed class XosCollection : ICollectionFixture<XosFixture>
{
    public const string Name = "xos server";
}
