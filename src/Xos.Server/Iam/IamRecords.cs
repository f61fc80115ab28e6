namespace Xos.Server.Iam;

/// <summary>What an inline policy, an attachment or a tag belongs to; stored by these names.</summary>
public enum IamKind { User, Group, Role }

/// <summary>An IAM user or group inside an account (an XOS user); names are unique per account regardless of case.</summary>
public sealed record IamEntity(string Id, string AccountId, string Name, string Path, DateTimeOffset Created);

/// <summary>A role as the IAM API sees it (the roles table, with the columns schema 7 added).</summary>
public sealed record IamRole(string Name, string Id, string AccountId, string Path, string? Description, int MaxSessionSeconds,
    string TrustPolicy, DateTimeOffset Created);

/// <summary>An access key of an IAM user or of the account root; the secret only when just created.</summary>
public sealed record IamAccessKey(string AccessKey, string Status, DateTimeOffset Created);

/// <summary>A customer managed policy: its default version's number and how many users, groups and roles it is attached to.</summary>
public sealed record ManagedPolicy(string Arn, string Id, string AccountId, string Name, string Path, string? Description,
    int DefaultVersion, DateTimeOffset Created, DateTimeOffset Updated, int AttachmentCount);

public sealed record PolicyVersion(int Version, string Document, DateTimeOffset Created, bool IsDefault);

/// <summary>An OpenID Connect identity provider registered in an account (kept for IAM's API; XOS does not verify web identities).</summary>
public sealed record OidcProvider(string Arn, string AccountId, string Url, IReadOnlyList<string> ClientIds, IReadOnlyList<string> Thumbprints,
    DateTimeOffset Created);

/// <summary>How a conditional IAM write ended.</summary>
public enum IamWrite { Done, NotFound, Exists, Conflict, Limit }

/// <summary>The IAM entities of accounts, their policies and tags, kept in the metadata store with the access keys.</summary>
public interface IIamStore
{
    // Users and groups (kind User or Group)
    /// <summary>Creates the user or group; Exists when the name is taken, Limit when the account has <paramref name="limit"/> already.</summary>
    Task<IamWrite> CreateEntityAsync(IamKind kind, IamEntity entity, int limit, CancellationToken ct);
    /// <summary>How many users, groups, roles, customer managed policies, OpenID Connect providers and root access keys the account has.</summary>
    Task<(long Users, long Groups, long Roles, long Policies, long Providers, long RootKeys)> CountIamAsync(string accountId, CancellationToken ct);
    Task<IamEntity?> GetEntityAsync(IamKind kind, string accountId, string name, CancellationToken ct);
    Task<IReadOnlyList<IamEntity>> ListEntitiesAsync(IamKind kind, string accountId, string pathPrefix, CancellationToken ct);
    Task<IamWrite> UpdateEntityAsync(IamKind kind, string accountId, string name, string? newName, string? newPath, CancellationToken ct);
    /// <summary>Deletes the user or group and its tags; Conflict while it has keys, policies or (a group) members.</summary>
    Task<IamWrite> DeleteEntityAsync(IamKind kind, string accountId, string name, CancellationToken ct);

    // Group membership
    Task<IamWrite> SetMembershipAsync(string accountId, string groupName, string userName, bool member, CancellationToken ct);
    Task<IReadOnlyList<IamEntity>> ListGroupMembersAsync(string groupId, CancellationToken ct);
    Task<IReadOnlyList<IamEntity>> ListGroupsForUserAsync(string userId, CancellationToken ct);

    // Access keys of an IAM user (iamUserId) or of the account root (null)
    Task<IamWrite> CreateIamAccessKeyAsync(string accountId, string? iamUserId, string accessKey, string secretKey, DateTimeOffset created, int limit, CancellationToken ct);
    Task<IReadOnlyList<IamAccessKey>> ListIamAccessKeysAsync(string accountId, string? iamUserId, CancellationToken ct);
    Task<IamWrite> UpdateIamAccessKeyAsync(string accountId, string? iamUserId, string accessKey, string? status, CancellationToken ct);
    /// <summary>The owner of a key of this account: (found, the IAM user's name or null for the root).</summary>
    Task<(bool Found, string? IamUserName)> FindIamAccessKeyOwnerAsync(string accountId, string accessKey, CancellationToken ct);

    // Roles made with the IAM API
    Task<IamWrite> CreateIamRoleAsync(IamRole role, CancellationToken ct);
    Task<IamRole?> GetIamRoleAsync(string accountId, string name, CancellationToken ct);
    Task<IReadOnlyList<IamRole>> ListIamRolesAsync(string accountId, string pathPrefix, CancellationToken ct);
    Task<IamWrite> UpdateIamRoleAsync(string accountId, string name, string? description, int? maxSessionSeconds, string? trustPolicy, CancellationToken ct);
    Task<IamWrite> DeleteIamRoleAsync(string accountId, string name, CancellationToken ct);

    // Inline policies, by the owner's id (a user's or group's id, a role's name)
    Task PutInlinePolicyAsync(string accountId, IamKind kind, string ownerId, string name, string document, CancellationToken ct);
    Task<string?> GetInlinePolicyAsync(IamKind kind, string ownerId, string name, CancellationToken ct);
    Task<IReadOnlyList<string>> ListInlinePoliciesAsync(IamKind kind, string ownerId, CancellationToken ct);
    Task<bool> DeleteInlinePolicyAsync(IamKind kind, string ownerId, string name, CancellationToken ct);

    // Managed policies
    Task<IamWrite> CreateManagedPolicyAsync(ManagedPolicy policy, string document, CancellationToken ct);
    Task<ManagedPolicy?> GetManagedPolicyAsync(string accountId, string arn, CancellationToken ct);
    Task<IReadOnlyList<ManagedPolicy>> ListManagedPoliciesAsync(string accountId, string pathPrefix, CancellationToken ct);
    Task<PolicyVersion?> GetPolicyVersionAsync(string arn, int version, CancellationToken ct);
    Task<IReadOnlyList<PolicyVersion>> ListPolicyVersionsAsync(string arn, CancellationToken ct);
    /// <summary>Adds a version (at most <paramref name="limit"/> kept); returns its number, or null with Limit/NotFound.</summary>
    Task<(IamWrite Result, int Version)> CreatePolicyVersionAsync(string arn, string document, bool setDefault, int limit, CancellationToken ct);
    Task<IamWrite> DeletePolicyVersionAsync(string arn, int version, CancellationToken ct);
    Task<IamWrite> SetDefaultPolicyVersionAsync(string arn, int version, CancellationToken ct);
    Task<IamWrite> DeleteManagedPolicyAsync(string arn, CancellationToken ct);
    Task<IamWrite> AttachPolicyAsync(string accountId, IamKind kind, string ownerId, string policyArn, bool attach, CancellationToken ct);
    Task<IReadOnlyList<string>> ListAttachedPoliciesAsync(IamKind kind, string ownerId, CancellationToken ct);
    /// <summary>How many users, groups and roles of the account the policy is attached to.</summary>
    Task<int> CountAttachmentsAsync(string accountId, string policyArn, CancellationToken ct);

    // OpenID Connect providers
    Task<IamWrite> CreateOidcProviderAsync(OidcProvider provider, CancellationToken ct);
    Task<OidcProvider?> GetOidcProviderAsync(string accountId, string arn, CancellationToken ct);
    Task<IReadOnlyList<OidcProvider>> ListOidcProvidersAsync(string accountId, CancellationToken ct);
    /// <summary>Replaces the provider's client ids and thumbprints with what <paramref name="change"/> makes of them, in one transaction.</summary>
    Task<IamWrite> UpdateOidcProviderAsync(string accountId, string arn, Func<OidcProvider, OidcProvider> change, CancellationToken ct);
    Task<bool> DeleteOidcProviderAsync(string accountId, string arn, CancellationToken ct);

    // Tags
    /// <summary>Adds or replaces tags; Limit when the owner would have more than <paramref name="limit"/>.</summary>
    Task<IamWrite> TagAsync(string accountId, IamKind kind, string ownerId, IReadOnlyList<KeyValuePair<string, string>> tags, int limit, CancellationToken ct);
    Task UntagAsync(IamKind kind, string ownerId, IReadOnlyList<string> keys, CancellationToken ct);
    Task<IReadOnlyList<KeyValuePair<string, string>>> ListTagsAsync(IamKind kind, string ownerId, CancellationToken ct);
}
