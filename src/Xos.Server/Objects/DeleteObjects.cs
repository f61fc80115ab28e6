using System.Text;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>POST /bucket?delete: up to 1000 keys in one request, each answered with Deleted or Error.</summary>
public static class DeleteObjects
{
    private const int MaxKeys = 1000;

    private sealed record Outcome(string Key, string? VersionId, string? ErrorCode, string? ErrorMessage, bool DeleteMarker = false, string? DeleteMarkerVersionId = null);

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:DeleteObject", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "Delete") throw S3Errors.MalformedXml();
        var quiet = string.Equals(doc.ChildValue("Quiet")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var objects = doc.Children("Object").ToList();
        if (objects.Count is 0 or > MaxKeys) throw S3Errors.MalformedXml();

        var outcomes = new List<Outcome>(objects.Count);
        foreach (var o in objects)
        {
            var key = o.ChildValue("Key");
            if (key is null) throw S3Errors.MalformedXml();
            var versionId = o.ChildValue("VersionId");
            if (key.Length == 0 || Encoding.UTF8.GetByteCount(key) > ObjectKeys.MaxKeyBytes)
            {
                outcomes.Add(new Outcome(key, versionId, key.Length == 0 ? "InvalidArgument" : "KeyTooLongError",
                    key.Length == 0 ? "Object key must not be empty." : "Your key is too long"));
                continue;
            }
            Storage.DeleteOutcome result;
            try
            {
                result = await DeleteObject.DeleteAsync(req, ctx, bucket, key, string.IsNullOrEmpty(versionId) ? null : versionId, ct);
            }
            catch (S3Exception e) when (e.Code == "AccessDenied")
            {
                outcomes.Add(new Outcome(key, versionId, e.Code, e.Message));
                continue;
            }
            outcomes.Add(versionId is null && result.IsDeleteMarker
                ? new Outcome(key, null, null, null, true, result.VersionId)
                : new Outcome(key, versionId, null, null, result.IsDeleteMarker));
        }

        await S3Xml.WriteAsync(req.Http, 200, "DeleteResult", w =>
        {
            foreach (var r in outcomes)
            {
                if (r.ErrorCode is null)
                {
                    if (quiet) continue;
                    w.WriteStartElement("Deleted");
                    w.Element("Key", r.Key);
                    w.Element("VersionId", r.VersionId);
                    if (r.DeleteMarker) w.Element("DeleteMarker", true);
                    w.Element("DeleteMarkerVersionId", r.DeleteMarkerVersionId);
                    w.WriteEndElement();
                }
                else
                {
                    w.WriteStartElement("Error");
                    w.Element("Key", r.Key);
                    w.Element("VersionId", r.VersionId);
                    w.Element("Code", r.ErrorCode);
                    w.Element("Message", r.ErrorMessage);
                    w.WriteEndElement();
                }
            }
        });
    }
}
