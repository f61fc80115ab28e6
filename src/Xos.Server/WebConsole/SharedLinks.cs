using System.Globalization;
using Xos.Server.Auth;

namespace Xos.Server.WebConsole;

/// <summary>
/// Presigned GET URLs (Signature V4 in the query) made on the server with the session's own access key, so the
/// browser never holds a secret. The link can do only what that key can, and stops working when the key is revoked.
/// </summary>
public static class SharedLinks
{
    /// <summary>S3's longest presigned lifetime: seven days.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    /// <summary>
    /// The URL of <paramref name="bucket"/>/<paramref name="key"/> (path style, on <paramref name="host"/> as the browser names it) valid for
    /// <paramref name="lifetime"/> from <paramref name="now"/>; <paramref name="downloadName"/> makes browsers save it.
    /// </summary>
    public static string Presign(string scheme, string host, string region, string accessKey, string secretKey, string? sessionToken, string bucket, string key,
        string? versionId, string? downloadName, TimeSpan lifetime, DateTimeOffset now)
    {
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var scope = $"{date}/{region}/s3/aws4_request";
        var query = new List<(string Name, string Value)>
        {
            ("X-Amz-Algorithm", SigV4.Algorithm),
            ("X-Amz-Credential", accessKey + "/" + scope),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", ((long)lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
            ("X-Amz-SignedHeaders", "host"),
        };
        if (sessionToken is not null) query.Add(("X-Amz-Security-Token", sessionToken));
        if (versionId is not null) query.Add(("versionId", versionId));
        if (downloadName is not null)
            query.Add(("response-content-disposition", "attachment; filename*=UTF-8''" + Uri.EscapeDataString(downloadName)));
        var rawPath = "/" + bucket + "/" + SigV4.UriEncode(key, keepSlash: true);
        var rawQuery = string.Join('&', query.Select(p => SigV4.UriEncode(p.Name, false) + "=" + SigV4.UriEncode(p.Value, false)));
        var canonical = SigV4.CanonicalRequest("GET", SigV4.CanonicalUri(rawPath), SigV4.CanonicalQuery(rawQuery),
            [("host", host)], "host", "UNSIGNED-PAYLOAD");
        var signature = SigV4.Sign(SigV4.SigningKey(secretKey, date, region, "s3"), SigV4.StringToSign(amzDate, scope, canonical));
        return $"{scheme}://{host}{rawPath}?{rawQuery}&X-Amz-Signature={signature}";
    }
}
