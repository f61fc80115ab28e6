using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// Two gateways sharing one PostgreSQL database: one gateway at a time delivers a target's events (each event arrives
/// once, in order), and when that gateway dies the other takes delivery over once the dead one's lease runs out.
/// </summary>
public sealed class NotificationClusterTests
{
    [ClusterFact]
    public async Task OneGatewayDeliversATargetsEventsAndItsDeathHandsDeliveryOver()
    {
        var postgres = await TestPostgres.LaunchAsync();
        var data = Path.Combine(Path.GetTempPath(), "xos-notify-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        using var receiver = new WebhookReceiver();
        try
        {
            var url = await TestPostgres.CreateDatabaseAsync("xos_notify", postgres);
            var env = new Dictionary<string, string> { ["XOS_METADATA_URL"] = url, ["XOS_NOTIFY_WEBHOOK_hook"] = receiver.Url };
            var gateways = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => XosProcess.StartAsync(data, environment: env)));
            try
            {
                var clients = gateways.Select(g => g.CreateClient()).ToArray();
                await clients[0].PutBucketAsync("media");
                await NotificationTests.ConfigureAsync(clients[0], "media", events: ["s3:ObjectCreated:*"]);
                // Both gateways write the same keys in turn.
                for (var i = 0; i < 40; i++)
                    await clients[i % 2].PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"k{i % 4}", ContentBody = $"write {i}" });
                var events = await receiver.WaitForAsync(e => e.Count >= 40);
                await Task.Delay(2000); // time for a second delivery, were two gateways delivering
                events = receiver.Events;
                Assert.Equal(40, events.Count);
                Assert.Equal(40, events.Select(e => e.Sequencer).Distinct().Count());
                foreach (var key in events.GroupBy(e => e.Key))
                    Assert.Equal(key.Select(e => e.Sequencer).Order(StringComparer.Ordinal), key.Select(e => e.Sequencer));

                // Which gateway holds the target's lease: kill it; the other delivers what is written next.
                var holder = -1;
                for (var g = 0; g < 2; g++)
                    if (await gateways[g].ExecuteMetadataSqlAsync("UPDATE leases SET expires = expires WHERE name = @n AND holder LIKE @h",
                            ("@n", "notify:" + NotificationTests.Arn), ("@h", $"%:127.0.0.1:{gateways[g].Port}")) == 1)
                        holder = g;
                Assert.NotEqual(-1, holder);
                gateways[holder].Crash();
                var survivor = clients[1 - holder];
                for (var i = 0; i < 5; i++)
                    await survivor.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"after{i}", ContentBody = "x" });
                var after = await receiver.WaitForAsync(e => e.Count(d => d.Key.StartsWith("after", StringComparison.Ordinal)) >= 5, seconds: 120);
                Assert.Equal(["after0", "after1", "after2", "after3", "after4"],
                    after.Where(d => d.Key.StartsWith("after", StringComparison.Ordinal)).OrderBy(d => d.Sequencer, StringComparer.Ordinal).Select(d => d.Key));
                foreach (var c in clients) c.Dispose();
            }
            finally
            {
                foreach (var g in gateways) await g.DisposeAsync();
            }
        }
        finally
        {
            TestPostgres.Stop(postgres);
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
