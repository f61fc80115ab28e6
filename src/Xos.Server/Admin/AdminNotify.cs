using System.Text.Json;
using Xos.Server.Notifications;

namespace Xos.Server.Admin;

/// <summary>A notification target as the administrator sees it: secrets shown as "(set)", with what waits for it.</summary>
public sealed record NotifyTargetSummary(string Arn, string Kind, string Name, IReadOnlyDictionary<string, string> Settings,
    DateTimeOffset Created, long Queued, DateTimeOffset? Oldest);

/// <summary>
/// Notification targets: what `xos admin notify add|list|remove`, the admin HTTP API (/_xos/admin/notify/targets) and the
/// environment at start-up (XOS_NOTIFY_KIND_NAME) create, list and remove. Buckets name a target by its ARN.
/// </summary>
public sealed partial class AdminService
{
    public async Task<NotifyTargetSummary> AddNotifyTargetAsync(string kind, string name, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        NotifyTarget target;
        try
        {
            target = NotifyTarget.Create(kind, name, settings);
        }
        catch (ArgumentException e)
        {
            throw new AdminException(e.Message);
        }
        await store.PutNotifyTargetAsync(target, ct);
        return (await ListNotifyTargetsAsync(ct)).First(t => t.Arn == target.Arn);
    }

    public async Task<IReadOnlyList<NotifyTargetSummary>> ListNotifyTargetsAsync(CancellationToken ct)
    {
        var queues = (await store.GetEventQueueStatsAsync(ct)).ToDictionary(s => s.Target);
        return (await store.ListNotifyTargetsAsync(ct)).Select(t =>
        {
            var q = queues.GetValueOrDefault(t.Arn);
            return new NotifyTargetSummary(t.Arn, t.Kind, t.Name, t.Redacted, t.Created, q?.Count ?? 0, q?.Oldest);
        }).ToList();
    }

    /// <summary>Removes the target named by its ARN, or KIND and NAME; the events still waiting for it go with it.</summary>
    public async Task<int> RemoveNotifyTargetAsync(string arn, CancellationToken ct) =>
        await store.DeleteNotifyTargetAsync(arn, ct) ?? throw new AdminException($"no notification target {arn}", 404);

    /// <summary>
    /// Creates or updates the targets declared in the environment: XOS_NOTIFY_WEBHOOK_NAME=URL (or "endpoint=URL token=..."),
    /// and XOS_NOTIFY_REDIS_NAME, XOS_NOTIFY_NATS_NAME, XOS_NOTIFY_AMQP_NAME with an address or KEY=VALUE words.
    /// </summary>
    public async Task<IReadOnlyList<string>> ProvisionNotifyTargetsAsync(System.Collections.IDictionary environment, CancellationToken ct)
    {
        var created = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in environment)
        {
            if (entry.Key is not string variable || entry.Value is not string value || !variable.StartsWith("XOS_NOTIFY_", StringComparison.Ordinal)) continue;
            var rest = variable["XOS_NOTIFY_".Length..];
            var kind = NotifyTarget.Kinds.FirstOrDefault(k => rest.StartsWith(k.ToUpperInvariant() + "_", StringComparison.Ordinal));
            if (kind is null)
            {
                // The server's own XOS_NOTIFY_* settings; anything else is a misspelt target, refused rather than ignored.
                if (rest is "QUEUE_LIMIT" or "REFUSE_WHEN_FULL" or "MAX_BACKOFF") continue;
                throw new AdminException($"{variable}: not a notification target: name one as XOS_NOTIFY_{{WEBHOOK,REDIS,NATS,AMQP}}_NAME");
            }
            var name = rest[(kind.Length + 1)..];
            try
            {
                var settings = NotifyTarget.ParseSettings(kind, value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                created.Add((await AddNotifyTargetAsync(kind, name, settings, ct)).Arn);
            }
            catch (AdminException e)
            {
                throw new AdminException($"{variable}: {e.Message}");
            }
        }
        return created;
    }

    public static void PrintTargets(IReadOnlyList<NotifyTargetSummary> targets, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(targets, AdminJson.Default.IReadOnlyListNotifyTargetSummary));
        else foreach (var t in targets) PrintTarget(t, false);
    }

    public static void PrintTarget(NotifyTargetSummary t, bool json) =>
        Console.WriteLine(json ? JsonSerializer.Serialize(t, AdminJson.Default.NotifyTargetSummary)
            : $"{t.Arn,-44} {string.Join(" ", t.Settings.Select(kv => $"{kv.Key}={kv.Value}"))}  queued: {t.Queued}");
}
