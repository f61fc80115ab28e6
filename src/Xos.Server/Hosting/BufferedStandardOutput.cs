using System.Text;

namespace Xos.Server.Hosting;

/// <summary>
/// The server's standard output through a 64 KiB buffer written out every 100 ms and at exit, instead of one write
/// system call per log line: under load the request log then costs a write per batch. What a crash can lose is at
/// most the last 100 ms of log lines; errors that stop the server go to standard error, which stays unbuffered.
/// </summary>
public sealed class BufferedStandardOutput : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly TextWriter _original;
    private readonly TextWriter _buffered;
    private readonly Timer _timer;

    private BufferedStandardOutput()
    {
        _original = Console.Out;
        var writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
        _buffered = TextWriter.Synchronized(writer);
        Console.SetOut(_buffered);
        _timer = new Timer(_ => Flush(), null, Interval, Interval);
    }

    /// <summary>Replaces Console.Out; must run before the logging providers capture it.</summary>
    public static BufferedStandardOutput Install() => new();

    public void Flush()
    {
        try
        {
            _buffered.Flush();
        }
        catch (IOException)
        {
            // A closed pipe on standard output must not take the server down; the lines are lost either way.
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
        Console.SetOut(_original);
    }
}
