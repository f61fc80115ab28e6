using System.Collections.Concurrent;

namespace Xos.Server.WebConsole;

/// <summary>
/// Slows down guessing at the console's sign-in: after a few failures for one access key (or from one client
/// address) each further attempt must wait twice as long as the one before, up to a minute, and is refused until
/// then without its credentials being checked. Failures are forgotten after a quiet quarter of an hour, or for a key
/// when it signs in. Counted per gateway; a client address is the load balancer's when there is one, which is why
/// addresses get more attempts than keys.
/// </summary>
public sealed class SignInThrottle(TimeProvider time)
{
    public const int FreeAttemptsPerKey = 5;
    public const int FreeAttemptsPerAddress = 20;
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Forget = TimeSpan.FromMinutes(15);
    private const int MaxTracked = 100_000;

    private sealed record Failures(int Count, DateTimeOffset Last);

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the caller must still wait before trying this key from this address; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string accessKey, string address)
    {
        var now = time.GetUtcNow();
        var wait = TimeSpan.Zero;
        foreach (var (name, free) in Keys(accessKey, address))
            if (_failures.TryGetValue(name, out var f) && Wait(f, free) - (now - f.Last) is var left && left > wait)
                wait = left;
        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(string accessKey, string address)
    {
        var now = time.GetUtcNow();
        if (_failures.Count >= MaxTracked)
            foreach (var (name, f) in _failures)
                if (now - f.Last > Forget) _failures.TryRemove(name, out _);
        foreach (var (name, _) in Keys(accessKey, address))
            _failures.AddOrUpdate(name, _ => new Failures(1, now), (_, f) => new Failures(now - f.Last > Forget ? 1 : f.Count + 1, now));
    }

    public void Succeeded(string accessKey) => _failures.TryRemove("key:" + accessKey, out _);

    private static (string Name, int Free)[] Keys(string accessKey, string address) =>
        [("key:" + accessKey, FreeAttemptsPerKey), ("address:" + address, FreeAttemptsPerAddress)];

    /// <summary>1 s after the first failure beyond the free ones, then 2, 4, 8 ... up to <see cref="MaxWait"/>.</summary>
    private static TimeSpan Wait(Failures f, int free)
    {
        if (f.Count < free) return TimeSpan.Zero;
        var doublings = Math.Min(f.Count - free, 16);
        var wait = TimeSpan.FromSeconds(1L << doublings);
        return wait < MaxWait ? wait : MaxWait;
    }
}
