using System.Security.Cryptography;

namespace Xos.Server.Protocol;

/// <summary>S3 entity tags: the hex MD5 of the data, or for multipart objects the MD5 of the part MD5s followed by "-N".</summary>
public static class ETags
{
    public static string Quote(string etag) => "\"" + etag + "\"";

    public static string Unquote(string etag)
    {
        var t = etag.Trim();
        if (t.StartsWith("W/", StringComparison.Ordinal)) t = t[2..];
        return t.Length >= 2 && t[0] == '"' && t[^1] == '"' ? t[1..^1] : t;
    }

    public static string FromMd5(byte[] md5) => Convert.ToHexStringLower(md5);

    public static string Multipart(IEnumerable<string> partETags, int count)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var e in partETags) md5.AppendData(Convert.FromHexString(e));
        return Convert.ToHexStringLower(md5.GetHashAndReset()) + "-" + count;
    }

    /// <summary>Whether an If-Match / If-None-Match header value (a list of tags or "*") matches the tag.</summary>
    public static bool Matches(string header, string etag)
    {
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (part == "*" || Unquote(part) == etag) return true;
        return false;
    }
}
