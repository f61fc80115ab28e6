using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Xos.Server.Hosting;

/// <summary>
/// Log lines on standard output, one per entry, as single-line text (<c>2026-01-01T00:00:00.000Z info: Category[id] message</c>)
/// or JSON objects. A request formats its message and queues it (lock-free); one thread writes the lines of what is
/// queued in one system call, every 50 ms (warnings and errors at once). Microsoft's console logger takes a lock per entry and
/// writes each line by itself, which under load cost more than a small GET. Entries beyond <see cref="MaxQueued"/> are
/// dropped and counted, never waited for.
/// </summary>
public sealed class ConsoleLogProvider : ILoggerProvider
{
    private const int MaxQueued = 200_000;
    /// <summary>The writer wakes this often, or sooner once this many entries wait: one wake-up per batch, not per line.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private const int BatchSize = 2048;
    private readonly ConcurrentQueue<Entry> _queue = new();
    // No spinning: on a busy machine a spinning log writer takes the CPU the requests need.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _writer;
    private readonly Stream _output;
    private readonly bool _json;
    private int _queued;
    private long _dropped;
    private volatile bool _stopping;

    public ConsoleLogProvider(bool json, Stream? output = null)
    {
        _json = json;
        _output = output ?? Console.OpenStandardOutput();
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "xos log writer" };
        _writer.Start();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    private void Enqueue(Entry entry)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Enqueue(entry);
        if ((entry.Level >= LogLevel.Warning || Volatile.Read(ref _queued) >= BatchSize) && !_wake.IsSet) _wake.Set();
    }

    private void WriteLoop()
    {
        var text = new StringBuilder(16 * 1024);
        var bytes = new ArrayBufferWriter<byte>(64 * 1024);
        // Log readers are people and log shippers, not browsers: '+', '<' and non-ASCII stay as they are.
        using var json = new Utf8JsonWriter(bytes, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        while (true)
        {
            _wake.Wait(Interval);
            _wake.Reset();
            // Entries queued between the drain and the reset are found by the next drain, at the latest one interval later.
            while (_queue.TryDequeue(out var entry))
            {
                Interlocked.Decrement(ref _queued);
                try
                {
                    Format(entry, text, bytes, json);
                }
                catch (Exception e)
                {
                    // One entry that cannot be formatted must not end the writer thread (and with it the process).
                    text.Append("log entry of ").Append(entry.Category).Append(" could not be written: ").Append(e.GetType().Name).Append('\n');
                }
                if (bytes.WrittenCount + text.Length > 60 * 1024) Write(text, bytes);
            }
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
                Format(new Entry(DateTimeOffset.UtcNow, LogLevel.Warning, "Xos.Server.Hosting.ConsoleLog", default, null,
                    $"{dropped} log lines were dropped: standard output is slower than the requests", null), text, bytes, json);
            Write(text, bytes);
            if (_stopping && _queue.IsEmpty) return;
        }
    }

    private void Format(Entry e, StringBuilder text, ArrayBufferWriter<byte> bytes, Utf8JsonWriter json)
    {
        var message = e.Message;
        if (!_json)
        {
            text.Append(e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ')
                .Append(ShortLevel(e.Level)).Append(": ").Append(e.Category).Append('[').Append(e.EventId.Id).Append("] ").Append(message);
            if (e.Exception is not null) text.Append(' ').Append(e.Exception.ToString().ReplaceLineEndings(" "));
            text.Append('\n');
            return;
        }
        Flush(text, bytes);
        json.Reset(bytes);
        json.WriteStartObject();
        json.WriteString("Timestamp", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteNumber("EventId", e.EventId.Id);
        json.WriteString("LogLevel", e.Level.ToString());
        json.WriteString("Category", e.Category);
        json.WriteString("Message", message);
        if (e.Exception is not null) json.WriteString("Exception", e.Exception.ToString());
        if (e.Properties is { } properties)
        {
            json.WriteStartObject("State");
            foreach (var (key, value) in properties)
            {
                switch (value)
                {
                    case int or long or short or byte or uint or ulong or decimal:
                        json.WriteNumber(key, Convert.ToDecimal(value, CultureInfo.InvariantCulture));
                        break;
                    case double or float when double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                        json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                        break;
                    case bool b:
                        json.WriteBoolean(key, b);
                        break;
                    case null:
                        json.WriteNull(key);
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.Flush();
        bytes.Write("\n"u8);
    }

    /// <summary>Moves formatted text into the byte buffer.</summary>
    private static void Flush(StringBuilder text, ArrayBufferWriter<byte> bytes)
    {
        foreach (var chunk in text.GetChunks())
        {
            var span = bytes.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            bytes.Advance(Encoding.UTF8.GetBytes(chunk.Span, span));
        }
        text.Clear();
    }

    private void Write(StringBuilder text, ArrayBufferWriter<byte> bytes)
    {
        Flush(text, bytes);
        if (bytes.WrittenCount == 0) return;
        try
        {
            _output.Write(bytes.WrittenSpan);
            _output.Flush();
        }
        catch (IOException)
        {
            // A closed standard output must not stop the server; its lines are lost either way.
        }
        bytes.ResetWrittenCount();
    }

    private static string ShortLevel(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    /// <summary>Writes out what is queued and stops the writer thread.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _writer.Join(TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// One line to write. The message is formatted by the caller, and for JSON the properties are taken at once as
    /// numbers, booleans or text: a log call's state may refer to objects that are reused after the call returns.
    /// </summary>
    private sealed record Entry(DateTimeOffset Time, LogLevel Level, string Category, EventId EventId, Exception? Exception, string Message,
        KeyValuePair<string, object?>[]? Properties);

    private static KeyValuePair<string, object?>[]? Snapshot<TState>(TState state)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> list) return null;
        var copy = new KeyValuePair<string, object?>[list.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            var (key, value) = list[i];
            copy[i] = new(key, value is null or int or long or short or byte or uint or ulong or double or float or decimal or bool or string
                ? value : Convert.ToString(value, CultureInfo.InvariantCulture));
        }
        return copy;
    }

    private sealed class Logger(ConsoleLogProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.None) return;
            provider.Enqueue(new Entry(DateTimeOffset.UtcNow, logLevel, category, eventId, exception, formatter(state, exception),
                provider._json ? Snapshot(state) : null));
        }
    }
}
