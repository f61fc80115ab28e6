using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Xos.Tests.Integration;

/// <summary>
/// Events delivered to the real brokers from Debian's packages, each started by the test on a free loopback port:
/// Redis (a stream and a list), NATS (core and JetStream) and RabbitMQ (publisher confirms).
/// </summary>
public sealed class NotificationTargetTests
{
    /// <summary>Configures bucket "media" to send object creations to <paramref name="arn"/> and writes the keys.</summary>
    private static async Task WriteAsync(XosProcess server, string arn, params string[] keys)
    {
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await NotificationTests.ConfigureAsync(s3, "media", arn, events: ["s3:ObjectCreated:*"]);
        foreach (var key in keys) await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = key, ContentBody = key });
    }

    private static string KeyOf(string message)
    {
        var root = JsonDocument.Parse(message).RootElement;
        return root.TryGetProperty("Records", out var records) ? records[0].GetProperty("s3").GetProperty("object").GetProperty("key").GetString()! : "(test)";
    }

    [BrokerFact("redis-server", "redis-server")]
    public async Task RedisStreamsAndListsReceiveTheEvents()
    {
        await using var redis = await TestBroker.StartRedisAsync();
        // One target declared in the environment at start-up (as for a webhook, XOS_NOTIFY_<KIND>_<NAME>), one added by the administrator.
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_NOTIFY_REDIS_stream"] = $"127.0.0.1:{redis.Port} key=media-events",
        });
        await XosAdmin.RunAsync(server, "notify", "add", "redis", "list", $"address=127.0.0.1:{redis.Port}", "key=media-list", "format=list");
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("other");
        await NotificationTests.ConfigureAsync(s3, "other", "arn:xos:sqs::list:redis", events: ["s3:ObjectCreated:*"]);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "l1", ContentBody = "x" });
        await WriteAsync(server, "arn:xos:sqs::stream:redis", "a.mp4", "b.mp4");

        await using var client = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var db = client.GetDatabase();
        var entries = await NotificationTests.WaitAsync(() => db.StreamRangeAsync("media-events"), e => e.Length >= 3);
        Assert.Equal(["(test)", "a.mp4", "b.mp4"], entries.Select(e => KeyOf(e["event"]!)));
        Assert.All(entries.Skip(1), e => Assert.Equal(16, e["id"].ToString().Length));
        var list = await NotificationTests.WaitAsync(() => db.ListRangeAsync("media-list"), l => l.Length >= 2);
        Assert.Equal(["(test)", "l1"], list.Select(v => KeyOf(v!)));
    }

    [BrokerFact("nats-server", "nats-server")]
    public async Task NatsCoreAndJetStreamReceiveTheEvents()
    {
        await using var nats = await TestBroker.StartNatsAsync();
        var url = $"nats://127.0.0.1:{nats.Port}";
        await using var client = new NatsConnection(new NatsOpts { Url = url });
        var js = new NatsJSContext(client);
        await js.CreateStreamAsync(new StreamConfig("MEDIA", ["media.events"]));
        var core = new List<string>();
        var subscription = Task.Run(async () =>
        {
            await foreach (var msg in client.SubscribeAsync<string>("media.core")) lock (core) core.Add(msg.Data!);
        });
        await client.PingAsync();

        await using var server = await XosProcess.StartAsync();
        await XosAdmin.RunAsync(server, "notify", "add", "nats", "js", url, "subject=media.events", "jetstream=true");
        await XosAdmin.RunAsync(server, "notify", "add", "nats", "core", url, "subject=media.core");
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("other");
        await NotificationTests.ConfigureAsync(s3, "other", "arn:xos:sqs::core:nats", events: ["s3:ObjectCreated:*"]);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "c1", ContentBody = "x" });
        await WriteAsync(server, "arn:xos:sqs::js:nats", "a.mp4", "b.mp4");

        var stream = await NotificationTests.WaitAsync(async () => (await js.GetStreamAsync("MEDIA")).Info.State.Messages, n => n >= 3);
        Assert.Equal(3, stream);
        var consumer = await js.CreateOrUpdateConsumerAsync("MEDIA", new ConsumerConfig("reader"));
        var keys = new List<string>();
        await foreach (var msg in consumer.FetchAsync<string>(new NatsJSFetchOpts { MaxMsgs = 3, Expires = TimeSpan.FromSeconds(5) })) keys.Add(KeyOf(msg.Data!));
        Assert.Equal(["(test)", "a.mp4", "b.mp4"], keys);
        await NotificationTests.WaitAsync(() => { lock (core) return core.Count; }, n => n >= 2);
        lock (core) Assert.Equal(["(test)", "c1"], core.Select(KeyOf));
    }

    [BrokerFact("rabbitmq-server", "rabbitmq-server")]
    public async Task RabbitMqReceivesTheEventsWithPublisherConfirms()
    {
        await using var rabbit = await TestBroker.StartRabbitAsync();
        var url = $"amqp://guest:guest@127.0.0.1:{rabbit.Port}/";
        var factory = new ConnectionFactory { Uri = new Uri(url) };
        IConnection? connection = null;
        for (var attempt = 0; connection is null; attempt++)
        {
            try
            {
                connection = await factory.CreateConnectionAsync();
            }
            catch (Exception) when (attempt < 60)
            {
                await Task.Delay(1000); // the port opens a moment before the broker accepts logins
            }
        }
        await using var _ = connection;
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("media", ExchangeType.Direct, durable: true);
        await channel.QueueDeclareAsync("transcode", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("transcode", "media", "uploads");

        await using var server = await XosProcess.StartAsync();
        var added = await XosAdmin.RunAsync(server, "notify", "add", "amqp", "rabbit", url, "exchange=media", "routing-key=uploads");
        Assert.DoesNotContain("guest:guest", added); // the password in the URL is not shown back
        await WriteAsync(server, "arn:xos:sqs::rabbit:amqp", "a.mp4", "b.mp4");

        var keys = new List<string>();
        await NotificationTests.WaitAsync(async () =>
        {
            while (await channel.BasicGetAsync("transcode", autoAck: true) is { } got)
            {
                keys.Add(KeyOf(Encoding.UTF8.GetString(got.Body.Span)));
                Assert.Equal(DeliveryModes.Persistent, got.BasicProperties.DeliveryMode);
            }
            return keys.Count;
        }, n => n >= 3, seconds: 120);
        Assert.Equal(["(test)", "a.mp4", "b.mp4"], keys);
    }
}
