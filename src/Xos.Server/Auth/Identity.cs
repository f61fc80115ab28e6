namespace Xos.Server.Auth;

/// <summary>Who signed a request: the access key used and the account (canonical user) it belongs to.</summary>
public sealed record Identity(string AccessKey, string OwnerId, string DisplayName, string? SessionToken = null);

/// <summary>A stored access key with its secret and the account it belongs to.</summary>
public sealed record AccessKeyRecord(string AccessKey, string SecretKey, string OwnerId, string DisplayName);

/// <summary>Looks up access keys; the metadata store is the source of truth.</summary>
public interface ICredentialProvider
{
    ValueTask<AccessKeyRecord?> FindAsync(string accessKey, CancellationToken ct);
}
