using System.Diagnostics;
using Xos.Server.Notifications.Targets;
using Xos.Server.Storage.Sql;

namespace Xos.Server.Notifications;

/// <summary>
/// Sends a batch of one target's events (in outbox order) and says which the target acknowledged. Events of the same
/// bucket and key form a lane that goes out one event at a time, each after the previous one's acknowledgement, so a
/// key's events arrive in order; different lanes travel side by side, up to the sender's
/// <see cref="IEventSender.Concurrency"/> at once. A sender that takes one event at a time gets the whole batch as
/// one lane: outbox order for every key. At the first failure no lane starts another event (those in flight finish and
/// count if acknowledged); a lane's events after one not acknowledged are not sent, so the next attempt resends from there.
/// </summary>
public static class EventBatch
{
    public sealed record Outcome(IReadOnlyList<long> Acknowledged, Exception? Failure);

    public static async Task<Outcome> SendAsync(IEventSender sender, IReadOnlyList<QueuedEvent> events, TimeSpan within, CancellationToken stop)
    {
        var acked = new List<long>(events.Count);
        Exception? failure = null;
        var halted = false;
        var started = Stopwatch.GetTimestamp();

        async Task SendLaneAsync(List<QueuedEvent> lane)
        {
            foreach (var e in lane)
            {
                if (Volatile.Read(ref halted) || stop.IsCancellationRequested || Stopwatch.GetElapsedTime(started) > within) return;
                try
                {
                    await sender.SendAsync(EventMessage.Compose(e.Payload, e.Id), e.Id, stop);
                }
                catch (Exception error)
                {
                    Interlocked.CompareExchange(ref failure, error, null);
                    Volatile.Write(ref halted, true);
                    return;
                }
                lock (acked) acked.Add(e.Id);
            }
        }

        var lanes = Lanes(events, sender.Concurrency);
        if (lanes.Count == 1) await SendLaneAsync(lanes[0]);
        else
            await Parallel.ForEachAsync(lanes, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(sender.Concurrency, lanes.Count) },
                async (lane, _) => await SendLaneAsync(lane));
        return new Outcome(acked, failure);
    }

    /// <summary>The events by bucket and key, each lane in outbox order, lanes in the order of their first event; one lane when sent one at a time.</summary>
    public static List<List<QueuedEvent>> Lanes(IReadOnlyList<QueuedEvent> events, int concurrency)
    {
        if (concurrency <= 1 || events.Count <= 1) return [[.. events]];
        var byKey = new Dictionary<string, List<QueuedEvent>>(StringComparer.Ordinal);
        var lanes = new List<List<QueuedEvent>>();
        foreach (var e in events)
        {
            var key = EventMessage.OrderKey(e.Payload);
            if (!byKey.TryGetValue(key, out var lane))
            {
                byKey[key] = lane = [];
                lanes.Add(lane);
            }
            lane.Add(e);
        }
        return lanes;
    }
}
