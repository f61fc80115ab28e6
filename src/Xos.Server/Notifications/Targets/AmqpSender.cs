using RabbitMQ.Client;

namespace Xos.Server.Notifications.Targets;

/// <summary>
/// AMQP 0-9-1 (RabbitMQ): each event is published to the exchange with the routing key, on a channel with publisher
/// confirms, so the publish completes only when the broker confirmed it (and throws when it refused it). Settings:
/// address (amqp://user:password@HOST:PORT/vhost), exchange (declared, of exchange-type, default direct; empty for
/// the default exchange), routing-key (default "xos-events"), durable (default true: a durable exchange and
/// persistent messages), timeout.
/// </summary>
public sealed class AmqpSender(NotifyTarget target) : IEventSender
{
    private readonly string _exchange = target.Setting("exchange") ?? "";
    private readonly string _routingKey = target.Setting("routing-key") ?? "xos-events";
    private readonly bool _durable = target.Setting("durable") is not ("false" or "0");
    private IConnection? _connection;
    private IChannel? _channel;

    private async Task<IChannel> ChannelAsync(CancellationToken ct)
    {
        if (_channel is { IsOpen: true } open) return open;
        await CloseAsync();
        var factory = new ConnectionFactory
        {
            Uri = new Uri(target.Setting("address")!),
            RequestedConnectionTimeout = target.Timeout,
            ContinuationTimeout = target.Timeout,
            AutomaticRecoveryEnabled = false,
        };
        _connection = await factory.CreateConnectionAsync(ct);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        if (_exchange.Length > 0)
            await _channel.ExchangeDeclareAsync(_exchange, target.Setting("exchange-type") ?? ExchangeType.Direct, _durable, autoDelete: false, cancellationToken: ct);
        return _channel;
    }

    public async Task SendAsync(byte[] message, long id, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            MessageId = EventMessage.Sequencer(id),
            DeliveryMode = _durable ? DeliveryModes.Persistent : DeliveryModes.Transient,
        };
        // With confirmation tracking the publish returns once the broker confirmed it, and throws on a nack.
        await channel.BasicPublishAsync(_exchange, _routingKey, mandatory: false, properties, message, ct);
    }

    private async Task CloseAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
        (_channel, _connection) = (null, null);
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}
