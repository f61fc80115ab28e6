using Xos.Server.Buckets;

namespace Xos.Server.Admin;

/// <summary>
/// What `xos admin` can do: the same operations on a local data folder (<see cref="AdminService"/>) or on a running
/// server through its admin HTTP API (<see cref="RemoteAdministration"/>).
/// </summary>
public interface IAdministration
{
    Task<CreatedKey> AddUserAsync(string name, string? accessKey, string? secretKey, CancellationToken ct);
    Task<IReadOnlyList<UserSummary>> ListUsersAsync(CancellationToken ct);
    Task RemoveUserAsync(string name, CancellationToken ct);
    Task<CreatedKey> AddKeyAsync(string userName, string? accessKey, string? secretKey, CancellationToken ct);
    Task RemoveKeyAsync(string accessKey, CancellationToken ct);
    Task<RoleSummary> AddRoleAsync(string name, string policy, IReadOnlyList<string> trustedUsers, CancellationToken ct);
    Task<IReadOnlyList<RoleSummary>> ListRolesAsync(CancellationToken ct);
    Task RemoveRoleAsync(string name, CancellationToken ct);
    Task<KmsKeySummary> AddKmsKeyAsync(string id, string? algorithm, CancellationToken ct);
    Task<IReadOnlyList<KmsKeySummary>> ListKmsKeysAsync(CancellationToken ct);
    Task<KmsKeySummary> SetKmsKeyEnabledAsync(string id, bool enabled, CancellationToken ct);
    Task<KmsKeySummary> RotateKmsKeyAsync(string id, CancellationToken ct);
    Task<PublicAccessBlockConfiguration?> GetAccountPublicAccessBlockAsync(string userName, CancellationToken ct);
    Task SetAccountPublicAccessBlockAsync(string userName, PublicAccessBlockConfiguration? config, CancellationToken ct);
    Task<NotifyTargetSummary> AddNotifyTargetAsync(string kind, string name, IReadOnlyDictionary<string, string> settings, CancellationToken ct);
    Task<IReadOnlyList<NotifyTargetSummary>> ListNotifyTargetsAsync(CancellationToken ct);
    /// <summary>Removes the target with that ARN; returns how many events waiting for it were removed with it.</summary>
    Task<int> RemoveNotifyTargetAsync(string arn, CancellationToken ct);
}
