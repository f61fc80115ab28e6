using System.Diagnostics;
using System.Text.Json;

namespace Xos.Tests.Integration;

/// <summary>Runs `xos admin` against a server's data folder, as an administrator would.</summary>
public static class XosAdmin
{
    public sealed record CreatedUser(string User, string CanonicalId, string AccessKey, string SecretKey);

    public static async Task<string> RunAsync(XosProcess server, params string[] args)
    {
        var (exitCode, stdout, stderr) = await RunXosAsync(["admin", "--data", server.DataDirectory, .. args],
            server.MetadataUrl is null ? null : new Dictionary<string, string> { ["XOS_METADATA_URL"] = server.MetadataUrl });
        if (exitCode != 0) throw new InvalidOperationException($"xos admin {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }

    /// <summary>Any `xos` command as a child process with the test root keys, its output captured through pipes.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunXosAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Prepend(XosProcess.ServerDll)) psi.ArgumentList.Add(a);
        psi.Environment["XOS_ROOT_ACCESS_KEY"] = XosProcess.AccessKey;
        psi.Environment["XOS_ROOT_SECRET_KEY"] = XosProcess.SecretKey;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    public static async Task<CreatedUser> AddUserAsync(XosProcess server, string name) =>
        JsonSerializer.Deserialize<CreatedUser>(await RunAsync(server, "user", "add", name, "--json"), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
}
