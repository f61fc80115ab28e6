using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Xos.Server.Bench;
using Xos.Server.Buckets;

namespace Xos.Server.Admin;

/// <summary>`xos admin --endpoint URL`: the admin operations through a running server's admin HTTP API, signed with root's keys.</summary>
public sealed class RemoteAdministration(Uri endpoint, string accessKey, string secretKey) : IAdministration, IDisposable
{
    private readonly S3BenchClient _client = new(new BenchOptions { Endpoint = endpoint, AccessKey = accessKey, SecretKey = secretKey });

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, object? body, JsonTypeInfo<T>? type, CancellationToken ct)
    {
        HttpContent? content = body switch
        {
            null => null,
            AdminRequest request => new StringContent(JsonSerializer.Serialize(request, AdminJson.Default.AdminRequest), Encoding.UTF8, "application/json"),
            NotifyTargetRequest target => new StringContent(JsonSerializer.Serialize(target, AdminJson.Default.NotifyTargetRequest), Encoding.UTF8, "application/json"),
            PublicAccessBlockConfiguration block => new StringContent(JsonSerializer.Serialize(block, AdminJson.Default.PublicAccessBlockConfiguration), Encoding.UTF8, "application/json"),
            _ => throw new ArgumentException("unsupported body", nameof(body)),
        };
        using var response = await _client.SendAsync(_client.Create(method, "_xos", "admin/" + path, content: content), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            string message;
            try
            {
                message = JsonSerializer.Deserialize(text, AdminJson.Default.AdminError)?.Message ?? text;
            }
            catch (JsonException)
            {
                message = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            throw new AdminException(message, (int)response.StatusCode);
        }
        return type is null || response.StatusCode == HttpStatusCode.NoContent ? default : JsonSerializer.Deserialize(text, type);
    }

    private async Task<T> RequireAsync<T>(HttpMethod method, string path, object? body, JsonTypeInfo<T> type, CancellationToken ct) =>
        await SendAsync(method, path, body, type, ct) ?? throw new AdminException($"the server answered {path} with nothing");

    private static AdminRequest Request(string? name = null, string? accessKey = null, string? secretKey = null, string? policy = null,
        List<string>? trust = null, string? algorithm = null) => new(name, accessKey, secretKey, policy, trust, algorithm);

    public Task<CreatedKey> AddUserAsync(string name, string? accessKey, string? secretKey, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, "users", Request(name, accessKey, secretKey), AdminJson.Default.CreatedKey, ct);

    public Task<IReadOnlyList<UserSummary>> ListUsersAsync(CancellationToken ct) =>
        RequireAsync(HttpMethod.Get, "users", null, AdminJson.Default.IReadOnlyListUserSummary, ct);

    public Task RemoveUserAsync(string name, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Delete, $"users/{Segment(name)}", null, null, ct);

    public Task<CreatedKey> AddKeyAsync(string userName, string? accessKey, string? secretKey, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, $"users/{Segment(userName)}/keys", Request(accessKey: accessKey, secretKey: secretKey), AdminJson.Default.CreatedKey, ct);

    public Task RemoveKeyAsync(string accessKey, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Delete, $"keys/{Segment(accessKey)}", null, null, ct);

    public Task<RoleSummary> AddRoleAsync(string name, string policy, IReadOnlyList<string> trustedUsers, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, "roles", Request(name, policy: policy, trust: trustedUsers.ToList()), AdminJson.Default.RoleSummary, ct);

    public Task<IReadOnlyList<RoleSummary>> ListRolesAsync(CancellationToken ct) =>
        RequireAsync(HttpMethod.Get, "roles", null, AdminJson.Default.IReadOnlyListRoleSummary, ct);

    public Task RemoveRoleAsync(string name, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Delete, $"roles/{Segment(name)}", null, null, ct);

    public Task<KmsKeySummary> AddKmsKeyAsync(string id, string? algorithm, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, "kms/keys", Request(id, algorithm: algorithm), AdminJson.Default.KmsKeySummary, ct);

    public Task<IReadOnlyList<KmsKeySummary>> ListKmsKeysAsync(CancellationToken ct) =>
        RequireAsync(HttpMethod.Get, "kms/keys", null, AdminJson.Default.IReadOnlyListKmsKeySummary, ct);

    public Task<KmsKeySummary> SetKmsKeyEnabledAsync(string id, bool enabled, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, $"kms/keys/{Segment(id)}/{(enabled ? "enable" : "disable")}", null, AdminJson.Default.KmsKeySummary, ct);

    public Task<KmsKeySummary> RotateKmsKeyAsync(string id, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, $"kms/keys/{Segment(id)}/rotate", null, AdminJson.Default.KmsKeySummary, ct);

    public async Task<PublicAccessBlockConfiguration?> GetAccountPublicAccessBlockAsync(string userName, CancellationToken ct)
    {
        try
        {
            return await SendAsync(HttpMethod.Get, $"users/{Segment(userName)}/public-access-block", null, AdminJson.Default.PublicAccessBlockConfiguration, ct);
        }
        catch (AdminException e) when (e.Status == 404 && e.Message.Contains("no account-wide public access block", StringComparison.Ordinal))
        {
            return null;
        }
    }

    public Task SetAccountPublicAccessBlockAsync(string userName, PublicAccessBlockConfiguration? config, CancellationToken ct) =>
        config is null
            ? SendAsync<object>(HttpMethod.Delete, $"users/{Segment(userName)}/public-access-block", null, null, ct)
            : SendAsync(HttpMethod.Put, $"users/{Segment(userName)}/public-access-block", config, AdminJson.Default.PublicAccessBlockConfiguration, ct);

    public Task<NotifyTargetSummary> AddNotifyTargetAsync(string kind, string name, IReadOnlyDictionary<string, string> settings, CancellationToken ct) =>
        RequireAsync(HttpMethod.Post, "notify/targets", new NotifyTargetRequest(kind, name, new Dictionary<string, string>(settings)),
            AdminJson.Default.NotifyTargetSummary, ct);

    public Task<IReadOnlyList<NotifyTargetSummary>> ListNotifyTargetsAsync(CancellationToken ct) =>
        RequireAsync(HttpMethod.Get, "notify/targets", null, AdminJson.Default.IReadOnlyListNotifyTargetSummary, ct);

    public async Task<int> RemoveNotifyTargetAsync(string arn, CancellationToken ct) =>
        (await RequireAsync(HttpMethod.Delete, $"notify/targets/{Segment(arn)}", null, AdminJson.Default.NotifyRemoved, ct)).DiscardedEvents;

    public void Dispose() => _client.Dispose();
}
