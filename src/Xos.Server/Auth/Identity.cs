namespace Xos.Server.Auth;

/// <summary>
/// Who signed a request: the access key used and the account (canonical user) it belongs to; for temporary
/// credentials also the session, whose role policy and session policy bound what the request may do.
/// </summary>
public sealed record Identity(string AccessKey, string OwnerId, string DisplayName, string? SessionToken = null, SessionGrant? Session = null);

/// <summary>
/// What an STS session may do: both the role's policy and the optional session policy must allow it. Sessions of
/// GetSessionToken have no role (an empty name) and no policy: they act as their user.
/// </summary>
public sealed record SessionGrant(string RoleName, string SessionName, string? RolePolicy, string? SessionPolicy, DateTimeOffset Expires)
{
    public bool IsRoleSession => RoleName.Length > 0;
}

/// <summary>A stored access key with its secret and the account it belongs to; temporary keys carry their session.</summary>
public sealed record AccessKeyRecord(string AccessKey, string SecretKey, string OwnerId, string DisplayName, TemporaryKey? Temporary = null);

/// <summary>The session behind a temporary access key: the hash of its token, and what it was granted.</summary>
public sealed record TemporaryKey(string TokenHash, SessionGrant Grant);

/// <summary>Looks up access keys; the metadata store is the source of truth.</summary>
public interface ICredentialProvider
{
    ValueTask<AccessKeyRecord?> FindAsync(string accessKey, CancellationToken ct);
}
