using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>DELETE /bucket/key[?versionId=]: 204 whether or not the key existed; a delete marker in versioned buckets.</summary>
public static class DeleteObject
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var versionId = ServerContext.RequestedVersionId(req);
        var bucket = await ctx.AuthorizedBucketAsync(req, versionId is null ? "s3:DeleteObject" : "s3:DeleteObjectVersion", ct);
        var result = await DeleteAsync(req, ctx, bucket, req.Key!, versionId, ct);
        if (result.VersionId is not null) req.Http.Response.Headers["x-amz-version-id"] = result.VersionId;
        if (result.IsDeleteMarker) req.Http.Response.Headers["x-amz-delete-marker"] = "true";
        req.Http.Response.StatusCode = 204;
    }

    /// <summary>Deletes one key or version and frees its data; deleting what does not exist succeeds, as in S3.</summary>
    public static async Task<DeleteOutcome> DeleteAsync(S3Request req, ServerContext ctx, BucketRecord bucket, string key, string? versionId, CancellationToken ct)
    {
        var callerId = req.Identity?.OwnerId ?? bucket.OwnerId;
        var events = Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.Removed);
        DeleteOutcome result;
        if (versionId is not null)
        {
            var guard = bucket.ObjectLock is null ? null : ObjectLock.DeletionGuard(req, ctx, bucket);
            result = await ctx.Store.DeleteObjectVersionAsync(bucket.Id, key, versionId, guard, ct, events)
                     ?? new DeleteOutcome(WriteOutcome.Nothing, versionId, false);
        }
        else
        {
            var marker = new ObjectRecord
            {
                Key = key,
                VersionId = BucketVersioning.VersionIdForWrite(bucket),
                IsDeleteMarker = true,
                LastModified = DateTimeOffset.UtcNow,
                ContentType = "",
                OwnerId = callerId,
            };
            result = await ctx.Store.DeleteObjectAsync(bucket, key, marker, ct, events);
        }
        await ctx.ReleaseAsync(result.Outcome);
        return result;
    }
}
