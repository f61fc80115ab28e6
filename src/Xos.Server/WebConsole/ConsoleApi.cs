using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.WebConsole;

/// <summary>
/// What the console needs beyond S3 and the admin API, under /_xos/console/api/: signing in and out, the session's
/// identity and CSRF token, share links signed with the session's key, and a bucket's usage (authorised as
/// s3:ListBucket, the permission that listing the bucket to add it up would need). JSON in and out.
/// </summary>
public sealed class ConsoleApi(ConsoleSessions sessions, SignInThrottle throttle, ICredentialProvider credentials, IMetadataStore store,
    IConsoleStore usage, Authorizer authorizer, ServerOptions options, RootCredentials root, TimeProvider time)
{
    private const int MaxBody = 64 * 1024;

    public async Task HandleAsync(HttpContext http, string route, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        // The API answers the console's own pages only; browsers say where a request comes from.
        if (http.Request.Headers["Sec-Fetch-Site"].ToString() is not ("" or "same-origin" or "none"))
            throw new ConsoleException("AccessDenied", "The console API answers only the console's own pages.", 403);
        var method = http.Request.Method;
        switch (route)
        {
            case "session" when HttpMethods.IsPost(method):
                await SignInAsync(http, ct);
                return;
            case "session" when HttpMethods.IsGet(method):
                await WriteAsync(http, 200, Info(await RequireSessionAsync(http, csrf: false, ct)), ConsoleJson.Default.SessionInfo);
                return;
            case "sign-out" when HttpMethods.IsPost(method):
                await sessions.SignOutAsync(await RequireSessionAsync(http, csrf: true, ct), ct);
                http.Response.Cookies.Delete(ConsoleSessions.CookieName, ConsoleSessions.CookieOptions(http));
                http.Response.StatusCode = 204;
                return;
            case "share" when HttpMethods.IsPost(method):
                await ShareAsync(http, await RequireSessionAsync(http, csrf: true, ct), ct);
                return;
            case "usage" when HttpMethods.IsGet(method):
                await UsageAsync(http, await RequireSessionAsync(http, csrf: true, ct), ct);
                return;
            default:
                throw new ConsoleException("NotFound", $"no console operation {method} {route}", 404);
        }
    }

    private async Task SignInAsync(HttpContext http, CancellationToken ct)
    {
        // A JSON body cannot come from another site's form, so nobody can sign a visitor in to their own account.
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            throw new ConsoleException("InvalidRequest", "Sign-in takes a JSON body.", 415);
        var body = await ReadAsync(http, ConsoleJson.Default.SignInRequest, ct);
        var accessKey = body.AccessKey?.Trim() ?? "";
        if (accessKey.Length == 0 || string.IsNullOrEmpty(body.SecretKey))
            throw new ConsoleException("InvalidRequest", "Enter an access key and its secret.", 400);
        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(accessKey, address) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ConsoleException("TooManyAttempts", $"Too many failed sign-ins: try again in {seconds} s.", 429);
        }
        string cookie;
        ActiveSession session;
        try
        {
            (cookie, session) = await sessions.SignInAsync(accessKey, body.SecretKey, NullIfEmpty(body.SessionToken?.Trim()), ct);
        }
        catch (ConsoleException)
        {
            throttle.Failed(accessKey, address);
            throw;
        }
        throttle.Succeeded(accessKey);
        http.Response.Cookies.Append(ConsoleSessions.CookieName, cookie, ConsoleSessions.CookieOptions(http));
        await WriteAsync(http, 200, Info(session), ConsoleJson.Default.SessionInfo);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private async Task<ActiveSession> RequireSessionAsync(HttpContext http, bool csrf, CancellationToken ct)
    {
        var session = await sessions.FindAsync(http, ct)
                      ?? throw new ConsoleException("ConsoleSessionExpired", ConsoleSessions.SessionEnded().Message, 401);
        if (csrf && !ConsoleSessions.TokenMatches(session, http.Request.Headers[ConsoleSessions.CsrfHeader].ToString()))
            throw new ConsoleException("AccessDenied", ConsoleSessions.CsrfRefused().Message, 403);
        return session;
    }

    private SessionInfo Info(ActiveSession s) => new(s.Identity.DisplayName, s.Identity.OwnerId, s.Identity.AccessKey,
        // As the admin API decides: root's own keys, never temporary credentials.
        Admin: s.Identity.OwnerId == root.UserId && s.Identity is { Session: null, IamUser: null },
        Temporary: s.Identity.Session is not null, Role: s.Identity.Session?.RoleName is { Length: > 0 } role ? role : null,
        s.CsrfToken, s.Expires, (long)sessions.Options.Idle.TotalSeconds);

    private async Task ShareAsync(HttpContext http, ActiveSession session, CancellationToken ct)
    {
        var body = await ReadAsync(http, ConsoleJson.Default.ShareRequest, ct);
        if (string.IsNullOrEmpty(body.Bucket) || string.IsNullOrEmpty(body.Key))
            throw new ConsoleException("InvalidRequest", "A share link needs a bucket and a key.", 400);
        var now = time.GetUtcNow();
        var lifetime = TimeSpan.FromSeconds(body.ExpiresSeconds ?? 3600);
        if (lifetime <= TimeSpan.Zero || lifetime > SharedLinks.MaxLifetime)
            throw new ConsoleException("InvalidRequest", "A share link lasts from 1 second to 7 days.", 400);
        // A link made with temporary credentials stops working when they expire: it says so rather than promise more.
        if (session.Identity.Session is { } grant && grant.Expires - now < lifetime) lifetime = grant.Expires - now;
        var key = await credentials.FindAsync(session.Identity.AccessKey, ct)
                  ?? throw new ConsoleException("ConsoleSessionExpired", ConsoleSessions.SessionEnded().Message, 401);
        var host = http.Request.Host.Value ?? "localhost";
        var url = SharedLinks.Presign(SchemeSeenByBrowser(http, host), host, options.Region, key.AccessKey, key.SecretKey, session.SessionToken,
            body.Bucket, body.Key, NullIfEmpty(body.VersionId), body.Download ? body.Key.Split('/')[^1] : null, lifetime, now);
        await WriteAsync(http, 200, new SharedLink(url, now + lifetime), ConsoleJson.Default.SharedLink);
    }

    /// <summary>Behind a proxy that ends TLS the request is plain HTTP; the page's own Origin says what the browser uses.</summary>
    private static string SchemeSeenByBrowser(HttpContext http, string host) =>
        Uri.TryCreate(http.Request.Headers.Origin.ToString(), UriKind.Absolute, out var origin) && origin.Authority.Equals(host, StringComparison.OrdinalIgnoreCase)
            ? origin.Scheme
            : http.Request.Scheme;

    private async Task UsageAsync(HttpContext http, ActiveSession session, CancellationToken ct)
    {
        var name = http.Request.Query["bucket"].ToString();
        if (name.Length == 0) throw new ConsoleException("InvalidRequest", "Name a bucket.", 400);
        var bucket = await store.GetBucketAsync(name, ct) ?? throw S3Errors.NoSuchBucket(name);
        var req = new S3Request
        {
            Http = http, RequestId = RequestIds.Next(), Bucket = bucket.Name, RawPath = "/" + bucket.Name, RawQuery = "", Identity = session.Identity,
        };
        authorizer.Authorize(req, bucket, "s3:ListBucket");
        await WriteAsync(http, 200, await usage.GetBucketUsageAsync(bucket.Id, ct), ConsoleJson.Default.StorageUsage);
    }

    private static async Task<T> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, CancellationToken ct)
    {
        if (http.Request.ContentLength > MaxBody) throw new ConsoleException("InvalidRequest", "The request body is too large.", 413);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBody) throw new ConsoleException("InvalidRequest", "The request body is too large.", 413);
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return JsonSerializer.Deserialize(buffer.ToArray(), type) ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw new ConsoleException("InvalidRequest", "The request body is not the JSON this operation takes.", 400);
        }
    }

    public static async Task WriteAsync<T>(HttpContext http, int status, T value, JsonTypeInfo<T> type)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, value, type, http.RequestAborted);
    }
}
