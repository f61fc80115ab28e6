using System.Diagnostics;
using System.Net.Sockets;

namespace Xos.Tests.Integration;

/// <summary>
/// A message broker from Debian's packages (redis-server, nats-server, rabbitmq-server) started by a test on a free
/// loopback port with a data folder of its own, and stopped (its whole process tree) when the test ends. When the
/// package is not installed the test is skipped by <see cref="BrokerFactAttribute"/>, saying which package to install.
/// </summary>
public sealed class TestBroker : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    public int Port { get; }
    public string Directory { get; }
    public string Output => string.Join("\n", _logs);
    private readonly List<string> _logs = [];

    private TestBroker(int port)
    {
        Port = port;
        Directory = Path.Combine(Path.GetTempPath(), "xos-broker-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public static string? Find(string program) =>
        new[] { "/usr/bin/", "/usr/sbin/", "/usr/lib/rabbitmq/bin/" }.Select(d => d + program).FirstOrDefault(File.Exists);


    private void Start(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Directory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_logs) _logs.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_logs) _logs.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
    }

    private async Task WaitForPortAsync(int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (_processes.Any(p => p.HasExited)) throw new InvalidOperationException("the broker exited:\n" + Output);
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }
        throw new TimeoutException($"the broker did not listen on {Port}:\n{Output}");
    }

    public static async Task<TestBroker> StartRedisAsync()
    {
        var b = new TestBroker(XosProcess.FreePort());
        b.Start(Find("redis-server")!, ["--port", b.Port.ToString(), "--bind", "127.0.0.1", "--dir", b.Directory, "--save", "", "--appendonly", "no"]);
        await b.WaitForPortAsync(30);
        return b;
    }

    public static async Task<TestBroker> StartNatsAsync()
    {
        var b = new TestBroker(XosProcess.FreePort());
        b.Start(Find("nats-server")!, ["-a", "127.0.0.1", "-p", b.Port.ToString(), "-js", "-sd", b.Directory]);
        await b.WaitForPortAsync(30);
        return b;
    }

    /// <summary>
    /// RabbitMQ with its own Erlang port mapper (started here, on a port of its own, so that no epmd outlives the test),
    /// node name, Mnesia and log folders; the guest user may connect over loopback.
    /// </summary>
    public static async Task<TestBroker> StartRabbitAsync()
    {
        var b = new TestBroker(XosProcess.FreePort());
        var epmdPort = XosProcess.FreePort().ToString();
        b.Start(Find("epmd")!, ["-port", epmdPort, "-address", "127.0.0.1"]);
        await Task.Delay(300);
        File.WriteAllText(Path.Combine(b.Directory, "enabled_plugins"), "[].");
        var script = System.IO.Directory.GetFiles("/usr/lib/rabbitmq/lib", "rabbitmq-server", SearchOption.AllDirectories).First(f => f.Contains("/sbin/"));
        b.Start(script, [], new Dictionary<string, string>
        {
            ["HOME"] = b.Directory,
            ["ERL_EPMD_PORT"] = epmdPort,
            ["RABBITMQ_NODE_PORT"] = b.Port.ToString(),
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_DIST_PORT"] = XosProcess.FreePort().ToString(),
            ["RABBITMQ_NODENAME"] = $"xos{b.Port}@localhost",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(b.Directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(b.Directory, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(b.Directory, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(b.Directory, "rabbitmq"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(b.Directory, "pid"),
        });
        await b.WaitForPortAsync(180);
        return b;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception)
            {
                // Already gone.
            }
            p.Dispose();
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A test that needs a broker: skipped, with the package to install, when its server is not installed.</summary>
public sealed class BrokerFactAttribute : FactAttribute
{
    public BrokerFactAttribute(string program, string package)
    {
        if (TestBroker.Find(program) is null) Skip = $"{program} is not installed: run scripts/install-test-deps.sh (Debian package {package})";
    }
}
