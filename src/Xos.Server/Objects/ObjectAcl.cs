using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>GET and PUT /bucket/key?acl.</summary>
public static class ObjectAcl
{
    private static async Task<(BucketRecord Bucket, ObjectRecord Object)> LoadAsync(S3Request req, ServerContext ctx, string action, CancellationToken ct)
    {
        var (bucket, obj) = await ctx.Store.GetBucketAndObjectAsync(req.Bucket!, req.Key!, ct);
        if (bucket is null) throw S3Errors.NoSuchBucket(req.Bucket!);
        var live = obj is { IsDeleteMarker: false } ? obj : null;
        ctx.Authorizer.Authorize(req, bucket, action, live);
        return (bucket, live ?? throw S3Errors.NoSuchKey(req.Key!));
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (_, obj) = await LoadAsync(req, ctx, "s3:GetObjectAcl", ct);
        await AclRequests.WriteAsync(req, AccessControlList.FromJson(obj.Acl, obj.OwnerId));
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await LoadAsync(req, ctx, "s3:PutObjectAcl", ct);
        var acl = await AclRequests.ReadAsync(req, ctx, obj.OwnerId, bucket.OwnerId, ct);
        if (!await ctx.Store.SetObjectAclAsync(bucket.Id, obj.Key, acl.ToJson(), ct)) throw S3Errors.NoSuchKey(obj.Key);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }
}
