using System.Security.Cryptography;
using System.Text;

namespace Xos.Server.Auth;

/// <summary>AWS Signature Version 2 for S3: HMAC-SHA1 over the method, content headers, date, x-amz-* headers and resource.</summary>
public static class SigV2
{
    /// <summary>The sub-resources S3 includes in the V2 canonicalized resource.</summary>
    private static readonly HashSet<string> SignedSubresources = new(StringComparer.Ordinal)
    {
        "acl", "cors", "delete", "encryption", "legal-hold", "lifecycle", "location", "logging", "notification", "object-lock",
        "partNumber", "policy", "replication", "requestPayment", "response-cache-control", "response-content-disposition",
        "response-content-encoding", "response-content-language", "response-content-type", "response-expires", "restore",
        "retention", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
    };

    /// <summary>"/bucket" prefix for virtual-hosted requests, the path as sent, and the signed sub-resources sorted.</summary>
    public static string CanonicalizedResource(string? virtualHostBucket, string path, string rawQuery)
    {
        var sb = new StringBuilder();
        if (virtualHostBucket is not null) sb.Append('/').Append(virtualHostBucket);
        sb.Append(path);
        var subresources = new List<(string Name, string? Value)>();
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = SigV4.PercentDecode(eq < 0 ? part : part[..eq]);
            if (!SignedSubresources.Contains(name)) continue;
            subresources.Add((name, eq < 0 ? null : SigV4.PercentDecode(part[(eq + 1)..].Replace('+', ' '))));
        }
        subresources.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (var i = 0; i < subresources.Count; i++)
        {
            sb.Append(i == 0 ? '?' : '&').Append(subresources[i].Name);
            if (subresources[i].Value is { } v) sb.Append('=').Append(v);
        }
        return sb.ToString();
    }

    /// <summary>x-amz-* headers, lowercased, sorted, one "name:value\n" each (repeated values joined by ',').</summary>
    public static string CanonicalizedAmzHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var amz = headers
            .Where(h => h.Key.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            .GroupBy(h => h.Key.ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var g in amz) sb.Append(g.Key).Append(':').Append(string.Join(',', g.Select(h => h.Value.Trim()))).Append('\n');
        return sb.ToString();
    }

    public static string StringToSign(string method, string contentMd5, string contentType, string dateOrExpires, string amzHeaders, string resource) =>
        $"{method}\n{contentMd5}\n{contentType}\n{dateOrExpires}\n{amzHeaders}{resource}";

    public static string Sign(string secret, string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign)));

    public static bool SignaturesEqual(string expected, string provided) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(provided));
}
