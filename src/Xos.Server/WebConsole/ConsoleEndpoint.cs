using System.Diagnostics;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.WebConsole;

/// <summary>
/// The web console under /_xos/console/ on the server's own port (a path no bucket can have, as bucket names cannot
/// hold '_'): its embedded pages and its small JSON API. A browser that opens "/" without credentials is sent there;
/// S3 clients, which do not ask for HTML, get S3's answer as before. Everything the console shows or changes in
/// buckets and objects it does through S3's own REST API, in an account's IAM through the IAM API, and in the server's
/// users, keys and roles through the admin API.
/// </summary>
public sealed partial class ConsoleEndpoint(ConsoleAssets assets, ConsoleApi api, ServerOptions options, ILogger<ConsoleEndpoint> log)
{
    public const string Prefix = "/_xos/console";

    /// <summary>
    /// Scripts only from the console itself, no framing by other pages, nothing loaded from elsewhere; objects are
    /// shown from this origin (img, video, audio, the PDF frame) or as blobs.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; frame-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Handles console requests and sends browsers opening "/" to the console; null for every other request.</summary>
    public Task? TryHandle(HttpContext http)
    {
        if (!IsPathStyleHost(http.Request.Host.Host, options.Domains)) return null;
        if (http.Request.Path.StartsWithSegments(Prefix, StringComparison.Ordinal, out var rest)) return HandleAsync(http, rest.Value ?? "");
        if (IsBrowserOpeningRoot(http.Request)) return Redirect(http, Prefix + "/");
        return null;
    }

    /// <summary>Whether <paramref name="host"/> is not a bucket's virtual host (bucket.DOMAIN), where every path is an object key.</summary>
    public static bool IsPathStyleHost(string host, IReadOnlyList<string> domains) =>
        !domains.Any(d => host.EndsWith("." + d, StringComparison.OrdinalIgnoreCase));

    /// <summary>An unsigned GET of "/" asking for HTML: a person's browser, never an S3 client listing its buckets.</summary>
    public static bool IsBrowserOpeningRoot(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.Value == "/" && request.Headers.Authorization.Count == 0
        && !request.Query.ContainsKey("X-Amz-Signature") && !request.Query.ContainsKey("X-Amz-Credential") && !request.Query.ContainsKey("Signature")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static Task Redirect(HttpContext http, string location)
    {
        http.Response.StatusCode = 302;
        http.Response.Headers.Location = location;
        http.Response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }

    private async Task HandleAsync(HttpContext http, string rest)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        if (rest.Length == 0)
        {
            await Redirect(http, Prefix + "/");
            return;
        }
        if (rest.StartsWith("/api/", StringComparison.Ordinal))
        {
            await HandleApiAsync(http, rest["/api/".Length..]);
            return;
        }
        await ServeAssetAsync(http, rest[1..]);
    }

    private async Task ServeAssetAsync(HttpContext http, string path)
    {
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.StatusCode = 405;
            return;
        }
        if (assets.Find(path) is not { } asset)
        {
            http.Response.StatusCode = 404;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync("not found\n");
            return;
        }
        var headers = http.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on every load (a 304 when unchanged), so a new server version is picked up at once.
        headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            http.Response.StatusCode = 304;
            return;
        }
        http.Response.ContentType = asset.ContentType;
        http.Response.ContentLength = asset.Content.Length;
        if (HttpMethods.IsGet(http.Request.Method)) await http.Response.Body.WriteAsync(asset.Content, http.RequestAborted);
    }

    private async Task HandleApiAsync(HttpContext http, string route)
    {
        var started = Stopwatch.GetTimestamp();
        var ct = http.RequestAborted;
        try
        {
            await api.HandleAsync(http, route, ct);
        }
        catch (ConsoleException e)
        {
            await WriteErrorAsync(http, e.Status, e.Code, e.Message);
        }
        catch (S3Exception e)
        {
            await WriteErrorAsync(http, e.Status, e.Code, e.Message);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // The browser went away.
        }
        catch (Exception e) when (Storage.Sql.SqlDatabase.IsUnavailable(e))
        {
            await WriteErrorAsync(http, 503, "ServiceUnavailable", "The metadata store is unavailable; try again.");
        }
        catch (Exception e)
        {
            LogFailure(log, e, http.Request.Method, route);
            await WriteErrorAsync(http, 500, "InternalError", "The server failed to answer; the failure is in its log.");
        }
        finally
        {
            LogRequest(log, http.Request.Method, route, http.Response.StatusCode, Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 2));
        }
    }

    private static async Task WriteErrorAsync(HttpContext http, int status, string code, string message)
    {
        if (http.Response.HasStarted)
        {
            http.Abort();
            return;
        }
        await ConsoleApi.WriteAsync(http, status, new ConsoleError(code, message), ConsoleJson.Default.ConsoleError);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} console {Route} {Status} {Ms}ms")]
    private static partial void LogRequest(ILogger log, string method, string route, int status, double ms);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} console {Route} failed")]
    private static partial void LogFailure(ILogger log, Exception e, string method, string route);
}
