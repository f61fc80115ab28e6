using System.Diagnostics;
using Xos.Server.Hosting;
using Xos.Server.Notifications.Targets;
using Xos.Server.Storage;
using Xos.Server.Storage.Sql;

namespace Xos.Server.Notifications;

/// <summary>
/// Sends the outbox's events to their targets, in batches: each target's events go out in order per key (several keys
/// at once where the target takes it, see <see cref="EventBatch"/>), the acknowledged ones leave the outbox in one
/// transaction per batch. An event leaves the outbox only after its target acknowledged it: delivery is at least once, and a
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
    /// <summary>How long the worker lets events gather once a write has woken it: a stream of writes then goes out in batches.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The gateway, by host and address rather than by process: a gateway restarted after a crash takes its own leases
    /// back at once instead of waiting for them to run out (two live gateways cannot share a host and address).
    /// </summary>
    private readonly string _holder = $"{Environment.MachineName}:{options.Address}";
    private readonly Dictionary<string, TargetState> _targets = new(StringComparer.Ordinal);
    private DateTimeOffset _targetsRead = DateTimeOffset.MinValue;
    private long _measuredAt;
    /// <summary>
    /// How often the queue is measured: every second, or less often when a measurement (a scan of the outbox) takes over
    /// 1/20 of that, so that a long queue does not cost the worker most of its time.
    /// </summary>
    private TimeSpan _measureEvery = TimeSpan.FromSeconds(1);
    private bool _warnedFull;

    private sealed class TargetState(NotifyTarget target)
    {
        public NotifyTarget Target { get; set; } = target;
        public IEventSender? Sender;
        public int Failures;
        public DateTimeOffset RetryAt = DateTimeOffset.MinValue;
        /// <summary>Until when this gateway's lease on the target is known to last; renewed once a third of it has passed.</summary>
        public DateTimeOffset LeaseUntil = DateTimeOffset.MinValue;
        /// <summary>
        /// Where ids follow commits: the id up to which every event of the target has been delivered and deleted, so
        /// that the next read starts after it. Otherwise 0.
        /// </summary>
        public long After;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        QueueStatus.Limit = options.NotifyQueueLimit;
        while (!stop.IsCancellationRequested)
        {
            var more = false;
            TimeSpan wait = Poll;
            try
            {
                (more, wait) = await PassAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogPassFailed(e.Message);
            }
            // A full batch (or one cut short by its time) means more wait: go on at once. Otherwise wait for the next write's events, and let a few more
            // gather behind it, so that a stream of writes is sent in batches (one read, one delete transaction each)
            // rather than a pass per event.
            if (more) continue;
            try
            {
                if (await store.EventsQueued.WaitAsync(wait, stop)) await Task.Delay(Linger, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        foreach (var state in _targets.Values)
            if (state.Sender is not null) await state.Sender.DisposeAsync();
    }

    /// <summary>
    /// Delivers what the targets this gateway holds (or can take) have waiting; returns how many were sent, and how long
    /// to wait when none. Each target's next events are read first (from where it was delivered up to: cheap when there are none); the
    /// lease, a write, is taken only for a target with events. The queue is measured (a scan of the outbox) at most once a second.
    /// Returns whether more events wait (a target's batch was full or cut short), and how long to wait when none do.
    /// </summary>
    private async Task<(bool More, TimeSpan Wait)> PassAsync(CancellationToken stop)
    {
        await RefreshTargetsAsync(stop);
        if (Stopwatch.GetElapsedTime(_measuredAt) >= _measureEvery)
        {
            var started = Stopwatch.GetTimestamp();
            Measure(await store.GetEventQueueStatsAsync(stop));
            _measuredAt = Stopwatch.GetTimestamp();
            _measureEvery = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, Stopwatch.GetElapsedTime(started).Ticks * 20));
        }
        var now = DateTimeOffset.UtcNow;
        var wait = Poll;
        var due = new List<(TargetState, IReadOnlyList<QueuedEvent>, long)>();
        // Where ids follow commits, every event up to the outbox's highest id has committed: each target is read from
        // where it was delivered up to that id, and a read that finds fewer events than asked for covered the range.
        var followsCommits = store.EventIdsFollowCommits;
        var upTo = followsCommits && _targets.Count > 0 ? await store.LastEventIdAsync(stop) : long.MaxValue;
        long ReadTo(IReadOnlyList<QueuedEvent> events) => events.Count < BatchSize ? upTo : events[^1].Id;
        foreach (var state in _targets.Values)
        {
            if (state.RetryAt > now)
            {
                if (state.RetryAt - now < wait) wait = state.RetryAt - now;
                continue;
            }
            var events = await store.PeekEventsAsync(state.Target.Arn, state.After, upTo, BatchSize, stop);
            if (events.Count == 0)
            {
                if (followsCommits) state.After = Math.Max(state.After, upTo);
                continue;
            }
            // The lease is a write: under a stream of events it is renewed when a third of it has passed, not on every pass.
            var lease = TimeSpan.FromSeconds(Math.Max(30, state.Target.Timeout.TotalSeconds * 3));
            if (state.LeaseUntil - now > lease * 2 / 3)
            {
                due.Add((state, events, ReadTo(events)));
                continue;
            }
            var held = state.LeaseUntil > now;
            var acquiredAt = DateTimeOffset.UtcNow;
            if (await store.TryAcquireLeaseAsync("notify:" + state.Target.Arn, _holder, lease, stop))
            {
                state.LeaseUntil = acquiredAt + lease;
                // Taken from another gateway: it may have delivered what was read before the lease was ours.
                if (!held)
                {
                    state.After = 0;
                    events = await store.PeekEventsAsync(state.Target.Arn, 0, upTo, BatchSize, stop);
                }
                if (events.Count > 0) due.Add((state, events, ReadTo(events)));
            }
            else state.LeaseUntil = DateTimeOffset.MinValue;
        }
        var more = await Task.WhenAll(due.Select(d => DeliverAsync(d.Item1, d.Item2, d.Item3, stop)));
        return (more.Any(m => m), wait);
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

    /// <summary>
    /// Sends a batch of one target's events (see <see cref="EventBatch"/>); a failure schedules a retry. Returns whether
    /// more of its events wait: the batch was full, or ran out of time, without a failure.
    /// </summary>
    private async Task<bool> DeliverAsync(TargetState state, IReadOnlyList<QueuedEvent> events, long readTo, CancellationToken stop)
    {
        var arn = state.Target.Arn;
        IReadOnlyList<long> acked;
        Exception? failure;
        try
        {
            // A sender that cannot be made (a CA file gone bad since the target was added) fails like a delivery: retried, with backoff.
            state.Sender ??= EventSenders.Create(state.Target);
            (acked, failure) = await EventBatch.SendAsync(state.Sender, events, BatchTime, stop);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (acked, failure) = ([], e);
        }
        var retried = 0;
        if (acked.Count > 0 && state.Failures > 0)
        {
            retried = 1;
            LogTargetBack(arn, state.Failures);
            state.Failures = 0;
        }
        if (failure is not null && !(failure is OperationCanceledException && stop.IsCancellationRequested))
        {
            state.Failures++;
            ServerMetrics.NotifyFailedAttempt(arn);
            var backoff = TimeSpan.FromSeconds(Math.Min(options.NotifyMaxBackoffSeconds, 0.5 * Math.Pow(2, Math.Min(state.Failures - 1, 20))));
            state.RetryAt = DateTimeOffset.UtcNow + backoff;
            if (state.Failures == 1 || state.Failures % 10 == 0) LogTargetDown(arn, state.Failures, backoff.TotalSeconds, failure.GetBaseException().Message);
            // A sender that failed may hold a broken connection: the next attempt starts afresh.
            if (state.Sender is not null) await state.Sender.DisposeAsync();
            state.Sender = null;
        }
        // Acknowledged events leave the outbox, in one transaction, even when the batch stopped early: a failure here
        // resends them, never loses them.
        if (acked.Count > 0) await store.DeleteEventsAsync(acked, CancellationToken.None);
        if (store.EventIdsFollowCommits) state.After = Math.Max(state.After, DeliveredUpTo(events, acked, readTo));
        ServerMetrics.NotifyDeliveries(arn, acked.Count, retried);
        return failure is null && (events.Count == BatchSize || acked.Count < events.Count);
    }

    /// <summary>
    /// The id up to which every event of the target was acknowledged (and so deleted): the end of the range read
    /// (<paramref name="readTo"/>) when the whole batch was, otherwise up to the first event that was not.
    /// </summary>
    private static long DeliveredUpTo(IReadOnlyList<QueuedEvent> events, IReadOnlyList<long> acked, long readTo)
    {
        if (acked.Count == events.Count) return readTo;
        var done = new HashSet<long>(acked);
        foreach (var e in events)
            if (!done.Contains(e.Id)) return e.Id - 1;
        return events[^1].Id;
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
