using System.Net;
using System.Text;
using System.Text.Json;

namespace Xos.Server.Bench;

/// <summary>
/// The notify-SIZE workload: PUTs of SIZE with the bucket's notifications off, then the same with every write sending
/// an event to a webhook (a receiver inside the bench, on loopback, registered through the admin API with root's keys,
/// so the server must run on this host), in the same run. Reports both runs, the ratio of their throughputs and the
/// rate at which the webhook received the events.
/// </summary>
public static class BenchNotify
{
    public static async Task<IReadOnlyList<WorkloadResult>> RunAsync(S3BenchClient client, string bucket, Workload w,
        Func<Workload, Task<WorkloadResult>> runPut, CancellationToken ct)
    {
        using var listener = StartReceiver(out var port);
        long received = 0;
        var lastArrival = DateTimeOffset.UtcNow;
        var receiving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    await context.Request.InputStream.CopyToAsync(Stream.Null, ct);
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                    Interlocked.Increment(ref received);
                    lastArrival = DateTimeOffset.UtcNow;
                }
                catch (Exception) when (!listener.IsListening || ct.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpListenerException)
                {
                }
            }
        }, CancellationToken.None);

        var name = $"bench{Guid.NewGuid():N}"[..16];
        var arn = $"arn:xos:sqs::{name}:webhook";
        var target = JsonSerializer.Serialize(new Admin.NotifyTargetRequest("webhook", name, new() { ["endpoint"] = $"http://127.0.0.1:{port}/" }),
            Admin.AdminJson.Default.NotifyTargetRequest);
        await client.SendForTextAsync(client.Create(HttpMethod.Post, "_xos", "admin/notify/targets", content: new StringContent(target, Encoding.UTF8, "application/json")), ct);
        try
        {
            var put = w with { Kind = "put" };
            var off = await runPut(put with { Name = w.Name + "-off" });
            var config = "<NotificationConfiguration><QueueConfiguration><Id>bench</Id>" +
                         $"<Queue>{arn}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>";
            await client.SendForTextAsync(client.Create(HttpMethod.Put, bucket, null, "notification=", new StringContent(config, Encoding.UTF8, "application/xml")), ct);
            var before = Interlocked.Read(ref received);
            var started = DateTimeOffset.UtcNow;
            var on = await runPut(put with { Name = w.Name + "-on" });
            // Wait for the events of the acknowledged writes (and the test event), as long as they keep arriving.
            while (Interlocked.Read(ref received) - before < on.Ops + 1 && DateTimeOffset.UtcNow - lastArrival < TimeSpan.FromSeconds(10))
                await Task.Delay(50, ct);
            var delivered = Interlocked.Read(ref received) - before;
            var seconds = Math.Max(0.001, (lastArrival - started).TotalSeconds);
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{w.Name}: notifications on/off throughput {on.OpsPerSec / Math.Max(off.OpsPerSec, 0.001):F2}; the webhook received {delivered} of {on.Ops + 1} events, {delivered / seconds:F1} events/s"));
            await client.SendForTextAsync(client.Create(HttpMethod.Put, bucket, null, "notification=",
                new StringContent("<NotificationConfiguration/>", Encoding.UTF8, "application/xml")), CancellationToken.None);
            return [off, on];
        }
        finally
        {
            await client.SendForTextAsync(client.Create(HttpMethod.Delete, "_xos", "admin/notify/targets/" + Uri.EscapeDataString(arn)), CancellationToken.None);
            listener.Stop();
            await receiving;
        }
    }

    private static HttpListener StartReceiver(out int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }
}
