using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Xos.Server.Bench;

/// <summary>
/// The notify-SIZE workload: PUTs of SIZE with the bucket's notifications off, then the same with every write sending
/// an event to a webhook over HTTP/1.1 (what a webhook speaks unless asked), then over HTTP/2 (http-version=2, prior
/// knowledge), in the same run, each after an unrecorded warm-up. The webhook is a receiver inside the bench, on
/// loopback, registered through the admin API with root's keys, so the server must run on this host. Reports the
/// three runs, the ratios of their throughputs and the rate at which the webhook received the events.
/// </summary>
public static class BenchNotify
{
    private sealed record Target(string Label, string Suffix, string Arn, string Endpoint, string? HttpVersion);

    public static async Task<IReadOnlyList<WorkloadResult>> RunAsync(S3BenchClient client, string bucket, Workload w,
        Func<Workload, Task<WorkloadResult>> runPut, CancellationToken ct)
    {
        var receiver = new Receiver();
        await using var app = await receiver.StartAsync(ct);
        var name = $"bench{Guid.NewGuid():N}"[..16];
        Target[] targets =
        [
            new("HTTP/1.1", "on", $"arn:xos:sqs::{name}:webhook", $"http://127.0.0.1:{receiver.Http1Port}/", null),
            new("HTTP/2", "on-h2", $"arn:xos:sqs::{name}h2:webhook", $"http://127.0.0.1:{receiver.Http2Port}/", "2"),
        ];
        var added = new List<string>();
        try
        {
            foreach (var t in targets)
            {
                var settings = new Dictionary<string, string> { ["endpoint"] = t.Endpoint };
                if (t.HttpVersion is not null) settings["http-version"] = t.HttpVersion;
                var body = JsonSerializer.Serialize(new Admin.NotifyTargetRequest("webhook", t.Arn.Split(':')[4], settings), Admin.AdminJson.Default.NotifyTargetRequest);
                await client.SendForTextAsync(client.Create(HttpMethod.Post, "_xos", "admin/notify/targets", content: new StringContent(body, Encoding.UTF8, "application/json")), ct);
                added.Add(t.Arn);
            }
            Task Notify(string? arn, CancellationToken token) => client.SendForTextAsync(
                client.Create(HttpMethod.Put, bucket, null, "notification=", new StringContent(arn is null ? "<NotificationConfiguration/>" :
                    "<NotificationConfiguration><QueueConfiguration><Id>bench</Id>" +
                    $"<Queue>{arn}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>", Encoding.UTF8, "application/xml")), token);
            // Waits for the events of the acknowledged writes (and the test event), as long as they keep arriving.
            async Task<long> DrainAsync(long before, long expected)
            {
                while (receiver.Received - before < expected && DateTimeOffset.UtcNow - receiver.LastArrival < TimeSpan.FromSeconds(10))
                    await Task.Delay(50, ct);
                return receiver.Received - before;
            }

            var put = w with { Kind = "put" };
            // Unrecorded warm-ups with notifications on: the code that renders, stores, sends and deletes events runs
            // hot (recompiled by .NET's tiered JIT) before any run is measured, as the PUTs' own code is after put-SIZE.
            foreach (var t in targets)
            {
                await Notify(t.Arn, ct);
                var warmBefore = receiver.Received;
                var warm = await runPut(put with { Name = $"{w.Name}-warmup-{t.Suffix}" });
                await DrainAsync(warmBefore, warm.Ops + 1);
            }
            await Notify(null, ct);

            var off = await runPut(put with { Name = w.Name + "-off" });
            var results = new List<WorkloadResult> { off };
            var lines = new List<string>();
            foreach (var t in targets)
            {
                await Notify(t.Arn, ct);
                var before = receiver.Received;
                var started = DateTimeOffset.UtcNow;
                var on = await runPut(put with { Name = $"{w.Name}-{t.Suffix}" });
                var delivered = await DrainAsync(before, on.Ops + 1);
                var seconds = Math.Max(0.001, (receiver.LastArrival - started).TotalSeconds);
                results.Add(on);
                lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{w.Name}: notifications on/off throughput {on.OpsPerSec / Math.Max(off.OpsPerSec, 0.001):F2} (webhook over {t.Label}); the webhook received {delivered} of {on.Ops + 1} events, {delivered / seconds:F1} events/s"));
            }
            await Notify(null, CancellationToken.None);
            foreach (var line in lines) Console.WriteLine(line);
            return results;
        }
        finally
        {
            foreach (var arn in added)
                await client.SendForTextAsync(client.Create(HttpMethod.Delete, "_xos", "admin/notify/targets/" + Uri.EscapeDataString(arn)), CancellationToken.None);
        }
    }

    /// <summary>
    /// The webhook: Kestrel alone (no routing, logging or middleware, as `xos bench ceiling`), on two free loopback ports (HTTP/1.1 and HTTP/2),
    /// answering 200 to every POST once its body is read, so that it costs the bench as little as an HTTP request can.
    /// </summary>
    private sealed class Receiver
    {
        private long _received;
        private long _lastArrival = DateTimeOffset.UtcNow.UtcTicks;

        public int Http1Port { get; private set; }
        public int Http2Port { get; private set; }
        public long Received => Interlocked.Read(ref _received);
        public DateTimeOffset LastArrival => new(Interlocked.Read(ref _lastArrival), TimeSpan.Zero);

        public async Task<WebApplication> StartAsync(CancellationToken ct)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            // HTTP/1.1 on one port, HTTP/2 (prior knowledge, as a cleartext HTTP/2 endpoint takes it) on the other.
            ListenOptions? http1 = null, http2 = null;
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
            {
                k.Listen(IPAddress.Loopback, 0, l => (http1 = l).Protocols = HttpProtocols.Http1);
                k.Listen(IPAddress.Loopback, 0, l => (http2 = l).Protocols = HttpProtocols.Http2);
            });
            var app = builder.Build();
            app.Run(async context =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                Interlocked.Increment(ref _received);
                Interlocked.Exchange(ref _lastArrival, DateTimeOffset.UtcNow.UtcTicks);
            });
            await app.StartAsync(ct);
            // Each endpoint as bound: Kestrel fills in the port it was given.
            (Http1Port, Http2Port) = (((IPEndPoint)http1!.EndPoint).Port, ((IPEndPoint)http2!.EndPoint).Port);
            return app;
        }
    }
}
