using StackExchange.Redis;

namespace Xos.Server.Notifications.Targets;

/// <summary>
/// Redis: each event is appended to a stream with XADD (format=stream, the default; the entry's field "event" holds the
/// JSON and "id" the sequencer) or to a list with RPUSH (format=list). Settings: address (HOST:PORT), key (default
/// "xos-events"), password, timeout. Redis's reply to the command is the acknowledgement.
/// </summary>
public sealed class RedisSender(NotifyTarget target) : IEventSender
{
    private readonly string _key = target.Setting("key") ?? "xos-events";
    private readonly bool _list = target.Setting("format") is "list";
    private ConnectionMultiplexer? _redis;

    private async Task<IDatabase> DatabaseAsync()
    {
        if (_redis is { IsConnected: true } connected) return connected.GetDatabase();
        if (_redis is not null) await _redis.DisposeAsync();
        _redis = null;
        var options = ConfigurationOptions.Parse(target.Setting("address")!);
        options.Password = target.Setting("password") ?? options.Password;
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = options.SyncTimeout = options.AsyncTimeout = (int)target.Timeout.TotalMilliseconds;
        options.ConnectRetry = 1;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
        return _redis.GetDatabase();
    }

    public async Task SendAsync(byte[] message, long id, CancellationToken ct)
    {
        var db = await DatabaseAsync();
        if (_list) await db.ListRightPushAsync(_key, message);
        else await db.StreamAddAsync(_key, [new NameValueEntry("event", message), new NameValueEntry("id", EventMessage.Sequencer(id))]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
