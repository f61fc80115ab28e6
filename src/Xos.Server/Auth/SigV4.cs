using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Xos.Server.Auth;

/// <summary>The pieces of AWS Signature Version 4: canonical request, string to sign, signing key and signature.</summary>
public static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ (and '/' when <paramref name="keepSlash"/>) as %XX.</summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var sb = new StringBuilder(value.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' or '_' or '~' || (keepSlash && c == '/')) sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>Percent-decoding only ('+' stays '+'), as S3 signs query strings.</summary>
    public static string PercentDecode(string value) => value.Contains('%') ? Uri.UnescapeDataString(value) : value;

    /// <summary>The canonical URI of an S3 request: the decoded path re-encoded once, slashes kept.</summary>
    public static string CanonicalUri(string rawPath) => UriEncode(PercentDecode(rawPath), keepSlash: true);

    /// <summary>The canonical query string: names and values decoded, re-encoded, sorted; <paramref name="exclude"/> left out.</summary>
    public static string CanonicalQuery(string rawQuery, string? exclude = null, Func<string, bool>? alsoExclude = null)
    {
        if (rawQuery.Length == 0) return "";
        var pairs = new List<(string Name, string Value)>();
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = PercentDecode(eq < 0 ? part : part[..eq]);
            if (exclude is not null && name == exclude) continue;
            if (alsoExclude is not null && alsoExclude(name)) continue;
            var value = eq < 0 ? "" : PercentDecode(part[(eq + 1)..]);
            pairs.Add((UriEncode(name, false), UriEncode(value, false)));
        }
        pairs.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', pairs.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>One canonical header value: the values joined by ',', trimmed, inner runs of spaces collapsed.</summary>
    public static string CanonicalHeaderValue(IEnumerable<string> values)
    {
        var joined = string.Join(',', values.Select(v => v.Trim()));
        var sb = new StringBuilder(joined.Length);
        var space = false;
        foreach (var c in joined)
        {
            if (c is ' ' or '\t')
            {
                if (!space) sb.Append(' ');
                space = true;
            }
            else
            {
                sb.Append(c);
                space = false;
            }
        }
        return sb.ToString();
    }

    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery,
        IReadOnlyList<(string Name, string Value)> canonicalHeaders, string signedHeaders, string payloadHash)
    {
        var sb = new StringBuilder(512);
        sb.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in canonicalHeaders) sb.Append(name).Append(':').Append(value).Append('\n');
        sb.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        return sb.ToString();
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string Sha256Hex(string text) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{Sha256Hex(canonicalRequest)}";

    private static readonly ConcurrentDictionary<(string Secret, string Date, string Region, string Service), byte[]> KeyCache = new();

    /// <summary>HMAC chain "AWS4"+secret → date → region → service → "aws4_request", cached per day and scope.</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var cacheKey = (secret, date, region, service);
        if (KeyCache.TryGetValue(cacheKey, out var cached)) return cached;
        var k = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(region));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(service));
        k = HMACSHA256.HashData(k, "aws4_request"u8);
        if (KeyCache.Count > 4096) KeyCache.Clear();
        KeyCache[cacheKey] = k;
        return k;
    }

    public static string Sign(byte[] signingKey, string stringToSign) => Hex(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>Constant-time comparison of two hex signatures.</summary>
    public static bool SignaturesEqual(string expected, string provided) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(provided.ToLowerInvariant()));
}
