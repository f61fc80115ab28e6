using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>GET / : the caller's buckets.</summary>
public static class ListBuckets
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var caller = ctx.Authorizer.RequireAuthenticated(req, "s3:ListAllMyBuckets", "arn:aws:s3:::*");
        var buckets = await ctx.Store.ListBucketsAsync(caller.OwnerId, ct);
        await S3Xml.WriteAsync(req.Http, 200, "ListAllMyBucketsResult", w =>
        {
            w.WriteStartElement("Owner");
            w.Element("ID", caller.OwnerId);
            w.Element("DisplayName", caller.DisplayName);
            w.WriteEndElement();
            w.WriteStartElement("Buckets");
            foreach (var b in buckets)
            {
                w.WriteStartElement("Bucket");
                w.Element("Name", b.Name);
                w.Element("CreationDate", b.Created);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        });
    }
}
