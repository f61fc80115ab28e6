using Xos.Server.Hosting;
using Xos.Server.Auth;
using Xos.Server.Protocol;

namespace Xos.Server.Auth.Acls;

/// <summary>What Put*Acl and Get*Acl share: reading the new ACL from headers or body, and writing the policy document.</summary>
public static class AclRequests
{
    /// <summary>The ACL a Put*Acl request sets: from x-amz-acl/x-amz-grant-* headers or an AccessControlPolicy body, never both.</summary>
    public static async Task<AccessControlList> ReadAsync(S3Request req, ServerContext ctx, string ownerId, string bucketOwnerId, CancellationToken ct)
    {
        var hasBody = req.ContentLength is > 0;
        Func<string, Task<bool>> exists = id => ctx.Store.UserExistsAsync(id, ct);
        if (AccessControlList.HasAclHeaders(req))
        {
            if (hasBody) throw new S3Exception("UnexpectedContent", 400, "This request does not support content");
            return (await AccessControlList.FromHeadersAsync(req, ownerId, bucketOwnerId, exists))!;
        }
        if (!hasBody) throw new S3Exception("MissingSecurityHeader", 400, "Your request was missing a required header", ("MissingHeaderName", "x-amz-acl"));
        return await AccessControlList.FromXmlAsync(await S3Xml.ReadBodyAsync(req, ct), ownerId, exists);
    }

    public static async Task WriteAsync(S3Request req, ServerContext ctx, AccessControlList acl, CancellationToken ct)
    {
        var names = await DisplayNames.ResolveAsync(ctx, acl.Grants.Select(g => g.Grantee.Id).OfType<string>().Append(acl.OwnerId), ct);
        await S3Xml.WriteAsync(req.Http, 200, "AccessControlPolicy", w => acl.WriteXml(w, names));
    }
}
