namespace Xos.Server.Protocol;

/// <summary>A single HTTP byte range, as S3 supports it: <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c>.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    /// <summary>
    /// The satisfiable range, or null when the header is absent, malformed or asks for several ranges (S3 then sends
    /// the whole object). Throws InvalidRange (416) when the range is well-formed but outside the object.
    /// </summary>
    public static ByteRange? Parse(string? header, long size)
    {
        if (header is null) return null;
        var h = header.Trim();
        if (!h.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return null;
        var spec = h[6..].Trim();
        if (spec.Contains(',')) return null;
        var dash = spec.IndexOf('-');
        if (dash < 0) return null;
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            if (!long.TryParse(last, out var suffix) || suffix < 0) return null;
            if (suffix == 0 || size == 0) throw S3Errors.InvalidRange(size);
            var n = Math.Min(suffix, size);
            return new ByteRange(size - n, n);
        }
        if (!long.TryParse(first, out var start) || start < 0) return null;
        long end;
        if (last.Length == 0) end = size - 1;
        else if (!long.TryParse(last, out end) || end < start) return null;
        if (start >= size) throw S3Errors.InvalidRange(size);
        end = Math.Min(end, size - 1);
        return new ByteRange(start, end - start + 1);
    }
}
