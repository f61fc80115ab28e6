namespace Xos.Server.WebConsole;

/// <summary>
/// Objects that a browser opens as a page from XOS's own origin (path style) would share that origin with the
/// console: an uploaded HTML or SVG file could then read the console's CSRF token and act with the visitor's
/// session. Such responses are sandboxed (Content-Security-Policy: sandbox: no scripts, an opaque origin), except
/// for types that cannot run script here (raster images, audio, video, PDF, plain text). Virtual-hosted requests are
/// another origin and are left as S3 serves them.
/// </summary>
public static class UploadedDocuments
{
    public static void Isolate(HttpContext http, IReadOnlyList<string> domains)
    {
        if (http.Request.Headers["Sec-Fetch-Dest"].ToString() is not ("document" or "iframe" or "frame" or "embed" or "object")) return;
        if (!ConsoleEndpoint.IsPathStyleHost(http.Request.Host.Host, domains)) return;
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            if (!CannotRunScript(http.Response.ContentType)) headers.ContentSecurityPolicy = "sandbox";
            return Task.CompletedTask;
        });
    }

    private static bool CannotRunScript(string? contentType)
    {
        var type = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        return type is "application/pdf" or "text/plain" or "application/octet-stream"
               || (type.StartsWith("image/", StringComparison.Ordinal) && !type.Contains("svg", StringComparison.Ordinal))
               || type.StartsWith("video/", StringComparison.Ordinal) || type.StartsWith("audio/", StringComparison.Ordinal);
    }
}
