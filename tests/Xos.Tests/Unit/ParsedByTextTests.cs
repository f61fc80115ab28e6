using Xos.Server.Caching;

namespace Xos.Tests.Unit;

/// <summary>The cache of what stored texts parse to: one parse per text, bounded, and nothing kept for a text that fails.</summary>
public sealed class ParsedByTextTests
{
    [Fact]
    public void ATextIsParsedOnceAndItsValueShared()
    {
        var parses = 0;
        var cache = new ParsedByText<List<string>>(text => { parses++; return [text]; });
        // Equal texts, not the same string: a row read again from the database is a new string each time.
        var first = cache.Get(new string("{\"a\":1}".AsSpan()));
        var again = cache.Get(new string("{\"a\":1}".AsSpan()));
        Assert.Same(first, again);
        Assert.Equal(1, parses);
        Assert.NotSame(first, cache.Get("{\"a\":2}"));
        Assert.Equal(2, parses);
    }

    [Fact]
    public void TheCacheStartsAfreshPastItsEntriesOrCharacters()
    {
        var parses = 0;
        var byEntries = new ParsedByText<string>(text => { parses++; return text; }, maxEntries: 3);
        foreach (var text in new[] { "a", "b", "c", "d" }) byEntries.Get(text);
        Assert.Equal(4, parses);
        byEntries.Get("a");
        Assert.Equal(5, parses);
        byEntries.Get("d");
        Assert.Equal(5, parses);

        parses = 0;
        var byChars = new ParsedByText<string>(text => { parses++; return text; }, maxChars: 10);
        byChars.Get(new string('x', 6));
        byChars.Get(new string('y', 6));
        byChars.Get(new string('x', 6));
        Assert.Equal(3, parses);
    }

    [Fact]
    public void ATextThatFailsToParseFailsEveryTime()
    {
        var parses = 0;
        var cache = new ParsedByText<int>(text => { parses++; return int.Parse(text, System.Globalization.CultureInfo.InvariantCulture); });
        Assert.Throws<FormatException>(() => cache.Get("x"));
        Assert.Throws<FormatException>(() => cache.Get("x"));
        Assert.Equal(2, parses);
        Assert.Equal(7, cache.Get("7"));
    }
}
