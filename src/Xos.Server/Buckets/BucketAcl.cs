using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>GET and PUT /bucket?acl.</summary>
public static class BucketAcl
{
    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketAcl", ct);
        await AclRequests.WriteAsync(req, ctx, AccessControlList.FromJson(bucket.Acl, bucket.OwnerId), ct);
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketAcl", ct);
        BucketOwnershipControls.CheckAclChange(req, bucket, onObject: false);
        var acl = await AclRequests.ReadAsync(req, ctx, bucket.OwnerId, bucket.OwnerId, ct);
        PublicAccessBlockConfiguration.Effective(bucket).CheckAcl(acl);
        await ctx.Store.SetBucketAclAsync(bucket.Id, acl.ToJson(), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }
}
