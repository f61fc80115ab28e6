namespace Xos.Server.WebConsole;

/// <summary>
/// How long web console sessions last: <see cref="Idle"/> without a request (XOS_CONSOLE_IDLE_SECONDS, 30 minutes by
/// default) and <see cref="Lifetime"/> at most from sign-in (XOS_CONSOLE_MAX_SECONDS, 12 hours by default).
/// </summary>
public sealed record ConsoleOptions(TimeSpan Idle, TimeSpan Lifetime)
{
    /// <summary>A lifetime shorter than the idle time is taken as the idle time.</summary>
    public static ConsoleOptions From(TimeSpan idle, TimeSpan lifetime) => new(idle, lifetime < idle ? idle : lifetime);

    /// <summary>
    /// Activity is written to the store at most this often (a tenth of the idle time, at most a minute), so a session
    /// costs one read per request and a write now and then; it may expire up to this much before <see cref="Idle"/>.
    /// </summary>
    public TimeSpan TouchInterval => TimeSpan.FromTicks(Math.Min(Idle.Ticks / 10, TimeSpan.FromMinutes(1).Ticks));
}
