using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// Events under faults (short form): 30 writers overwrite a few keys each while the webhook is down for part of the
/// run and the server is SIGKILLed several times and restarted on the same data folder; then the webhook comes back.
/// Every acknowledged write must have its event, delivered at least once, in the order of the writes per key; no
/// event may name a write that was never attempted.
/// </summary>
public sealed class NotificationFaultTests
{
    private const int Writers = 30;
    private const int Kills = 3;

    [Fact]
    public async Task EveryAcknowledgedWriteHasItsEventInOrderPerKeyThroughKillsAndAnOutage()
    {
        var data = Path.Combine(Path.GetTempPath(), "xos-notify-fault-" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string> { ["XOS_NOTIFY_MAX_BACKOFF"] = "1" };
        using var receiver = new WebhookReceiver();
        // Per key, the ETags of the writes acknowledged, in order (a key has one writer, so its writes are ordered).
        var acknowledged = new ConcurrentDictionary<string, List<string>>();
        var attempted = new ConcurrentDictionary<string, byte>();
        var port = XosProcess.FreePort();
        XosProcess? server = null;
        try
        {
            server = await XosProcess.StartAsync(data, port, environment);
            await XosAdmin.RunAsync(server, "notify", "add", "webhook", "hook", receiver.Url);
            using (var s3 = server.CreateClient())
            {
                await s3.PutBucketAsync("media");
                await NotificationTests.ConfigureAsync(s3, "media", events: ["s3:ObjectCreated:*"]);
            }
            var counter = 0;
            for (var round = 0; round <= Kills; round++)
            {
                // The webhook is down during the second and third rounds, across a kill.
                receiver.Down = round is 1 or 2;
                using var stop = new CancellationTokenSource();
                using var s3 = server.CreateClient();
                var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var n = Interlocked.Increment(ref counter);
                        var key = $"w{w:D2}/k{n % 3}";
                        var body = $"{key} write {n}";
                        var etag = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));
                        attempted[etag] = 0;
                        try
                        {
                            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = key, ContentBody = body });
                        }
                        catch (Exception e) when (XosProcess.IsCutOffByAKill(e))
                        {
                            return; // the server is gone: whether this write committed is unknown
                        }
                        var list = acknowledged.GetOrAdd(key, _ => []);
                        lock (list) list.Add(etag);
                    }
                })).ToArray();
                // Each round lasts until it has acknowledged writes of its own (a loaded machine, or PostgreSQL, is slower).
                var before = acknowledged.Values.Sum(l => l.Count);
                var started = DateTime.UtcNow;
                await Task.Delay(1500);
                while (acknowledged.Values.Sum(l => l.Count) - before < 60 && DateTime.UtcNow - started < TimeSpan.FromSeconds(30)) await Task.Delay(100);
                if (round < Kills) server.Crash();
                stop.Cancel();
                await Task.WhenAll(writers);
                if (round < Kills) server = await XosProcess.StartAsync(data, port, environment);
            }
            receiver.Down = false;
            var total = acknowledged.Values.Sum(l => l.Count);
            Assert.True(total > 100, $"only {total} writes were acknowledged");

            var needed = acknowledged.Values.SelectMany(l => l).ToHashSet();
            string ETag(WebhookReceiver.Delivery d) => d.Record.GetProperty("s3").GetProperty("object").GetProperty("eTag").GetString()!;
            var events = await receiver.WaitForAsync(e => needed.IsSubsetOf(e.Select(ETag)), seconds: 180);
            await server.StopAsync();

            // No event for a write that was never made.
            Assert.All(events, e => Assert.True(attempted.ContainsKey(ETag(e)), $"an event for {e.Key} names a write never attempted"));
            foreach (var (key, etags) in acknowledged)
            {
                // Per key, the events' first arrivals come in the order of the writes (a redelivery after a kill may repeat some).
                var arrived = events.Where(e => e.Key == key).Select(ETag).Distinct().ToList();
                var acked = arrived.Where(etags.Contains).ToList();
                Assert.Equal(etags, acked);
                var sequencers = events.Where(e => e.Key == key).Select(e => e.Sequencer).Distinct().ToList();
                Assert.Equal(sequencers.Order(StringComparer.Ordinal), sequencers);
            }
            Assert.True(receiver.Refused > 0, "the webhook was never tried while it was down");
            var duplicates = events.Count - events.Select(e => e.Sequencer).Distinct().Count();
            Console.WriteLine($"notification fault test: {total} acknowledged writes, {events.Count} events received " +
                              $"({duplicates} redelivered), {receiver.Refused} refused while the webhook was down, {Kills} kills");
        }
        finally
        {
            // A failed assertion must not leave the server running.
            if (server is not null) await server.DisposeAsync();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
