using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>DELETE /bucket/key: 204 whether or not the key existed.</summary>
public static class DeleteObject
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:DeleteObject", ct);
        ctx.Release(await ctx.Store.DeleteObjectAsync(bucket.Id, req.Key!, ct));
        req.Http.Response.StatusCode = 204;
    }
}
