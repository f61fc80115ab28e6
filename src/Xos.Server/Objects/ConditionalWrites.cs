using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>If-None-Match: * and If-Match: "etag" on PutObject and CompleteMultipartUpload.</summary>
public static class ConditionalWrites
{
    /// <summary>The request's write precondition; null when it has none.</summary>
    public static WriteCondition? FromRequest(S3Request req)
    {
        var ifNoneMatch = req.Header("If-None-Match")?.Trim();
        var ifMatch = req.Header("If-Match")?.Trim();
        if (ifNoneMatch is null && ifMatch is null) return null;
        if (ifNoneMatch is not null && ifNoneMatch != "*")
            throw S3Errors.NotImplemented("If-None-Match on a write only supports the value *.");
        if (ifMatch is { Length: 0 }) throw S3Errors.InvalidArgument("If-Match must name an entity tag.", "If-Match", ifMatch);
        return new WriteCondition(ifNoneMatch is not null, ifMatch);
    }

    /// <summary>
    /// Checks the condition against the current version before the body is read, so a write bound to fail does not
    /// upload its data first. The store checks it again, atomically, when the write commits.
    /// </summary>
    public static async Task CheckEarlyAsync(Hosting.ServerContext ctx, S3Request req, BucketRecord bucket, WriteCondition? condition, CancellationToken ct)
    {
        if (condition is null) return;
        var current = await ctx.Store.GetObjectAsync(bucket.Id, req.Key!, null, ct);
        condition.Check(req.Key!, current is { IsDeleteMarker: false } ? current.ETag : null);
    }
}
