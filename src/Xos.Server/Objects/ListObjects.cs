using System.Text;
using System.Xml;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>ListObjects (v1) and ListObjectsV2: keys in UTF-8 byte order, rolled up into CommonPrefixes by a delimiter.</summary>
public static class ListObjects
{
    public const int MaxKeysLimit = 1000;

    public sealed record Page(List<ObjectListEntry> Contents, List<string> CommonPrefixes, bool IsTruncated, string? LastKey, bool LastIsPrefix);

    /// <summary>
    /// Walks the key index from <paramref name="after"/>, jumping over each rolled-up prefix with a fresh index seek,
    /// so a page costs O(page size) index reads whatever the bucket holds.
    /// </summary>
    public static async Task<Page> ListPageAsync(IMetadataStore store, long bucketId, string prefix, string? delimiter,
        string? after, bool afterIsPrefix, int maxKeys, CancellationToken ct)
    {
        var contents = new List<ObjectListEntry>();
        var prefixes = new List<string>();
        if (maxKeys == 0) return new Page(contents, prefixes, false, null, false);
        string? lastKey = null;
        var lastIsPrefix = false;
        var cursor = after;
        var cursorIsPrefix = afterIsPrefix;
        var delimited = !string.IsNullOrEmpty(delimiter);
        while (true)
        {
            var want = Math.Max(maxKeys - contents.Count - prefixes.Count, 0) + 1;
            var batch = await store.ListObjectsAsync(bucketId, prefix, cursor, cursorIsPrefix, want, ct);
            var reseek = false;
            foreach (var entry in batch)
            {
                string? commonPrefix = null;
                if (delimited)
                {
                    var at = entry.Key.IndexOf(delimiter!, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0) commonPrefix = entry.Key[..(at + delimiter!.Length)];
                }
                if (contents.Count + prefixes.Count == maxKeys)
                    return new Page(contents, prefixes, true, lastKey, lastIsPrefix);
                if (commonPrefix is null)
                {
                    contents.Add(entry);
                    lastKey = entry.Key;
                    lastIsPrefix = false;
                    cursor = entry.Key;
                    cursorIsPrefix = false;
                }
                else
                {
                    prefixes.Add(commonPrefix);
                    lastKey = commonPrefix;
                    lastIsPrefix = true;
                    cursor = commonPrefix;
                    cursorIsPrefix = true;
                    reseek = true;
                    break;
                }
            }
            if (!reseek && batch.Count < want) return new Page(contents, prefixes, false, lastKey, lastIsPrefix);
        }
    }

    public static int ParseMaxKeys(string? text, string name = "max-keys")
    {
        if (text is null) return MaxKeysLimit;
        if (!int.TryParse(text, out var n) || n < 0)
            throw S3Errors.InvalidArgument("Provided max-keys not an integer or within integer range", name, text);
        return Math.Min(n, MaxKeysLimit);
    }

    private static bool UrlEncoding(S3Request req)
    {
        var encoding = req.Query("encoding-type");
        if (encoding is null) return false;
        if (!encoding.Equals("url", StringComparison.OrdinalIgnoreCase))
            throw S3Errors.InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding);
        return true;
    }

    /// <summary>Percent-encodes everything but unreserved characters and '/', which every SDK's decoder reverses.</summary>
    public static string UrlEncode(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '~' or '/') sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    public static async Task HandleV1Async(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:ListBucket", ct);
        var prefix = req.Query("prefix") ?? "";
        var delimiter = NullIfEmpty(req.Query("delimiter"));
        var marker = NullIfEmpty(req.Query("marker"));
        var maxKeys = ParseMaxKeys(req.Query("max-keys"));
        var encode = UrlEncoding(req);
        // A NextMarker we returned may name a rolled-up prefix; continuing from it must skip that whole prefix.
        var markerIsPrefix = marker is not null && delimiter is not null && marker.StartsWith(prefix, StringComparison.Ordinal)
                             && marker.EndsWith(delimiter, StringComparison.Ordinal)
                             && marker.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal) == marker.Length - delimiter.Length;
        var page = await ListPageAsync(ctx.Store, bucket.Id, prefix, delimiter, marker, markerIsPrefix, maxKeys, ct);
        string E(string s) => encode ? UrlEncode(s) : s;
        var names = await DisplayNames.ResolveAsync(ctx, page.Contents.Select(o => o.OwnerId), ct);

        await S3Xml.WriteAsync(req.Http, 200, "ListBucketResult", w =>
        {
            w.Element("Name", bucket.Name);
            // ListObjects (v1) encodes keys, markers, delimiter and common prefixes, but not the Prefix it echoes.
            w.Element("Prefix", prefix);
            w.Element("Marker", E(marker ?? ""));
            w.Element("MaxKeys", maxKeys);
            if (delimiter is not null) w.Element("Delimiter", E(delimiter));
            if (encode) w.Element("EncodingType", "url");
            w.Element("IsTruncated", page.IsTruncated);
            if (page.IsTruncated && page.LastKey is not null) w.Element("NextMarker", E(page.LastKey));
            WriteContents(w, page, E, names);
        });
    }

    public static async Task HandleV2Async(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:ListBucket", ct);
        var prefix = req.Query("prefix") ?? "";
        var delimiter = NullIfEmpty(req.Query("delimiter"));
        var maxKeys = ParseMaxKeys(req.Query("max-keys"));
        var encode = UrlEncoding(req);
        var startAfter = NullIfEmpty(req.Query("start-after"));
        var token = req.Query("continuation-token");
        var fetchOwner = string.Equals(req.Query("fetch-owner"), "true", StringComparison.OrdinalIgnoreCase);

        string? after = startAfter;
        var afterIsPrefix = false;
        if (!string.IsNullOrEmpty(token)) (after, afterIsPrefix) = DecodeToken(token);
        var page = await ListPageAsync(ctx.Store, bucket.Id, prefix, delimiter, after, afterIsPrefix, maxKeys, ct);
        string E(string s) => encode ? UrlEncode(s) : s;
        var names = fetchOwner ? await DisplayNames.ResolveAsync(ctx, page.Contents.Select(o => o.OwnerId), ct) : null;

        await S3Xml.WriteAsync(req.Http, 200, "ListBucketResult", w =>
        {
            w.Element("Name", bucket.Name);
            w.Element("Prefix", E(prefix));
            if (startAfter is not null) w.Element("StartAfter", E(startAfter));
            if (token is not null) w.Element("ContinuationToken", token);
            w.Element("KeyCount", page.Contents.Count + page.CommonPrefixes.Count);
            w.Element("MaxKeys", maxKeys);
            if (delimiter is not null) w.Element("Delimiter", E(delimiter));
            if (encode) w.Element("EncodingType", "url");
            w.Element("IsTruncated", page.IsTruncated);
            if (page.IsTruncated && page.LastKey is not null) w.Element("NextContinuationToken", EncodeToken(page.LastKey, page.LastIsPrefix));
            WriteContents(w, page, E, names);
        });
    }

    private static void WriteContents(XmlWriter w, Page page, Func<string, string> encode, Func<string, string>? displayName)
    {
        foreach (var o in page.Contents)
        {
            w.WriteStartElement("Contents");
            w.Element("Key", encode(o.Key));
            w.Element("LastModified", o.LastModified);
            w.Element("ETag", ETags.Quote(o.ETag));
            w.Element("Size", o.Size);
            if (displayName is not null)
            {
                w.WriteStartElement("Owner");
                w.Element("ID", o.OwnerId);
                w.Element("DisplayName", displayName(o.OwnerId));
                w.WriteEndElement();
            }
            w.Element("StorageClass", o.StorageClass);
            w.WriteEndElement();
        }
        foreach (var p in page.CommonPrefixes)
        {
            w.WriteStartElement("CommonPrefixes");
            w.Element("Prefix", encode(p));
            w.WriteEndElement();
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    internal static string EncodeToken(string lastKey, bool isPrefix) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes((isPrefix ? "p" : "k") + lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static (string After, bool IsPrefix) DecodeToken(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(b64));
            if (text.Length >= 2 && text[0] is 'k' or 'p') return (text[1..], text[0] == 'p');
        }
        catch (FormatException) { }
        throw S3Errors.InvalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    }
}
