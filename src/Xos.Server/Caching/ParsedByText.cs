using System.Collections.Concurrent;

namespace Xos.Server.Caching;

/// <summary>
/// What stored texts parse to, by their text: a bucket's settings, an ACL, a notification configuration. Requests read
/// the same few texts again and again (a bucket's settings with every request to it, the canned ACL of an owner with
/// most of its objects), and hashing a text costs far less than parsing it. The values are shared, so they must not
/// change. Bounded by entries and by characters of text held (roughly: concurrent parses of one text may count it
/// twice, and the values are not counted): past either, the cache starts afresh.
/// </summary>
public sealed class ParsedByText<T>(Func<string, T> parse, int maxEntries = 10_000, long maxChars = 4L << 20)
{
    private readonly ConcurrentDictionary<string, T> _parsed = new(StringComparer.Ordinal);
    private long _chars;

    /// <summary>What <paramref name="text"/> parses to; a text that fails to parse throws, every time, and is not kept.</summary>
    public T Get(string text)
    {
        if (_parsed.TryGetValue(text, out var value)) return value;
        value = parse(text);
        if (_parsed.Count >= maxEntries || Interlocked.Add(ref _chars, text.Length) > maxChars)
        {
            _parsed.Clear();
            Interlocked.Exchange(ref _chars, text.Length);
        }
        _parsed[text] = value;
        return value;
    }
}
