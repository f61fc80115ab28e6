using System.Text;
using System.Text.Json;
using Xos.Server.Background;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>The headers an object is stored with (content headers, user metadata, storage class) and how they are returned.</summary>
public static class ObjectHeaders
{
    private const int MaxUserMetadataBytes = 2048;

    /// <summary>Content headers S3 stores with the object and returns on GET and HEAD.</summary>
    private static readonly string[] StoredContentHeaders = ["Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"];

    private static readonly string[] StorageClasses =
        ["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"];

    /// <summary>Request headers for features that are not implemented yet; refused so that no caller believes they took effect.</summary>
    private static readonly string[] UnsupportedWriteHeaders =
    [
        "x-amz-website-redirect-location",
    ];

    public sealed record Stored(string ContentType, IReadOnlyDictionary<string, string> Headers, string StorageClass);

    public static void RejectUnsupported(S3Request req)
    {
        // A customer key without its algorithm must not leave the object stored in plain text.
        if (req.Header("x-amz-server-side-encryption-customer-algorithm") is null
            && (req.Header("x-amz-server-side-encryption-customer-key") is not null || req.Header("x-amz-server-side-encryption-customer-key-md5") is not null))
            throw S3Errors.InvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                "x-amz-server-side-encryption", "null");
        foreach (var name in UnsupportedWriteHeaders)
            if (req.Header(name) is not null)
                throw S3Errors.NotImplemented($"The {name} header is not supported yet.");
    }

    public static string StorageClassFrom(S3Request req)
    {
        var sc = req.Header("x-amz-storage-class");
        if (sc is null) return "STANDARD";
        if (!StorageClasses.Contains(sc)) throw new S3Exception("InvalidStorageClass", 400, "The storage class you specified is not valid", ("StorageClassRequested", sc));
        return sc;
    }

    public static Stored FromRequest(S3Request req)
    {
        RejectUnsupported(req);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var metadataBytes = 0;
        foreach (var (name, values) in req.HttpRequest.Headers)
        {
            if (!name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase)) continue;
            var value = values.ToString();
            var key = name.ToLowerInvariant();
            metadataBytes += Encoding.UTF8.GetByteCount(key["x-amz-meta-".Length..]) + Encoding.UTF8.GetByteCount(value);
            headers[key] = value;
        }
        if (metadataBytes > MaxUserMetadataBytes)
            throw new S3Exception("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.",
                ("Size", metadataBytes.ToString()), ("MaxSizeAllowed", MaxUserMetadataBytes.ToString()));
        foreach (var name in StoredContentHeaders)
            if (req.Header(name) is { } v) headers[name] = v;
        // "aws-chunked" describes how this request's body was sent, not the object: S3 drops it and keeps the rest verbatim.
        if (headers.TryGetValue("Content-Encoding", out var encoding))
        {
            var codings = encoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (codings.Any(e => e.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)))
            {
                var kept = string.Join(", ", codings.Where(e => !e.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
                if (kept.Length == 0) headers.Remove("Content-Encoding");
                else headers["Content-Encoding"] = kept;
            }
        }
        var contentType = req.Header("Content-Type");
        if (string.IsNullOrWhiteSpace(contentType)) contentType = "application/octet-stream";
        return new Stored(contentType, headers, StorageClassFrom(req));
    }

    /// <summary>A bucket's lifecycle rules by their stored text, read (never changed) by every write and read of its current versions.</summary>
    private static readonly Caching.ParsedByText<IReadOnlyList<LifecycleRule>> ParsedLifecycles =
        new(static json => JsonSerializer.Deserialize(json, LifecycleJson.Default.ListLifecycleRule)!);

    /// <summary>x-amz-expiration on PUT, GET and HEAD of the current version when an expiration rule covers it.</summary>
    public static void WriteExpiration(S3Request req, ServerContext ctx, BucketRecord bucket, ObjectRecord obj)
    {
        if (bucket.Lifecycle is { } lifecycle && obj.IsLatest
            && LifecycleWorker.ExpirationHeader(ParsedLifecycles.Get(lifecycle), obj, ctx.Lifecycle.Day) is { } expiration)
            req.Http.Response.Headers["x-amz-expiration"] = expiration;
    }

    /// <summary>GET and HEAD name no server-side encryption: S3 refuses the write-only headers there.</summary>
    public static void RejectEncryptionHeadersOnRead(S3Request req)
    {
        foreach (var name in (string[])["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"])
            if (req.Header(name) is { } value)
                throw S3Errors.InvalidArgument($"The {name} header is not valid on GET and HEAD requests", name, value);
    }

    /// <summary>Writes the object's headers, applying the response-* query overrides of GetObject.</summary>
    public static void WriteResponse(S3Request req, ObjectRecord obj)
    {
        var h = req.Http.Response.Headers;
        h.ETag = ETags.Quote(obj.ETag);
        h.LastModified = HttpDates.Format(obj.LastModified);
        h.AcceptRanges = "bytes";
        h.ContentType = obj.ContentType;
        if (obj.StorageClass != "STANDARD") h["x-amz-storage-class"] = obj.StorageClass;
        ServerSideEncryption.WriteHeader(req, obj.Encryption);
        ObjectLock.WriteHeaders(req, obj);
        if (obj.Tags is not null) h["x-amz-tagging-count"] = ObjectTagging.Count(obj.Tags).ToString();
        if (obj.PartsCount > 0 && req.HasQuery("partNumber")) h["x-amz-mp-parts-count"] = obj.PartsCount.ToString();
        foreach (var (name, value) in obj.Headers) h[name] = IsUserMetadata(name) ? MetadataHeaderValue(value) : value;
        Override(req, "response-content-type", "Content-Type");
        Override(req, "response-content-language", "Content-Language");
        Override(req, "response-expires", "Expires");
        Override(req, "response-cache-control", "Cache-Control");
        Override(req, "response-content-disposition", "Content-Disposition");
        Override(req, "response-content-encoding", "Content-Encoding");
    }

    private static bool IsUserMetadata(string name) => name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// User metadata is sent back as Latin-1 bytes (what HTTP clients decode headers as); a value with characters beyond
    /// Latin-1 is RFC 2047 encoded, as S3 does for metadata it cannot return verbatim.
    /// </summary>
    public static string MetadataHeaderValue(string value) =>
        value.All(c => c <= '\u00FF') ? value : "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + "?=";

    private static void Override(S3Request req, string query, string header)
    {
        if (req.Query(query) is { } v) req.Http.Response.Headers[header] = v;
    }
}
