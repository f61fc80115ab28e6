using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>The x-amz-copy-source of CopyObject and UploadPartCopy: "bucket/key" URL-encoded, optionally "?versionId=".</summary>
public static class CopySource
{
    public const long MaxCopySourceSize = 5L * 1024 * 1024 * 1024;

    public static (string Bucket, string Key, string? VersionId) Parse(string header)
    {
        var text = header.Trim();
        string? versionId = null;
        var q = text.IndexOf("?versionId=", StringComparison.Ordinal);
        if (q >= 0)
        {
            versionId = Uri.UnescapeDataString(text[(q + "?versionId=".Length)..]);
            text = text[..q];
        }
        text = Uri.UnescapeDataString(text).TrimStart('/');
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1)
            throw S3Errors.InvalidArgument("Invalid copy source object key", "x-amz-copy-source", header);
        return (text[..slash], text[(slash + 1)..], versionId);
    }

    /// <summary>Loads the source object the caller may read, after checking the x-amz-copy-source-if-* conditions.</summary>
    public static async Task<(BucketRecord Bucket, ObjectRecord Object)> LoadAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var header = req.Header("x-amz-copy-source")!;
        var (bucketName, key, versionId) = Parse(header);
        if (versionId is { Length: 0 }) throw S3Errors.InvalidArgument("Version id cannot be the empty string", "x-amz-copy-source", header);
        var (bucket, obj) = await ctx.Store.GetBucketAndObjectAsync(bucketName, key, versionId, ct);
        if (bucket is null) throw S3Errors.NoSuchBucket(bucketName);
        ctx.Authorizer.Authorize(req, bucket, versionId is null ? "s3:GetObject" : "s3:GetObjectVersion", obj is { IsDeleteMarker: false } ? obj : null, key);
        if (obj is null)
            throw versionId is null ? S3Errors.NoSuchKey(key) : new S3Exception("NoSuchVersion", 404, "The specified version does not exist.", ("Key", key), ("VersionId", versionId));
        if (obj.IsDeleteMarker)
            throw versionId is null ? S3Errors.NoSuchKey(key) : S3Errors.InvalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.");
        if (bucket.VersioningConfigured) req.Http.Response.Headers["x-amz-copy-source-version-id"] = obj.VersionId;
        CheckConditions(req, obj);
        return (bucket, obj);
    }

    private static void CheckConditions(S3Request req, ObjectRecord obj)
    {
        var modified = HttpDates.TruncateToSeconds(obj.LastModified);
        var ifMatch = req.Header("x-amz-copy-source-if-match");
        var ifNoneMatch = req.Header("x-amz-copy-source-if-none-match");
        var ius = HttpDates.Parse(req.Header("x-amz-copy-source-if-unmodified-since"));
        var ims = HttpDates.Parse(req.Header("x-amz-copy-source-if-modified-since"));
        if (ifMatch is not null)
        {
            if (!ETags.Matches(ifMatch, obj.ETag)) throw S3Errors.PreconditionFailed("x-amz-copy-source-If-Match");
        }
        else if (ius is not null && modified > ius)
        {
            throw S3Errors.PreconditionFailed("x-amz-copy-source-If-Unmodified-Since");
        }
        if (ifNoneMatch is not null)
        {
            if (ETags.Matches(ifNoneMatch, obj.ETag)) throw S3Errors.PreconditionFailed("x-amz-copy-source-If-None-Match");
        }
        else if (ims is not null && modified <= ims)
        {
            throw S3Errors.PreconditionFailed("x-amz-copy-source-If-Modified-Since");
        }
    }

    public static IReadOnlyList<Segment> SegmentsOf(ObjectRecord obj) =>
        obj.InlineData is { } inline ? [new Segment("", obj.Size, Inline: inline)]
        : obj.BlobId is { } id ? [new Segment(id, obj.Size)] : obj.Segments ?? [];
}
