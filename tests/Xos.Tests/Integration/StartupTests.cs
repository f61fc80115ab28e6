using System.Diagnostics;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Starting servers and running administration the way operators do: together, concurrently, with mistakes.</summary>
public sealed class StartupTests
{
    private static ProcessStartInfo Xos(IDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { XosProcess.ServerDll }.Concat(args)) psi.ArgumentList.Add(a);
        // The test process may carry root keys of its own; these runs get exactly the environment they are given.
        psi.Environment.Remove("XOS_ROOT_ACCESS_KEY");
        psi.Environment.Remove("XOS_ROOT_SECRET_KEY");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo psi)
    {
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string NewDataFolder() => Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>
    /// A new data folder whose metadata database a server created and left (on PostgreSQL when the suite runs there),
    /// with the environment that points xos at that database and its URL (null for the folder's SQLite).
    /// </summary>
    private static async Task<(string Data, IDictionary<string, string>? Env, string? Url)> FolderWithDatabaseAsync()
    {
        var data = NewDataFolder();
        var env = await MetadataEnvironmentAsync(data);
        await using (var first = await XosProcess.StartAsync(data, environment: env)) { }
        return (data, env, env?["XOS_METADATA_URL"]);
    }

    /// <summary>The shared PostgreSQL database of a data folder when the suite runs on PostgreSQL, else nothing.</summary>
    private static async Task<IDictionary<string, string>?> MetadataEnvironmentAsync(string data) =>
        TestPostgres.IsSelected ? new Dictionary<string, string> { ["XOS_METADATA_URL"] = await TestPostgres.UrlForDataFolderAsync(data) } : null;

    /// <summary>
    /// With the embedded store one server runs per folder and the others say why; gateways sharing PostgreSQL all come up.
    /// Either way the folder ends with one identity and one master key.
    /// </summary>
    [Fact]
    public async Task ServersStartedTogetherOnOneFolderLeaveOneRunningAndTheOthersSayWhyInOneLine()
    {
        var data = NewDataFolder();
        var env = await MetadataEnvironmentAsync(data);
        var ports = Enumerable.Range(0, 3).Select(_ => XosProcess.FreePort()).ToArray();
        var processes = ports.Select(p => Process.Start(Xos(env, "server", "--data", data, "--address", $"127.0.0.1:{p}"))!).ToArray();
        var outputs = processes.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToArray();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            if (env is null)
            {
                // Those that cannot run exit on their own; the one that can keeps running and answers.
                while (DateTime.UtcNow < deadline && processes.Count(p => p.HasExited) < 2) await Task.Delay(100);
                var refused = processes.Where(p => p.HasExited).ToArray();
                Assert.Equal(2, refused.Length);
                foreach (var p in refused)
                {
                    Assert.Equal(1, p.ExitCode);
                    var index = Array.IndexOf(processes, p);
                    var text = (await outputs[index].Out + await outputs[index].Err).Trim();
                    Assert.Equal($"xos: cannot start: another xos server is already using the data folder {data}; run one server per data folder (or share a PostgreSQL metadata database: --metadata)", text);
                }
            }
            foreach (var running in Enumerable.Range(0, 3).Where(i => !processes[i].HasExited))
            {
                string? ready = null;
                while (DateTime.UtcNow < deadline && ready is null)
                {
                    try { ready = await http.GetStringAsync($"http://127.0.0.1:{ports[running]}/health/ready"); }
                    catch (HttpRequestException) { await Task.Delay(100); }
                }
                Assert.Equal("ready\n", ready);
            }
            if (env is not null) Assert.All(processes, p => Assert.False(p.HasExited));
            // The folder holds one identity and one master key, which administration run right now agrees with.
            var (code, users) = await RunAsync(Xos(env, "admin", "--data", data, "user", "list", "--json"));
            Assert.Equal(0, code);
            Assert.Contains("\"name\": \"root\"", users);
            Assert.Single(Directory.GetFiles(data, "master.key*"));
            Assert.Single(Directory.GetFiles(data, "root-credentials.json*"));
        }
        finally
        {
            foreach (var p in processes)
                if (!p.HasExited) { p.Kill(); await p.WaitForExitAsync(); }
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }

    [Fact]
    public async Task AStartThatCannotSucceedIsOneLineAndANonZeroExit()
    {
        await using var server = await XosProcess.StartAsync();
        var (code, output) = await RunAsync(Xos(null, "server", "--data", NewDataFolder(), "--address", $"127.0.0.1:{server.Port}"));
        Assert.Equal((1, $"xos: cannot start: 127.0.0.1:{server.Port} is already in use by another program"), (code, output.Trim()));
        var certificate = Path.Combine(server.DataDirectory, "not-a-certificate.pfx");
        await File.WriteAllTextAsync(certificate, "garbage");
        (code, output) = await RunAsync(Xos(null, "server", "--data", NewDataFolder(), "--address", $"127.0.0.1:{XosProcess.FreePort()}", "--cert", certificate));
        Assert.Equal(1, code);
        Assert.StartsWith($"xos: cannot start: the TLS certificate {certificate} cannot be loaded", output.Trim());
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task XosAdminLeavesTheUpgradeOfAnOlderSchemaToTheServer()
    {
        // A server of the older version may still be running on the database: only a server (started after it
        // stopped) upgrades, never `xos admin` beside it.
        var (data, env, url) = await FolderWithDatabaseAsync();
        var current = Convert.ToInt32(await XosProcess.ExecuteMetadataScalarAsync(data, url, "SELECT MAX(version) FROM schema_version"));
        await XosProcess.ExecuteMetadataSqlAsync(data, url, $"UPDATE schema_version SET version = {current - 1}");
        var (code, output) = await RunAsync(Xos(env, "admin", "--data", data, "notify", "list"));
        Assert.Equal(1, code);
        Assert.StartsWith($"xos admin: the metadata database has schema version {current - 1}, older than this xos ({current}): stop the server", output.Trim());
        Assert.DoesNotContain("   at ", output);
        Assert.Equal(current - 1, Convert.ToInt32(await XosProcess.ExecuteMetadataScalarAsync(data, url, "SELECT MAX(version) FROM schema_version")));
        try { Directory.Delete(data, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task AMetadataDatabaseOfANewerSchemaIsRefusedInOneLineAndLeftUntouched()
    {
        var (data, env, url) = await FolderWithDatabaseAsync();
        await XosProcess.ExecuteMetadataSqlAsync(data, url, "UPDATE schema_version SET version = 99");
        var (code, output) = await RunAsync(Xos(env, "server", "--data", data, "--address", $"127.0.0.1:{XosProcess.FreePort()}"));
        Assert.Equal(1, code);
        Assert.StartsWith("xos: cannot start: the metadata database has schema version 99, newer than this server's", output.Trim());
        Assert.DoesNotContain("   at ", output);
        Assert.Equal(1, await XosProcess.ExecuteMetadataSqlAsync(data, url, "UPDATE schema_version SET version = 99"));
        try { Directory.Delete(data, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task AFolderOtherThanTheOneAPostgresDatabaseServesIsRefusedInOneLine()
    {
        var env = new Dictionary<string, string> { ["XOS_METADATA_URL"] = await TestPostgres.CreateDatabaseAsync("xos_folders_" + Guid.NewGuid().ToString("N")[..8]) };
        var first = NewDataFolder();
        await using (var server = await XosProcess.StartAsync(first, environment: env)) { }
        var second = NewDataFolder();
        var (code, output) = await RunAsync(Xos(env, "server", "--data", second, "--address", $"127.0.0.1:{XosProcess.FreePort()}"));
        Assert.Equal(1, code);
        Assert.StartsWith("xos: cannot start: the metadata database postgres://", output.Trim());
        Assert.Contains("belongs to another data folder", output);
        Assert.DoesNotContain("   at ", output);
        Assert.Single(output.Trim().Split('\n'));
        // The first folder's gateway still comes up on it.
        await using (var again = await XosProcess.StartAsync(first, environment: env)) { }

        // Two folders started together on a new database: one comes up, the other says why, whichever creates root first.
        env["XOS_METADATA_URL"] = await TestPostgres.CreateDatabaseAsync("xos_folders_" + Guid.NewGuid().ToString("N")[..8]);
        string[] folders = [NewDataFolder(), NewDataFolder()];
        var ports = folders.Select(_ => XosProcess.FreePort()).ToArray();
        var processes = folders.Select((f, i) => Process.Start(Xos(env, "server", "--data", f, "--address", $"127.0.0.1:{ports[i]}"))!).ToArray();
        var errors = processes.Select(p => p.StandardError.ReadToEndAsync()).ToArray();
        foreach (var p in processes) _ = p.StandardOutput.ReadToEndAsync();
        try
        {
            await Task.WhenAny(Task.WhenAny(processes.Select(p => p.WaitForExitAsync())), Task.Delay(TimeSpan.FromSeconds(60)));
            var loser = Assert.Single(processes, p => p.HasExited);
            Assert.Equal(1, loser.ExitCode);
            var line = (await errors[Array.IndexOf(processes, loser)]).Trim();
            Assert.Contains("belongs to another data folder", line);
            Assert.Single(line.Split('\n'));
            var winner = Array.IndexOf(processes, processes.Single(p => p != loser));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!await IsReadyAsync(http, ports[winner]))
            {
                Assert.True(DateTime.UtcNow < deadline && !processes[winner].HasExited, "the other gateway did not come up");
                await Task.Delay(100);
            }
        }
        finally
        {
            foreach (var p in processes) if (!p.HasExited) { p.Kill(); await p.WaitForExitAsync(); }
        }
        foreach (var folder in new[] { first, second }.Concat(folders))
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http, int port)
    {
        try
        {
            return (await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task AdministrationNeverChangesTheRootKeyUnlessToldToRotateIt()
    {
        var env = new Dictionary<string, string> { ["XOS_ROOT_ACCESS_KEY"] = XosProcess.AccessKey, ["XOS_ROOT_SECRET_KEY"] = XosProcess.SecretKey };
        await using var server = await XosProcess.StartAsync(environment: env);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("still-mine");
        // Administration without the server's root keys: the running server's key must keep working.
        var metadata = await MetadataEnvironmentAsync(server.DataDirectory);
        foreach (var args in new[] { new[] { "user", "add", "dora" }, ["user", "list"], ["kms", "list"] })
            Assert.Equal(0, (await RunAsync(Xos(metadata, ["admin", "--data", server.DataDirectory, .. args]))).ExitCode);
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == "still-mine");

        // An explicit rotation replaces it at once, and the new key is printed and works.
        var (code, output) = await RunAsync(Xos(metadata, "admin", "--data", server.DataDirectory, "root", "rotate"));
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        var accessKey = lines.First(l => l.StartsWith("access key")).Split(':')[1].Trim();
        var secretKey = lines.First(l => l.StartsWith("secret key")).Split(':')[1].Trim().Split(' ')[0];
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListBucketsAsync());
        Assert.Equal(("InvalidAccessKeyId", HttpStatusCode.Forbidden), (refused.ErrorCode, refused.StatusCode));
        using var rotated = server.CreateClient(accessKey, secretKey);
        Assert.Contains((await rotated.ListBucketsAsync()).Buckets, b => b.BucketName == "still-mine");
    }

    [Fact]
    public async Task AdministrationWorksOnARunningServerThroughItsEndpoint()
    {
        await using var server = await XosProcess.StartAsync();
        var root = new Dictionary<string, string> { ["XOS_ROOT_ACCESS_KEY"] = XosProcess.AccessKey, ["XOS_ROOT_SECRET_KEY"] = XosProcess.SecretKey };
        Task<(int ExitCode, string Output)> Admin(IDictionary<string, string>? env, params string[] args) =>
            RunAsync(Xos(env, ["admin", "--endpoint", server.Endpoint, .. args]));

        var (code, output) = await Admin(root, "user", "add", "eve", "--json");
        Assert.Equal(0, code);
        var created = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal("eve", created.GetProperty("user").GetString());
        using (var eve = server.CreateClient(created.GetProperty("accessKey").GetString(), created.GetProperty("secretKey").GetString()))
            await eve.PutBucketAsync("eves-bucket");
        Assert.Contains("eve", (await Admin(root, "user", "list")).Output);
        Assert.Contains("media-key", (await Admin(root, "kms", "create", "media-key", "--algorithm", "SM4")).Output);
        Assert.Contains("disabled", (await Admin(root, "kms", "disable", "media-key")).Output);
        Assert.Equal(0, (await Admin(root, "public-access-block", "put", "eve", "--block-public-acls")).ExitCode);
        Assert.Contains("BlockPublicAcls=True", (await Admin(root, "public-access-block", "get", "eve")).Output);
        Assert.Equal(0, (await Admin(root, "public-access-block", "delete", "eve")).ExitCode);
        Assert.Contains("no account-wide public access block", (await Admin(root, "public-access-block", "get", "eve")).Output);

        // Refusals are one line and a non-zero exit: a user that still owns a bucket, other keys than root's, no keys, root rotate.
        (code, output) = await Admin(root, "user", "remove", "eve");
        Assert.Equal((1, "user eve still owns 1 bucket(s): eves-bucket"), (code, output.Trim()));
        var wrong = new Dictionary<string, string> { ["XOS_ROOT_ACCESS_KEY"] = created.GetProperty("accessKey").GetString()!, ["XOS_ROOT_SECRET_KEY"] = created.GetProperty("secretKey").GetString()! };
        (code, output) = await Admin(wrong, "user", "list");
        Assert.Equal((1, "the admin API needs the root credentials"), (code, output.Trim()));
        Assert.Equal(2, (await Admin(null, "user", "list")).ExitCode);
        (code, output) = await Admin(root, "root", "rotate");
        Assert.Equal(1, code);
        Assert.Contains("not through --endpoint", output);
        (code, output) = await RunAsync(Xos(root, "admin", "--endpoint", $"http://127.0.0.1:{XosProcess.FreePort()}", "user", "list"));
        Assert.Equal(1, code);
        Assert.StartsWith("cannot reach", output.Trim());
    }
}
