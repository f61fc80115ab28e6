using Xos.Server.Checksums;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>GET /bucket/key?attributes: the ETag, checksum, parts, storage class and size of an object, without its data.</summary>
public static class GetObjectAttributes
{
    private static readonly string[] Known = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var wanted = (req.Header("x-amz-object-attributes") ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0) throw S3Errors.InvalidArgument("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
            "x-amz-object-attributes", "");
        foreach (var name in wanted)
            if (!Known.Contains(name)) throw S3Errors.InvalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", name);
        var maxParts = ParseCount(req.Header("x-amz-max-parts"), "x-amz-max-parts", 1000);
        var marker = ParseCount(req.Header("x-amz-part-number-marker"), "x-amz-part-number-marker", 0);

        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObjectAttributes", ct);
        CustomerKeys.Unlock(obj.Encryption, CustomerKeys.FromRequest(req, ctx));
        var h = req.Http.Response.Headers;
        h.LastModified = HttpDates.Format(obj.LastModified);
        if (bucket.VersioningConfigured) h["x-amz-version-id"] = obj.VersionId;
        await S3Xml.WriteAsync(req.Http, 200, "GetObjectAttributesResponse", w =>
        {
            if (wanted.Contains("ETag")) w.Element("ETag", obj.ETag);
            if (wanted.Contains("Checksum") && obj.Checksum is { } checksum)
            {
                w.WriteStartElement("Checksum");
                w.Element(ChecksumAlgorithms.ElementName(checksum.Algorithm), checksum.Value);
                w.Element("ChecksumType", checksum.Type);
                w.WriteEndElement();
            }
            if (wanted.Contains("ObjectParts") && obj.PartsCount > 0 && obj.Segments is { } segments)
            {
                var shown = segments.Where(s => s.PartNumber > marker).Take(maxParts).ToList();
                var truncated = segments.Count(s => s.PartNumber > marker) > shown.Count;
                w.WriteStartElement("ObjectParts");
                w.Element("PartsCount", obj.PartsCount);
                w.Element("PartNumberMarker", marker);
                w.Element("NextPartNumberMarker", shown.Count > 0 ? shown[^1].PartNumber : marker);
                w.Element("MaxParts", maxParts);
                w.Element("IsTruncated", truncated);
                foreach (var part in shown)
                {
                    w.WriteStartElement("Part");
                    if (obj.Checksum is { Type: ObjectChecksums.Composite } composite && part.Checksum is { } partChecksum)
                        w.Element(ChecksumAlgorithms.ElementName(composite.Algorithm), partChecksum);
                    w.Element("PartNumber", part.PartNumber);
                    w.Element("Size", part.Size);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            if (wanted.Contains("StorageClass")) w.Element("StorageClass", obj.StorageClass);
            if (wanted.Contains("ObjectSize")) w.Element("ObjectSize", obj.Size);
        });
    }

    private static int ParseCount(string? text, string header, int fallback)
    {
        if (text is null) return fallback;
        if (!int.TryParse(text, out var n) || n < 0) throw S3Errors.InvalidArgument($"Invalid {header} value.", header, text);
        return n;
    }
}
