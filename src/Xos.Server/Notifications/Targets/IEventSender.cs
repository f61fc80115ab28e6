namespace Xos.Server.Notifications.Targets;

/// <summary>
/// Sends events to one target. <see cref="SendAsync"/> returns only once the target acknowledged the event (an HTTP 2xx,
/// a Redis reply, a JetStream ack or a NATS round trip, an AMQP publisher confirm) and throws otherwise; the event then
/// stays in the outbox and is tried again.
/// </summary>
public interface IEventSender : IAsyncDisposable
{
    /// <param name="message">The event's JSON, in UTF-8.</param>
    /// <param name="id">The outbox id (the sequencer): a receiver may drop an id it has seen, since delivery is at least once.</param>
    Task SendAsync(byte[] message, long id, CancellationToken ct);

    /// <summary>
    /// How many <see cref="SendAsync"/> calls may run at once (never two of the same key: the worker keeps each key's
    /// events in order). 1, one after another, unless the sender is safe to call concurrently.
    /// </summary>
    int Concurrency => 1;
}

/// <summary>The sender of each kind of target.</summary>
public static class EventSenders
{
    public static IEventSender Create(NotifyTarget target) => target.Kind switch
    {
        "webhook" => new WebhookSender(target),
        "redis" => new RedisSender(target),
        "nats" => new NatsSender(target),
        "amqp" => new AmqpSender(target),
        _ => throw new ArgumentException($"unknown target kind {target.Kind}"),
    };
}
