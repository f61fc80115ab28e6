using System.Reflection;

namespace Xos.Server.Cli;

/// <summary>The version and the commit this executable was built from (the SDK stamps the commit into the informational version).</summary>
public static class BuildInfo
{
    private static readonly string Informational =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static string Version { get; } = Informational.Split('+')[0];

    /// <summary>The commit's id as git abbreviates it (12 characters), or "unknown" for a build outside a git checkout.</summary>
    public static string Commit { get; } = Informational.Split('+') is [_, var sha, ..] && sha.Length > 0 ? sha[..Math.Min(12, sha.Length)] : "unknown";

    /// <summary>What `xos --version`, the start-up banner and the admin overview say.</summary>
    public static string Describe { get; } = $"{Version} (commit {Commit})";
}
