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
        var (bucketName, key, versionId) = Parse(req.Header("x-amz-copy-source")!);
        if (versionId is not null && versionId != "null") throw S3Errors.NotImplemented("Object versions are not implemented yet.");
        var (bucket, obj) = await ctx.Store.GetBucketAndObjectAsync(bucketName, key, ct);
        if (bucket is null) throw S3Errors.NoSuchBucket(bucketName);
        ctx.Authorizer.Authorize(req, bucket, "s3:GetObject", obj is { IsDeleteMarker: false } ? obj : null);
        if (obj is null || obj.IsDeleteMarker) throw S3Errors.NoSuchKey(key);
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
        obj.BlobId is { } id ? [new Segment(id, obj.Size)] : obj.Segments ?? [];
}
