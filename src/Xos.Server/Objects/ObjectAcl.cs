using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>GET and PUT /bucket/key?acl.</summary>
public static class ObjectAcl
{
    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (_, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObjectAcl", ct);
        await AclRequests.WriteAsync(req, ctx, AccessControlList.FromJson(obj.Acl, obj.OwnerId), ct);
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:PutObjectAcl", ct);
        var acl = await AclRequests.ReadAsync(req, ctx, obj.OwnerId, bucket.OwnerId, ct);
        if (!await ctx.Store.SetObjectAclAsync(bucket.Id, obj.Key, ServerContext.RequestedVersionId(req), acl.ToJson(), ct)) throw S3Errors.NoSuchKey(obj.Key);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }
}
