using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Xos.Tests.Integration;

/// <summary>
/// A real PostgreSQL server from Debian's postgresql package for the tests: initdb into a temporary folder, its own
/// port on loopback, no system service; started on first use and stopped when the test process exits. As root (CI,
/// containers) it runs as the package's `postgres` user, since PostgreSQL refuses to run as root.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim StartGate = new(1, 1);
    private static Cluster? _cluster;

    /// <summary>XOS_TEST_METADATA=postgres runs every server the tests start on PostgreSQL instead of SQLite.</summary>
    public static bool IsSelected => Environment.GetEnvironmentVariable("XOS_TEST_METADATA") is "postgres" or "postgresql";

    public sealed record Cluster(string Directory, int Port, string Bin, string? RunAs)
    {
        public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=xos;Database=postgres;Pooling=false";
        public string Url(string database) => $"postgres://xos@127.0.0.1:{Port}/{database}";
    }

    public static async Task<Cluster> StartAsync()
    {
        await StartGate.WaitAsync();
        try
        {
            return _cluster ??= await LaunchAsync();
        }
        finally
        {
            StartGate.Release();
        }
    }

    /// <summary>A database of the shared test cluster for one data folder: the same folder always gets the same database, so restarts find their metadata.</summary>
    public static async Task<string> UrlForDataFolderAsync(string dataDirectory)
    {
        var name = "xos_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..24].ToLowerInvariant();
        return await CreateDatabaseAsync(name);
    }

    public static async Task<string> CreateDatabaseAsync(string name, Cluster? cluster = null)
    {
        cluster ??= await StartAsync();
        await using var db = new NpgsqlConnection(cluster.AdminConnectionString);
        await db.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", db);
        exists.Parameters.AddWithValue("n", name);
        if (await exists.ExecuteScalarAsync() is null)
        {
            try
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", db);
                await create.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase) { }
        }
        return cluster.Url(name);
    }

    /// <summary>A PostgreSQL server of its own, for tests that stop and restart it; stopped with the test process at the latest.</summary>
    public static async Task<Cluster> LaunchAsync()
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL's initdb was not found (Debian's postgresql package; scripts/install-test-deps.sh installs it)");
        var dir = Path.Combine(Path.GetTempPath(), "xos-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        if (runAs is not null) await RunAsync("chown", null, runAs, dir);
        var port = XosProcess.FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), runAs, "-D", Path.Combine(dir, "db"), "-U", "xos", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync");
        // Durability of the test cluster is not under test (xos's own is, on SQLite and here through xos's transactions);
        // fsync off keeps the suite fast on a 2-core machine. Many test servers each keep a connection pool.
        // Settings go into the cluster's own configuration, so a restart (StartServerAsync) keeps them.
        await File.AppendAllTextAsync(Path.Combine(dir, "db", "postgresql.conf"),
            $"\nport = {port}\nunix_socket_directories = '{dir}'\nlisten_addresses = '127.0.0.1'\nfsync = off\nsynchronous_commit = off\n" +
            "full_page_writes = off\nmax_connections = 800\nshared_buffers = 64MB\n");
        var cluster = new Cluster(dir, port, bin, runAs);
        await StartServerAsync(cluster);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(cluster);
        return cluster;
    }

    /// <summary>Stops the server (fast shutdown), for tests of what a gateway does while its database is away.</summary>
    public static Task StopServerAsync(Cluster c) =>
        RunAsync(Path.Combine(c.Bin, "pg_ctl"), c.RunAs, "-D", Path.Combine(c.Directory, "db"), "-w", "-m", "fast", "stop");

    public static Task StartServerAsync(Cluster c) =>
        RunAsync(Path.Combine(c.Bin, "pg_ctl"), c.RunAs, "-D", Path.Combine(c.Directory, "db"), "-l", Path.Combine(c.Directory, "log"), "-w", "-t", "60", "start");

    public static void Stop(Cluster c)
    {
        try
        {
            RunAsync(Path.Combine(c.Bin, "pg_ctl"), c.RunAs, "-D", Path.Combine(c.Directory, "db"), "-m", "immediate", "stop").Wait(TimeSpan.FromSeconds(20));
            Directory.Delete(c.Directory, recursive: true);
        }
        catch (Exception) { }
    }

    private static string? FindBin()
    {
        if (Environment.GetEnvironmentVariable("XOS_TEST_PG_BIN") is { Length: > 0 } configured) return configured;
        var versioned = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (versioned is not null) return versioned;
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
    }

    private static async Task RunAsync(string program, string? runAs, params string[] args)
    {
        var psi = runAs is null ? new ProcessStartInfo(program) : new ProcessStartInfo("runuser");
        if (runAs is not null)
        {
            foreach (var a in new[] { "-u", runAs, "--", program }) psi.ArgumentList.Add(a);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not run {program}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
