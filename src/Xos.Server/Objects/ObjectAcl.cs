using Xos.Server.Buckets;
using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>GET and PUT /bucket/key?acl.</summary>
public static class ObjectAcl
{
    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObjectAcl", ct);
        // With ACLs disabled the bucket owner owns every object, whoever wrote it.
        var acl = BucketOwnershipControls.AclsDisabled(bucket) ? AccessControlList.Private(bucket.OwnerId) : AccessControlList.FromJson(obj.Acl, obj.OwnerId);
        await AclRequests.WriteAsync(req, ctx, acl, ct);
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:PutObjectAcl", ct);
        BucketOwnershipControls.CheckAclChange(req, bucket, onObject: true);
        if (BucketOwnershipControls.AclsDisabled(bucket))
        {
            // bucket-owner-full-control is all a bucket without ACLs accepts, and it changes nothing.
            req.Http.Response.StatusCode = 200;
            req.Http.Response.ContentLength = 0;
            return;
        }
        var acl = await AclRequests.ReadAsync(req, ctx, obj.OwnerId, bucket.OwnerId, ct);
        PublicAccessBlockConfiguration.Effective(bucket).CheckAcl(acl);
        if (!await ctx.Store.SetObjectAclAsync(bucket.Id, obj.Key, ServerContext.RequestedVersionId(req), acl.ToJson(), ct,
                Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.AclPut))) throw S3Errors.NoSuchKey(obj.Key);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }
}
