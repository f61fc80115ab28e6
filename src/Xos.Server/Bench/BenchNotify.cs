using System.Net;
using System.Text;
using System.Text.Json;

namespace Xos.Server.Bench;

/// <summary>
/// The notify-SIZE workload: after an unrecorded warm-up with notifications on, PUTs of SIZE with the bucket's
/// notifications off, then the same with every write sending an event to a webhook (a receiver inside the bench, on loopback, registered through the admin API with root's keys,
/// so the server must run on this host), in the same run. Reports both runs, the ratio of their throughputs and the
/// rate at which the webhook received the events.
/// </summary>
public static class BenchNotify
{
    public static async Task<IReadOnlyList<WorkloadResult>> RunAsync(S3BenchClient client, string bucket, Workload w,
        Func<Workload, Task<WorkloadResult>> runPut, CancellationToken ct)
    {
        var receiver = new Receiver();
        await using var app = await receiver.StartAsync(ct);
        var port = receiver.Port;

        var name = $"bench{Guid.NewGuid():N}"[..16];
        var arn = $"arn:xos:sqs::{name}:webhook";
        var target = JsonSerializer.Serialize(new Admin.NotifyTargetRequest("webhook", name, new() { ["endpoint"] = $"http://127.0.0.1:{port}/" }),
            Admin.AdminJson.Default.NotifyTargetRequest);
        await client.SendForTextAsync(client.Create(HttpMethod.Post, "_xos", "admin/notify/targets", content: new StringContent(target, Encoding.UTF8, "application/json")), ct);
        try
        {
            var config = "<NotificationConfiguration><QueueConfiguration><Id>bench</Id>" +
                         $"<Queue>{arn}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>";
            Task Notify(string document, CancellationToken token) => client.SendForTextAsync(
                client.Create(HttpMethod.Put, bucket, null, "notification=", new StringContent(document, Encoding.UTF8, "application/xml")), token);
            // Waits for the events of the acknowledged writes (and the test event), as long as they keep arriving.
            async Task<long> DrainAsync(long before, long expected)
            {
                while (receiver.Received - before < expected && DateTimeOffset.UtcNow - receiver.LastArrival < TimeSpan.FromSeconds(10))
                    await Task.Delay(50, ct);
                return receiver.Received - before;
            }

            var put = w with { Kind = "put" };
            // An unrecorded warm-up with notifications on: the code that renders, stores, sends and deletes events runs
            // hot (recompiled by .NET's tiered JIT) before either run is measured, as the PUTs' own code is after put-SIZE.
            await Notify(config, ct);
            var warmBefore = receiver.Received;
            var warm = await runPut(put with { Name = w.Name + "-warmup" });
            await DrainAsync(warmBefore, warm.Ops + 1);
            await Notify("<NotificationConfiguration/>", ct);

            var off = await runPut(put with { Name = w.Name + "-off" });
            await Notify(config, ct);
            var before = receiver.Received;
            var started = DateTimeOffset.UtcNow;
            var on = await runPut(put with { Name = w.Name + "-on" });
            var delivered = await DrainAsync(before, on.Ops + 1);
            var seconds = Math.Max(0.001, (receiver.LastArrival - started).TotalSeconds);
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{w.Name}: notifications on/off throughput {on.OpsPerSec / Math.Max(off.OpsPerSec, 0.001):F2}; the webhook received {delivered} of {on.Ops + 1} events, {delivered / seconds:F1} events/s"));
            await Notify("<NotificationConfiguration/>", CancellationToken.None);
            return [off, on];
        }
        finally
        {
            await client.SendForTextAsync(client.Create(HttpMethod.Delete, "_xos", "admin/notify/targets/" + Uri.EscapeDataString(arn)), CancellationToken.None);
        }
    }

    /// <summary>
    /// The webhook: Kestrel alone (no routing, logging or middleware, as `xos bench ceiling`), on a free loopback port,
    /// answering 200 to every POST once its body is read, so that it costs the bench as little as an HTTP request can.
    /// </summary>
    private sealed class Receiver
    {
        private long _received;
        private long _lastArrival = DateTimeOffset.UtcNow.UtcTicks;

        public int Port { get; private set; }
        public long Received => Interlocked.Read(ref _received);
        public DateTimeOffset LastArrival => new(Interlocked.Read(ref _lastArrival), TimeSpan.Zero);

        public async Task<WebApplication> StartAsync(CancellationToken ct)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(async context =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                Interlocked.Increment(ref _received);
                Interlocked.Exchange(ref _lastArrival, DateTimeOffset.UtcNow.UtcTicks);
            });
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
            Port = new Uri(address).Port;
            return app;
        }
    }
}
