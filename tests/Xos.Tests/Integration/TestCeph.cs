using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Xos.Tests.Integration;

/// <summary>
/// A real one-node Ceph cluster from Debian's packages for the tests (tests/ceph/start-cluster.sh: a monitor, a manager and
/// three BlueStore OSDs on sparse files in a temporary folder, loopback ports, cephx), with a replicated pool on osd.0 and
/// an erasure-coded pool (k=2 m=1, without allow_ec_overwrites) on all three; started on first use (about a minute) and
/// stopped, by its pid files, when the test process exits. Servers connect as client.xos with the capabilities
/// docs/deployment.md documents (its keyring in the URL); the `rados` tool runs as client.admin.
/// Every data folder gets its own RADOS namespace in the pool, as every data folder gets its own database.
/// </summary>
public static class TestCeph
{
    /// <summary>The replicated pool (size 1, on osd.0 alone, so stopping osd.0 takes it down).</summary>
    public const string Pool = "xos-tests";
    /// <summary>The erasure-coded pool (k=2 m=1 over the three OSDs), without allow_ec_overwrites.</summary>
    public const string ErasureCodedPool = "xos-tests-ec";

    /// <summary>The pool XOS_TEST_BLOBS=rados puts every server's blobs in: XOS_TEST_RADOS_POOL (e.g. xos-tests-ec), or <see cref="Pool"/>.</summary>
    public static string DataPool => Environment.GetEnvironmentVariable("XOS_TEST_RADOS_POOL") is { Length: > 0 } p ? p : Pool;
    private static readonly Lazy<Task<Cluster>> Started = new(LaunchAsync);

    /// <summary>XOS_TEST_BLOBS=rados runs every server the tests start on the RADOS blob store.</summary>
    public static bool IsSelected => Environment.GetEnvironmentVariable("XOS_TEST_BLOBS") is "rados";

    /// <summary>Why the Ceph tests cannot run here (the packages are missing), or null.</summary>
    public static string? Missing =>
        !File.Exists("/usr/bin/ceph-mon") || !File.Exists("/usr/bin/ceph-osd") || !File.Exists("/usr/bin/ceph")
            ? "Ceph is not installed (Debian's ceph-mon ceph-mgr ceph-osd ceph-common; scripts/install-test-deps.sh installs them)"
            : !File.Exists("/usr/lib/x86_64-linux-gnu/librados.so.2") && !File.Exists("/usr/lib/aarch64-linux-gnu/librados.so.2")
                ? "librados.so.2 is not installed (Debian's librados2)"
                : null;

    public sealed record Cluster(string Directory)
    {
        public string ConfPath => Path.Combine(Directory, "ceph.conf");
        /// <summary>client.xos's keyring (mon 'allow r', osd 'allow rw' on both pools).</summary>
        public string KeyringPath => Path.Combine(Directory, "client.xos.keyring");
        public string BlobsUrl(string ns, int timeoutSeconds = 30, string pool = Pool) =>
            $"rados://{pool}?conf={ConfPath}&keyring={KeyringPath}&timeout={timeoutSeconds}&namespace={ns}";

        /// <summary>The `ceph` tool as client.admin, e.g. ("df", "detail").</summary>
        public Task<string> CephAsync(params string[] args) => RunAsync("ceph", ["-c", ConfPath, .. args]);
        private string PidFile => Path.Combine(Directory, "run", "osd.0.pid");

        /// <summary>Stops the OSD (SIGTERM, then waits for it), for tests of what a gateway does while its data is out of reach.</summary>
        public async Task StopOsdAsync()
        {
            var pid = int.Parse((await File.ReadAllTextAsync(PidFile)).Trim());
            using var osd = Process.GetProcessById(pid);
            osd.Kill();
            await osd.WaitForExitAsync();
        }

        public Task StartOsdAsync() => RunAsync("ceph-osd", "-c", ConfPath, "-i", "0");

        /// <summary>
        /// Copies every object of a data folder's namespace into files of <paramref name="into"/> (named as the objects),
        /// for tests that look at the bytes at rest, as they look at the data folder's blobs.
        /// </summary>
        public async Task<List<string>> DownloadAsync(string dataDirectory, string into)
        {
            var ns = NamespaceFor(dataDirectory);
            System.IO.Directory.CreateDirectory(into);
            var files = new List<string>();
            foreach (var name in (await RadosInAsync(DataPool, ns, "ls")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var file = Path.Combine(into, name);
                await RadosInAsync(DataPool, ns, "get", name, file);
                files.Add(file);
            }
            return files;
        }

        /// <summary>Writes a file downloaded by <see cref="DownloadAsync"/> back over its object.</summary>
        public Task UploadAsync(string dataDirectory, string file) => RadosInAsync(DataPool, NamespaceFor(dataDirectory), "put", Path.GetFileName(file), file);

        /// <summary>The `rados` tool on the replicated test pool and a namespace, e.g. ("ls") or ("stat", NAME).</summary>
        public Task<string> RadosAsync(string ns, params string[] args) => RadosInAsync(Pool, ns, args);

        /// <summary>The `rados` tool (as client.admin) on a pool and a namespace.</summary>
        public Task<string> RadosInAsync(string pool, string ns, params string[] args) =>
            RunAsync("rados", ["-c", ConfPath, "-p", pool, "-N", ns, .. args]);
    }

    /// <summary>The shared cluster, started on first use.</summary>
    public static Task<Cluster> StartAsync() => Started.Value;

    private static string Scripts => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "tests", "ceph"));

    private static async Task<Cluster> LaunchAsync()
    {
        if (Missing is { } why) throw new InvalidOperationException(why);
        var dir = Path.Combine(Path.GetTempPath(), "xos-ceph-" + Guid.NewGuid().ToString("N")[..10]);
        var cluster = new Cluster(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(cluster);
        // The script's watcher stops the cluster when this process ends, also when the test host is killed without ProcessExit.
        Environment.SetEnvironmentVariable("XOS_CEPH_OWNER_PID", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await RunAsync(Path.Combine(Scripts, "start-cluster.sh"), dir, "--osds", "3", "--ec-pool", ErasureCodedPool, Pool);
        return cluster;
    }

    public static void Stop(Cluster c)
    {
        try { RunAsync(Path.Combine(Scripts, "stop-cluster.sh"), c.Directory, "--now").Wait(TimeSpan.FromSeconds(20)); }
        catch (Exception) { }
    }

    /// <summary>The blob store URL for one data folder: the same folder always gets the same namespace, so restarts find their blobs.</summary>
    public static async Task<string> UrlForDataFolderAsync(string dataDirectory)
    {
        var cluster = await StartAsync();
        return cluster.BlobsUrl(NamespaceFor(dataDirectory), pool: DataPool);
    }

    /// <summary>
    /// Starts `xos server` (SQLite, a fresh data folder) with its blobs at <paramref name="blobs"/>, expecting a refusal:
    /// exit code 1 and exactly one line of output, which it returns.
    /// </summary>
    public static async Task<string> RefusedStartAsync(string blobs, params string[] moreArguments)
    {
        var folder = Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { XosProcess.ServerDll, "server", "--data", folder, "--address", $"127.0.0.1:{XosProcess.FreePort()}", "--blobs", blobs }.Concat(moreArguments))
            psi.ArgumentList.Add(arg);
        psi.Environment.Remove("XOS_METADATA_URL");
        psi.Environment.Remove("XOS_BLOBS");
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token);
            var output = (await stdout + await stderr).Trim();
            Assert.True(p.ExitCode == 1, $"exit code {p.ExitCode}: {output}");
            return Assert.Single(output.Split('\n'));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    public static string NamespaceFor(string dataDirectory) =>
        "t" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..20].ToLowerInvariant();

    private static async Task<string> RunAsync(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not run {program}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }
}

/// <summary>
/// A test that needs the Ceph cluster: skipped, saying why, where Ceph's packages are not installed. These tests bring
/// their own PostgreSQL databases, so like the cluster tests they run in the SQLite pass (and the RADOS pass), not again
/// in the PostgreSQL pass.
/// </summary>
public sealed class CephFactAttribute : FactAttribute
{
    public CephFactAttribute()
    {
        if (TestCeph.Missing is { } why) Skip = why;
        else if (TestPostgres.IsSelected && !TestCeph.IsSelected) Skip = "the Ceph tests run PostgreSQL themselves, in the SQLite pass";
    }
}
