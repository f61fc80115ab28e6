namespace Xos.Server.Hosting;

/// <summary>
/// Counts the requests the server answers, per second over the last minute, for the console's overview: a few
/// counters, not a metrics system.
/// </summary>
public sealed class RequestRate(TimeProvider time)
{
    private const int Window = 60;
    private readonly long[] _counts = new long[Window];
    private readonly long[] _seconds = new long[Window];
    private readonly Lock _gate = new();
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public void Record()
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var slot = (int)(second % Window);
        if (Volatile.Read(ref _seconds[slot]) != second)
        {
            lock (_gate)
            {
                if (_seconds[slot] != second)
                {
                    Interlocked.Exchange(ref _counts[slot], 0);
                    Volatile.Write(ref _seconds[slot], second);
                }
            }
        }
        Interlocked.Increment(ref _counts[slot]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The mean rate over the last <paramref name="seconds"/> whole seconds (the current one, still counting, left out).</summary>
    public double PerSecond(int seconds = 10)
    {
        seconds = Math.Clamp(seconds, 1, Window - 1);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        long sum = 0;
        for (var s = now - seconds; s < now; s++)
        {
            var slot = (int)(s % Window);
            if (Volatile.Read(ref _seconds[slot]) == s) sum += Interlocked.Read(ref _counts[slot]);
        }
        return (double)sum / seconds;
    }
}
