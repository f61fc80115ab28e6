using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Xos.Server.Notifications.Targets;

/// <summary>
/// NATS: each event is published on the subject (default "xos.events"). With jetstream=true the publish goes through
/// JetStream, acknowledged by the stream that stores it (with the sequencer as Nats-Msg-Id, so a resent event is
/// dropped as a duplicate); otherwise a round trip to the server after the publish confirms it arrived. Settings:
/// address (nats://HOST:PORT), subject, jetstream, user and password or token, timeout.
/// </summary>
public sealed class NatsSender(NotifyTarget target) : IEventSender
{
    private readonly string _subject = target.Setting("subject") ?? "xos.events";
    private readonly bool _jetStream = target.Setting("jetstream") is "true" or "1";
    private NatsConnection? _nats;

    private NatsConnection Connection() => _nats ??= new NatsConnection(new NatsOpts
    {
        Url = target.Setting("address")!,
        ConnectTimeout = target.Timeout,
        RequestTimeout = target.Timeout,
        CommandTimeout = target.Timeout,
        AuthOpts = new NatsAuthOpts { Username = target.Setting("user"), Password = target.Setting("password"), Token = target.Setting("token") },
    });

    public async Task SendAsync(byte[] message, long id, CancellationToken ct)
    {
        var nats = Connection();
        if (_jetStream)
        {
            var ack = await new NATS.Client.JetStream.NatsJSContext(nats).PublishAsync(_subject, message,
                opts: new NatsJSPubOpts { MsgId = EventMessage.Sequencer(id) }, cancellationToken: ct);
            ack.EnsureSuccess();
            return;
        }
        await nats.PublishAsync(_subject, message, cancellationToken: ct);
        await nats.PingAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_nats is not null) await _nats.DisposeAsync();
    }
}
