using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Xos.Server.Auth;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.WebConsole;

/// <summary>A console session in force: who it acts as, its CSRF token, and the STS token of temporary credentials.</summary>
public sealed record ActiveSession(string Id, Identity Identity, string CsrfToken, DateTimeOffset Expires, string? SessionToken);

/// <summary>
/// Web console sessions. Signing in proves an access key's secret (and an STS token for temporary credentials) once;
/// the browser then holds only a random cookie (HttpOnly, SameSite=Strict, Secure under HTTPS) whose SHA-256 names
/// the session in the metadata store, so every gateway sharing the store knows it and signing out anywhere ends it.
/// Each request re-reads the access key: a revoked key, a changed secret or expired temporary credentials end the
/// session too.
///
/// Console requests are ordinary S3 (and IAM and admin API) requests sent by the browser: <see cref="RequestAuthenticator"/>
/// asks <see cref="AuthenticateAsync"/> for those without a signature, and the router, <see cref="Authorizer"/> and the
/// operations then treat the session's identity exactly as that of a signed request by the same key. Being the same
/// pipeline, the console can do nothing the keys cannot.
/// </summary>
public sealed class ConsoleSessions(IConsoleStore store, ICredentialProvider credentials, MasterKey masterKey, ConsoleOptions options, TimeProvider time)
    : ISessionAuthenticator
{
    public const string CookieName = "xos_console";
    /// <summary>Every state-changing console request carries the session's CSRF token in this header.</summary>
    public const string CsrfHeader = "X-XOS-CSRF";
    private const string TokenContext = "xos-console-session-token";

    public ConsoleOptions Options => options;

    public static ConsoleException WrongCredentials() =>
        new("InvalidCredentials", "The access key, secret or session token is not valid.", 401);

    public static S3Exception SessionEnded() =>
        new("ConsoleSessionExpired", 401, "The console session has expired or was signed out; sign in again.");

    public static S3Exception CsrfRefused() => S3Errors.AccessDenied("The console's CSRF token is missing or does not match the session.");

    /// <summary>Checks the credentials and opens a session; returns the cookie's value and the session.</summary>
    public async Task<(string Cookie, ActiveSession Session)> SignInAsync(string accessKey, string secretKey, string? sessionToken, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var key = await credentials.FindAsync(accessKey, ct);
        if (key is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(key.SecretKey)))
            throw WrongCredentials();
        var token = key.Temporary is null ? null : sessionToken;
        Identity identity;
        try
        {
            identity = RequestAuthenticator.IdentityFor(key, token, now);
        }
        catch (S3Exception e)
        {
            throw e.Code == "ExpiredToken" ? new ConsoleException(e.Code, "These temporary credentials have expired.", 401) : WrongCredentials();
        }
        await store.DeleteStaleConsoleSessionsAsync(now, now - options.Idle, ct);
        var secret = RandomNumberGenerator.GetBytes(32);
        var expires = now + options.Lifetime;
        if (identity.Session is { } grant && grant.Expires < expires) expires = grant.Expires;
        var record = new ConsoleSessionRecord(SessionId(secret), accessKey, SecretHash(key.SecretKey),
            token is null ? null : masterKey.Id + ":" + masterKey.Wrap(Encoding.UTF8.GetBytes(token), TokenContext), now, now, expires);
        await store.CreateConsoleSessionAsync(record, ct);
        return (Base64Url.EncodeToString(secret), new ActiveSession(record.Id, identity, CsrfToken(secret), expires, token));
    }

    /// <summary>The session the request's cookie names, if it is still in force; an ended one is removed from the store.</summary>
    public async Task<ActiveSession?> FindAsync(HttpContext http, CancellationToken ct)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var cookie) || DecodeCookie(cookie) is not { } secret) return null;
        var id = SessionId(secret);
        var record = await store.GetConsoleSessionAsync(id, ct);
        if (record is null) return null;
        var now = time.GetUtcNow();
        var session = now < record.Expires && now - record.LastSeen <= options.Idle ? await ResumeAsync(record, secret, now, ct) : null;
        if (session is null)
        {
            await store.DeleteConsoleSessionAsync(id, ct);
            return null;
        }
        if (now - record.LastSeen >= options.TouchInterval) await store.TouchConsoleSessionAsync(id, now, ct);
        return session;
    }

    private async Task<ActiveSession?> ResumeAsync(ConsoleSessionRecord record, byte[] secret, DateTimeOffset now, CancellationToken ct)
    {
        var key = await credentials.FindAsync(record.AccessKey, ct);
        if (key is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(SecretHash(key.SecretKey)), Encoding.ASCII.GetBytes(record.SecretHash)))
            return null;
        try
        {
            var token = record.SessionToken is { } wrapped ? UnwrapToken(wrapped) : null;
            return new ActiveSession(record.Id, RequestAuthenticator.IdentityFor(key, token, now), CsrfToken(secret), record.Expires, token);
        }
        catch (Exception e) when (e is S3Exception or CryptographicException or FormatException)
        {
            // Temporary credentials that expired, or a token sealed under another master key: the session is over.
            return null;
        }
    }

    public Task SignOutAsync(ActiveSession session, CancellationToken ct) => store.DeleteConsoleSessionAsync(session.Id, ct);

    /// <summary>
    /// The identity of an unsigned S3 or admin request that carries a console cookie. With the CSRF header (every
    /// request the console's scripts send) the token must match; without it, the cookie counts only for reads the
    /// browser made from the console's own pages (media elements, download links), never for a change or for a
    /// request another site started, which then stay anonymous and are authorised as such.
    /// </summary>
    public async Task<Identity?> AuthenticateAsync(S3Request req, CancellationToken ct)
    {
        if (!req.HttpRequest.Cookies.ContainsKey(CookieName) || IsFormUpload(req)) return null;
        var sentToken = req.Header(CsrfHeader);
        var session = await FindAsync(req.Http, ct);
        if (session is null) return sentToken is null ? null : throw SessionEnded();
        if (sentToken is not null) return TokenMatches(session, sentToken) ? session.Identity : throw CsrfRefused();
        return IsSameOriginRead(req.HttpRequest) ? session.Identity : null;
    }

    /// <summary>Browser POST uploads authenticate by the signature in their form alone.</summary>
    private static bool IsFormUpload(S3Request req) =>
        HttpMethods.IsPost(req.Method) && req.Bucket is not null && req.Key is null
        && req.HttpRequest.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;

    public static bool TokenMatches(ActiveSession session, string? sent) =>
        sent is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(session.CsrfToken));

    /// <summary>
    /// A GET or HEAD that the browser reports (Sec-Fetch-Site) as made by a page of this origin, or typed in by the
    /// user; clients that are not browsers send no such header and cannot be tricked into sending the cookie anyway.
    /// </summary>
    public static bool IsSameOriginRead(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && request.Headers["Sec-Fetch-Site"].ToString() is "" or "same-origin" or "none";

    /// <summary>The cookie that holds the session: HttpOnly, SameSite=Strict, on every path (S3's paths are the console's), Secure under HTTPS.</summary>
    public static CookieOptions CookieOptions(HttpContext http) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        IsEssential = true,
    };

    private static byte[]? DecodeCookie(string cookie)
    {
        var bytes = new byte[32];
        return cookie.Length == 43 && Base64Url.TryDecodeFromChars(cookie, bytes, out var written) && written == 32 ? bytes : null;
    }

    private static string SessionId(byte[] secret) => Convert.ToHexStringLower(SHA256.HashData(secret));

    /// <summary>Derived from the cookie's secret, so it needs no storage; knowing it tells nothing about the cookie.</summary>
    public static string CsrfToken(byte[] secret) => Base64Url.EncodeToString(HMACSHA256.HashData(secret, "xos-console-csrf"u8));

    /// <summary>What the session remembers of the secret key it was opened with: enough to notice it changed, nothing to sign with.</summary>
    private static string SecretHash(string secretKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("xos-console-secret\n" + secretKey)));

    private string UnwrapToken(string stored)
    {
        var colon = stored.IndexOf(':');
        if (colon < 0) throw new FormatException("a console session token without its master key id");
        return Encoding.UTF8.GetString(masterKey.Unwrap(stored[(colon + 1)..], stored[..colon], TokenContext));
    }
}
