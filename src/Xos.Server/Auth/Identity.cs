namespace Xos.Server.Auth;

/// <summary>
/// Who signed a request: the access key used and the account (canonical user) it belongs to; for temporary
/// credentials also the session, whose role policy and session policy bound what the request may do.
/// </summary>
/// <remarks>
/// <paramref name="AdminPolicies"/>: the policies the administrator put on or attached to the account in its namespace
/// (see Iam/AdministratorNamespace.cs); null when there are none.
/// </remarks>
public sealed record Identity(string AccessKey, string OwnerId, string DisplayName, string? SessionToken = null, SessionGrant? Session = null,
    IamPrincipal? IamUser = null, IReadOnlyList<string>? AdminPolicies = null)
{
    /// <summary>The caller's ARN: an IAM user's, a session's of a role made with the IAM API, or the account root's.</summary>
    public string Arn => IamUser?.Arn(OwnerId)
                         ?? (Session is { RoleArn: not null } s ? $"arn:aws:sts::{Iam.AdministratorNamespace.ArnAccount(OwnerId)}:assumed-role/{s.RoleName}/{s.SessionName}" : null)
                         ?? $"arn:aws:iam::{OwnerId}:root";
}

/// <summary>
/// An IAM user inside the account that owns the key: it acts on the account's resources only as its identity
/// policies (its own, its groups', the managed ones attached) allow.
/// </summary>
public sealed record IamPrincipal(string Id, string Name, string Path, IReadOnlyList<string> Policies)
{
    public string Arn(string accountId) => $"arn:aws:iam::{accountId}:user{Path}{Name}";
}

/// <summary>
/// What an STS session may do: both the role's policy and the optional session policy must allow it. Sessions of
/// GetSessionToken have no role (an empty name) and no policy: they act as their user.
/// </summary>
/// <remarks>
/// A role made with the IAM API (<paramref name="RoleArn"/>, <paramref name="RoleId"/>) has no single policy: its inline and
/// attached policies (<paramref name="RolePolicies"/>) must allow, and its sessions act in the role's account.
/// </remarks>
public sealed record SessionGrant(string RoleName, string SessionName, string? RolePolicy, string? SessionPolicy, DateTimeOffset Expires,
    IReadOnlyList<string>? RolePolicies = null, string? RoleArn = null, string? RoleId = null)
{
    public bool IsRoleSession => RoleName.Length > 0;
}

/// <summary>A stored access key with its secret and the account it belongs to; temporary keys carry their session.</summary>
public sealed record AccessKeyRecord(string AccessKey, string SecretKey, string OwnerId, string DisplayName, TemporaryKey? Temporary = null,
    IamPrincipal? IamUser = null, IReadOnlyList<string>? AdminPolicies = null);

/// <summary>The session behind a temporary access key: the hash of its token, and what it was granted.</summary>
public sealed record TemporaryKey(string TokenHash, SessionGrant Grant);

/// <summary>Looks up access keys; the metadata store is the source of truth.</summary>
public interface ICredentialProvider
{
    ValueTask<AccessKeyRecord?> FindAsync(string accessKey, CancellationToken ct);
}
