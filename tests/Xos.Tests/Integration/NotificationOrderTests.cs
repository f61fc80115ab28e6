using System.Security.Cryptography;
using System.Text;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// Per-key order under concurrent delivery: a webhook gets several events at once (of different keys), each held a
/// random while before its answer and every seventh refused with 503, so that a server which sent a key's events side
/// by side, or went on with a key past an event that failed, would deliver some key's events out of order.
/// </summary>
public sealed class NotificationOrderTests
{
    private const int Keys = 4;
    private const int WritesPerKey = 15;

    [Fact]
    public async Task EachKeysEventsArriveInWriteOrderWhileKeysAreSentSideBySide()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_NOTIFY_MAX_BACKOFF"] = "1" });
        using var receiver = await NotificationTests.AddWebhookAsync(server);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await NotificationTests.ConfigureAsync(s3, "media", events: ["s3:ObjectCreated:*"]);
        // The events gather while the webhook is down, so that the first batch it accepts holds every key.
        receiver.Down = true;
        receiver.HoldMs = 30;
        receiver.FailEvery = 7;

        // Each key is written by one writer, its writes one after another; the keys in parallel.
        var written = await Task.WhenAll(Enumerable.Range(0, Keys).Select(k => Task.Run(async () =>
        {
            var etags = new List<string>();
            for (var i = 0; i < WritesPerKey; i++)
            {
                var body = $"key {k} write {i}";
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"k{k:D2}", ContentBody = body });
                etags.Add(Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body))));
            }
            return (Key: $"k{k:D2}", ETags: etags);
        })));
        receiver.Down = false;

        static string ETag(WebhookReceiver.Delivery d) => d.Record.GetProperty("s3").GetProperty("object").GetProperty("eTag").GetString()!;
        var needed = written.SelectMany(w => w.ETags).ToHashSet();
        var events = await receiver.WaitForAsync(e => needed.IsSubsetOf(e.Select(ETag)), seconds: 120);

        foreach (var (key, etags) in written)
        {
            var arrived = events.Where(e => e.Key == key).ToList();
            Assert.Equal(etags, arrived.Select(ETag).Distinct());
            Assert.Equal(arrived.Select(e => e.Sequencer).Order(StringComparer.Ordinal), arrived.Select(e => e.Sequencer));
        }
        Assert.True(receiver.Refused > 0, "the webhook refused nothing");
        // Delivery was concurrent: the webhook had more than one event in hand at a time.
        Assert.True(receiver.MaxInFlight > 1, $"the webhook never had two events at once (at most {receiver.MaxInFlight})");
    }

    [Fact]
    public async Task AWebhookWithConcurrencyOneGetsEveryEventInOutboxOrder()
    {
        await using var server = await XosProcess.StartAsync();
        using var receiver = await NotificationTests.AddWebhookAsync(server, "hook", "concurrency=1");
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await NotificationTests.ConfigureAsync(s3, "media", events: ["s3:ObjectCreated:*"]);
        receiver.Down = true;
        receiver.HoldMs = 5;
        var keys = Enumerable.Range(0, 20).Select(i => $"k{i:D2}").ToList();
        foreach (var key in keys) await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = key, ContentBody = "x" });
        receiver.Down = false;
        var events = await receiver.WaitForAsync(e => e.Count >= keys.Count);
        Assert.Equal(keys, events.Select(e => e.Key));
        Assert.Equal(1, receiver.MaxInFlight);

        // The setting is checked: a concurrency out of 1..256 is refused.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => XosAdmin.RunAsync(server, "notify", "add", "webhook", "bad", receiver.Url, "concurrency=0"));
        Assert.Contains("concurrency", refused.Message);
    }
}
