using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Xos.Tests.Integration;

/// <summary>
/// A webhook endpoint inside the test: an HttpListener on a free loopback port that keeps every event POSTed to it
/// (body and headers), answering each request as it comes (several at once when several come at once). While
/// <see cref="Down"/> it answers 503, as a target that is down for maintenance does.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    public sealed record Delivery(string Body, IReadOnlyDictionary<string, string> Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public bool IsTestEvent => Json.TryGetProperty("Event", out var e) && e.GetString() == "s3:TestEvent";
        public JsonElement Record => Json.GetProperty("Records")[0];
        public string EventName => Record.GetProperty("eventName").GetString()!;
        public string Key => Record.GetProperty("s3").GetProperty("object").GetProperty("key").GetString()!;
        public string Sequencer => Record.GetProperty("s3").GetProperty("object").GetProperty("sequencer").GetString()!;
    }

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly Task _loop;
    private int _refused;

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/events";
    public volatile bool Down;

    /// <summary>Requests answered 503 (while down, or by <see cref="FailEvery"/>).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>When over 0, every FailEvery-th request is answered 503, as a target that fails now and then.</summary>
    public volatile int FailEvery;

    /// <summary>When over 0, each accepted event is answered after a random 0 to HoldMs ms.</summary>
    public volatile int HoldMs;

    /// <summary>The most requests this receiver was answering at one time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    private int _inFlight, _maxInFlight, _requests;

    public WebhookReceiver()
    {
        for (var attempt = 0; ; attempt++)
        {
            Port = XosProcess.FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    /// <summary>The object events received (not the test events), in arrival order.</summary>
    public IReadOnlyList<Delivery> Events => [.. _deliveries.Where(d => !d.IsTestEvent)];

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            // Each request is answered on its own, so that a server sending several at once has them handled at once.
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            for (var max = Volatile.Read(ref _maxInFlight); inFlight > max; max = Volatile.Read(ref _maxInFlight))
                if (Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) == max) break;
            var n = Interlocked.Increment(ref _requests);
            if (Down || FailEvery > 0 && n % FailEvery == 0)
            {
                Interlocked.Increment(ref _refused);
                context.Response.StatusCode = 503;
            }
            else
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
                    .ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
                _deliveries.Enqueue(new Delivery(body, headers));
                // Held a while before the answer, so that requests sent at once overlap here.
                if (HoldMs > 0) await Task.Delay(Random.Shared.Next(HoldMs));
                context.Response.StatusCode = 200;
                // As an endpoint behind a session-keeping balancer might: the server must not send it back.
                context.Response.AppendHeader("Set-Cookie", "session=from-the-webhook; Path=/");
            }
            context.Response.Close();
        }
        catch (Exception)
        {
            // A client that went away: the server retries the event.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds for the object events received (up to 60 s, for a loaded machine).</summary>
    public async Task<IReadOnlyList<Delivery>> WaitForAsync(Func<IReadOnlyList<Delivery>, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var events = Events;
            if (done(events)) return events;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the webhook received {events.Count} event(s): {string.Join(", ", events.Select(e => $"{e.EventName} {e.Key}"))}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
