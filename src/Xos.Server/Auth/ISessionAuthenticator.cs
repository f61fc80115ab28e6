using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>
/// Proves who sent a request that carries no signature by a session the server keeps (the web console's cookie).
/// Asked only for requests without any Authorization header or presigned query, so signed requests are never affected.
/// </summary>
public interface ISessionAuthenticator
{
    /// <summary>The session's identity; null when the request has no session that may act for it (it then stays anonymous).</summary>
    Task<Identity?> AuthenticateAsync(S3Request req, CancellationToken ct);
}
