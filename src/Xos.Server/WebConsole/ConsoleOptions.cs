using System.Globalization;

namespace Xos.Server.WebConsole;

/// <summary>
/// How long web console sessions last: <see cref="Idle"/> without a request (XOS_CONSOLE_IDLE_SECONDS, 30 minutes by
/// default) and <see cref="Lifetime"/> at most from sign-in (XOS_CONSOLE_MAX_SECONDS, 12 hours by default).
/// </summary>
public sealed record ConsoleOptions(TimeSpan Idle, TimeSpan Lifetime)
{
    public static ConsoleOptions FromEnvironment(Func<string, string?> env)
    {
        static TimeSpan Seconds(string? text, TimeSpan fallback) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s) : fallback;
        var idle = Seconds(env("XOS_CONSOLE_IDLE_SECONDS"), TimeSpan.FromMinutes(30));
        var lifetime = Seconds(env("XOS_CONSOLE_MAX_SECONDS"), TimeSpan.FromHours(12));
        return new ConsoleOptions(idle, lifetime < idle ? idle : lifetime);
    }

    /// <summary>
    /// Activity is written to the store at most this often (a tenth of the idle time, at most a minute), so a session
    /// costs one read per request and a write now and then; it may expire up to this much before <see cref="Idle"/>.
    /// </summary>
    public TimeSpan TouchInterval => TimeSpan.FromTicks(Math.Min(Idle.Ticks / 10, TimeSpan.FromMinutes(1).Ticks));
}
