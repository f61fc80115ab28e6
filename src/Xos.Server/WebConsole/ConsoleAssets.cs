using System.Reflection;
using System.Security.Cryptography;

namespace Xos.Server.WebConsole;

/// <summary>
/// The console's pages, styles and scripts, embedded in the server assembly (WebConsole/wwwroot, plain HTML, CSS and
/// ES modules without a build step), so the server needs nothing else at run time: no CDN, no files beside it.
/// </summary>
public sealed class ConsoleAssets
{
    public sealed record Asset(byte[] Content, string ContentType, string ETag);

    private const string ResourcePrefix = "console/";
    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    public ConsoleAssets() : this(typeof(ConsoleAssets).Assembly) { }

    public ConsoleAssets(Assembly assembly)
    {
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            _assets[path] = new Asset(content, ContentType(path), "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..20] + "\"");
        }
    }

    /// <summary>The asset at <paramref name="path"/> (relative to the console's root; "" is index.html); null when there is none.</summary>
    public Asset? Find(string path) => _assets.GetValueOrDefault(path.Length == 0 ? "index.html" : path);

    public IReadOnlyCollection<string> Paths => _assets.Keys;

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
