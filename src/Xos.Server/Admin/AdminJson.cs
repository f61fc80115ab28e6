using System.Text.Json.Serialization;

namespace Xos.Server.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(List<UserSummary>))]
[JsonSerializable(typeof(IReadOnlyList<UserSummary>))]
[JsonSerializable(typeof(RoleSummary))]
[JsonSerializable(typeof(IReadOnlyList<RoleSummary>))]
[JsonSerializable(typeof(AdminRequest))]
[JsonSerializable(typeof(KmsKeySummary))]
[JsonSerializable(typeof(IReadOnlyList<KmsKeySummary>))]
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(NotifyTargetSummary))]
[JsonSerializable(typeof(IReadOnlyList<NotifyTargetSummary>))]
[JsonSerializable(typeof(NotifyTargetRequest))]
[JsonSerializable(typeof(NotifyRemoved))]
[JsonSerializable(typeof(OverviewSummary))]
[JsonSerializable(typeof(Buckets.PublicAccessBlockConfiguration))]
internal sealed partial class AdminJson : JsonSerializerContext;

/// <summary>The body of admin API POSTs: which fields apply depends on the resource.</summary>
public sealed record AdminRequest(string? Name, string? AccessKey, string? SecretKey, string? Policy, List<string>? Trust, string? Algorithm = null);

public sealed record AdminError(string Code, string Message);

/// <summary>POST /_xos/admin/notify/targets: a target's kind, name and settings.</summary>
public sealed record NotifyTargetRequest(string? Kind, string? Name, Dictionary<string, string>? Settings);

/// <summary>What removing a target removed.</summary>
public sealed record NotifyRemoved(string Arn, int DiscardedEvents);
