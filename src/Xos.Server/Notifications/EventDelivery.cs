using Xos.Server.Hosting;
using Xos.Server.Notifications.Targets;
using Xos.Server.Storage;

namespace Xos.Server.Notifications;

/// <summary>
/// Sends the outbox's events to their targets. Each target's events go out one at a time in outbox order (so in order
/// per key), and an event leaves the outbox only after its target acknowledged it: delivery is at least once, and a
/// crash at any point leaves the event to be sent (again) by the next run. A target that fails is retried with a
/// backoff doubling from 0.5 s up to --notify-max-backoff (30 s), while its events wait in the database.
/// With several gateways on one database, a lease per target lets one gateway at a time deliver that target's events;
/// when it dies its lease runs out and another takes over.
/// </summary>
public sealed partial class EventDelivery(IMetadataStore store, ServerOptions options, ILogger<EventDelivery> log) : BackgroundService
{
    /// <summary>Events sent per target before its lease is renewed and the queue measured again.</summary>
    private const int BatchSize = 256;
    private static readonly TimeSpan BatchTime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The gateway, by host and address rather than by process: a gateway restarted after a crash takes its own leases
    /// back at once instead of waiting for them to run out (two live gateways cannot share a host and address).
    /// </summary>
    private readonly string _holder = $"{Environment.MachineName}:{options.Address}";
    private readonly Dictionary<string, TargetState> _targets = new(StringComparer.Ordinal);
    private DateTimeOffset _targetsRead = DateTimeOffset.MinValue;
    private bool _warnedFull;

    private sealed class TargetState(NotifyTarget target)
    {
        public NotifyTarget Target { get; set; } = target;
        public IEventSender? Sender;
        public int Failures;
        public DateTimeOffset RetryAt = DateTimeOffset.MinValue;
        /// <summary>Until when this gateway's lease on the target is known to last; renewed once a third of it has passed.</summary>
        public DateTimeOffset LeaseUntil = DateTimeOffset.MinValue;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        QueueStatus.Limit = options.NotifyQueueLimit;
        while (!stop.IsCancellationRequested)
        {
            var sent = 0;
            TimeSpan wait = Poll;
            try
            {
                (sent, wait) = await PassAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogPassFailed(e.Message);
            }
            if (sent > 0) continue;
            try
            {
                await store.EventsQueued.WaitAsync(wait, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        foreach (var state in _targets.Values)
            if (state.Sender is not null) await state.Sender.DisposeAsync();
    }

    /// <summary>Measures the outbox and delivers what the targets this gateway holds are due; returns how many were sent, and how long to wait when none.</summary>
    private async Task<(int Sent, TimeSpan Wait)> PassAsync(CancellationToken stop)
    {
        await RefreshTargetsAsync(stop);
        var stats = await store.GetEventQueueStatsAsync(stop);
        Measure(stats);
        var now = DateTimeOffset.UtcNow;
        var wait = Poll;
        var due = new List<TargetState>();
        foreach (var s in stats)
        {
            if (!_targets.TryGetValue(s.Target, out var state)) continue;
            if (state.RetryAt > now)
            {
                if (state.RetryAt - now < wait) wait = state.RetryAt - now;
                continue;
            }
            // The lease is a write: under a stream of events it is renewed when a third of it has passed, not on every pass.
            var lease = TimeSpan.FromSeconds(Math.Max(30, state.Target.Timeout.TotalSeconds * 3));
            if (state.LeaseUntil - now > lease * 2 / 3)
            {
                due.Add(state);
                continue;
            }
            var acquiredAt = DateTimeOffset.UtcNow;
            if (await store.TryAcquireLeaseAsync("notify:" + s.Target, _holder, lease, stop))
            {
                state.LeaseUntil = acquiredAt + lease;
                due.Add(state);
            }
            else state.LeaseUntil = DateTimeOffset.MinValue;
        }
        var sent = await Task.WhenAll(due.Select(state => DeliverAsync(state, stop)));
        return (sent.Sum(), wait);
    }

    private async Task RefreshTargetsAsync(CancellationToken ct)
    {
        if (DateTimeOffset.UtcNow - _targetsRead < TimeSpan.FromSeconds(2)) return;
        var targets = await store.ListNotifyTargetsAsync(ct);
        _targetsRead = DateTimeOffset.UtcNow;
        foreach (var t in targets)
        {
            if (!_targets.TryGetValue(t.Arn, out var state)) _targets[t.Arn] = new TargetState(t);
            else if (!SameSettings(state.Target, t))
            {
                // Changed settings take effect with a new sender.
                if (state.Sender is not null) await state.Sender.DisposeAsync();
                state.Sender = null;
                state.Target = t;
                state.RetryAt = DateTimeOffset.MinValue;
            }
        }
        foreach (var gone in _targets.Keys.Except(targets.Select(t => t.Arn)).ToList())
        {
            if (_targets[gone].Sender is { } sender) await sender.DisposeAsync();
            _targets.Remove(gone);
        }
    }

    private static bool SameSettings(NotifyTarget a, NotifyTarget b) =>
        a.Settings.Count == b.Settings.Count && a.Settings.All(kv => b.Settings.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private void Measure(IReadOnlyList<Storage.Sql.EventQueueStats> stats)
    {
        var now = DateTimeOffset.UtcNow;
        long total = 0;
        foreach (var arn in _targets.Keys.Where(a => stats.All(s => s.Target != a))) ServerMetrics.NotifyQueue(arn, 0, 0);
        foreach (var s in stats)
        {
            total += s.Count;
            ServerMetrics.NotifyQueue(s.Target, s.Count, Math.Max(0, (now - s.Oldest).TotalSeconds));
        }
        QueueStatus.Queued = total;
        var full = total > options.NotifyQueueLimit;
        QueueStatus.Full = full;
        ServerMetrics.NotifyFull(full);
        if (full && !_warnedFull) LogQueueFull(total, options.NotifyQueueLimit, options.NotifyRefuseWhenFull ? "refused" : "accepted");
        else if (!full && _warnedFull) LogQueueDrained(total);
        _warnedFull = full;
    }

    /// <summary>Sends a batch of one target's events in order; stops at the first failure, which schedules a retry.</summary>
    private async Task<int> DeliverAsync(TargetState state, CancellationToken stop)
    {
        var arn = state.Target.Arn;
        var events = await store.PeekEventsAsync(arn, BatchSize, stop);
        var acked = new List<long>(events.Count);
        var retried = 0;
        var started = DateTimeOffset.UtcNow;
        try
        {
            foreach (var e in events)
            {
                if (DateTimeOffset.UtcNow - started > BatchTime) break;
                state.Sender ??= EventSenders.Create(state.Target);
                await state.Sender.SendAsync(EventOrigin.WithSequencer(e.Payload, e.Id), e.Id, stop);
                acked.Add(e.Id);
                if (state.Failures > 0)
                {
                    retried++;
                    LogTargetBack(arn, state.Failures);
                    state.Failures = 0;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            state.Failures++;
            ServerMetrics.NotifyFailedAttempt(arn);
            var backoff = TimeSpan.FromSeconds(Math.Min(options.NotifyMaxBackoffSeconds, 0.5 * Math.Pow(2, Math.Min(state.Failures - 1, 20))));
            state.RetryAt = DateTimeOffset.UtcNow + backoff;
            if (state.Failures == 1 || state.Failures % 10 == 0) LogTargetDown(arn, state.Failures, backoff.TotalSeconds, e.GetBaseException().Message);
            // A sender that failed may hold a broken connection: the next attempt starts afresh.
            if (state.Sender is not null) await state.Sender.DisposeAsync();
            state.Sender = null;
        }
        // Acknowledged events leave the outbox even when the batch stopped early: a failure here resends them, never loses them.
        if (acked.Count > 0) await store.DeleteEventsAsync(acked, CancellationToken.None);
        ServerMetrics.NotifyDeliveries(arn, acked.Count, retried);
        return acked.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "event delivery pass failed: {Reason}")]
    private partial void LogPassFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "notification target {Target} failed {Failures} time(s), retrying in {Seconds:0.#} s; its events wait in the outbox: {Reason}")]
    private partial void LogTargetDown(string target, int failures, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "notification target {Target} accepts events again after {Failures} failed attempt(s)")]
    private partial void LogTargetBack(string target, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "THE EVENT NOTIFICATION QUEUE IS FULL: {Queued} events wait, over --notify-queue-limit {Limit}; nothing is dropped, writes are {Writes}. Check the targets (xos admin notify list).")]
    private partial void LogQueueFull(long queued, long limit, string writes);

    [LoggerMessage(Level = LogLevel.Information, Message = "the event notification queue is under its limit again ({Queued} events wait)")]
    private partial void LogQueueDrained(long queued);
}
