using System.Xml;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Multipart;

/// <summary>ListMultipartUploads and ListParts with their markers, enough for a client to resume an interrupted upload.</summary>
public static class MultipartListing
{
    private const int Limit = 1000;

    private static int ParseMax(S3Request req, string name)
    {
        var text = req.Query(name);
        if (text is null) return Limit;
        if (!int.TryParse(text, out var n) || n < 0)
            throw S3Errors.InvalidArgument($"Provided {name} not an integer or within integer range", name, text);
        return Math.Min(n, Limit);
    }

    private static void WritePerson(XmlWriter w, string element, string id, Func<string, string> displayName)
    {
        w.WriteStartElement(element);
        w.Element("ID", id);
        w.Element("DisplayName", displayName(id));
        w.WriteEndElement();
    }

    public static async Task ListPartsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, upload) = await MultipartUploads.LoadUploadAsync(req, ctx, "s3:ListMultipartUploadParts", ct);
        var maxParts = ParseMax(req, "max-parts");
        var markerText = req.Query("part-number-marker");
        var marker = 0;
        if (markerText is not null && (!int.TryParse(markerText, out marker) || marker < 0))
            throw S3Errors.InvalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", markerText);
        var parts = await ctx.Store.ListPartsAsync(upload.Id, marker, maxParts + 1, ct);
        var truncated = parts.Count > maxParts;
        var shown = parts.Take(maxParts).ToList();

        var names = await DisplayNames.ResolveAsync(ctx, [upload.OwnerId], ct);
        await S3Xml.WriteAsync(req.Http, 200, "ListPartsResult", w =>
        {
            w.Element("Bucket", bucket.Name);
            w.Element("Key", upload.Key);
            w.Element("UploadId", upload.UploadId);
            WritePerson(w, "Initiator", upload.OwnerId, names);
            WritePerson(w, "Owner", upload.OwnerId, names);
            w.Element("StorageClass", upload.StorageClass);
            w.Element("PartNumberMarker", marker);
            w.Element("NextPartNumberMarker", shown.Count > 0 ? shown[^1].PartNumber : marker);
            w.Element("MaxParts", maxParts);
            w.Element("IsTruncated", truncated);
            if (upload.ChecksumAlgorithm is { } algorithm)
            {
                w.Element("ChecksumAlgorithm", algorithm);
                w.Element("ChecksumType", upload.ChecksumType ?? "");
            }
            foreach (var p in shown)
            {
                w.WriteStartElement("Part");
                w.Element("PartNumber", p.PartNumber);
                w.Element("LastModified", p.LastModified);
                w.Element("ETag", ETags.Quote(p.ETag));
                w.Element("Size", p.Size);
                if (upload.ChecksumAlgorithm is { } partAlgorithm && p.Checksum is { } partChecksum)
                    w.Element(Checksums.ChecksumAlgorithms.ElementName(partAlgorithm), partChecksum);
                w.WriteEndElement();
            }
        });
    }

    public static async Task ListUploadsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:ListBucketMultipartUploads", ct);
        var prefix = req.Query("prefix") ?? "";
        var delimiter = string.IsNullOrEmpty(req.Query("delimiter")) ? null : req.Query("delimiter");
        var keyMarker = string.IsNullOrEmpty(req.Query("key-marker")) ? null : req.Query("key-marker");
        var uploadIdMarker = keyMarker is null || string.IsNullOrEmpty(req.Query("upload-id-marker")) ? null : req.Query("upload-id-marker");
        var maxUploads = ParseMax(req, "max-uploads");
        var encode = string.Equals(req.Query("encoding-type"), "url", StringComparison.OrdinalIgnoreCase);
        string E(string s) => encode ? ListObjects.UrlEncode(s) : s;

        var uploads = new List<UploadRecord>();
        var prefixes = new List<string>();
        var truncated = false;
        string? nextKey = null, nextUploadId = null;
        string? cursorKey = keyMarker, cursorUpload = uploadIdMarker;
        // A NextKeyMarker we returned may name a rolled-up prefix; the next page must not report it again.
        var skipPrefix = delimiter is not null && keyMarker is not null && keyMarker.EndsWith(delimiter, StringComparison.Ordinal) ? keyMarker : null;
        while (!truncated)
        {
            var batch = await ctx.Store.ListUploadsAsync(bucket.Id, prefix, cursorKey, cursorUpload, Limit, ct);
            foreach (var u in batch)
            {
                cursorKey = u.Key;
                cursorUpload = u.UploadId;
                string? commonPrefix = null;
                if (delimiter is not null)
                {
                    var at = u.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0) commonPrefix = u.Key[..(at + delimiter.Length)];
                }
                if (commonPrefix is not null && (commonPrefix == skipPrefix || (prefixes.Count > 0 && prefixes[^1] == commonPrefix))) continue;
                if (uploads.Count + prefixes.Count == maxUploads)
                {
                    truncated = true;
                    break;
                }
                if (commonPrefix is not null)
                {
                    prefixes.Add(commonPrefix);
                    nextKey = commonPrefix;
                    nextUploadId = null;
                }
                else
                {
                    uploads.Add(u);
                    nextKey = u.Key;
                    nextUploadId = u.UploadId;
                }
            }
            if (batch.Count < Limit) break;
        }

        var names = await DisplayNames.ResolveAsync(ctx, uploads.Select(u => u.OwnerId), ct);
        await S3Xml.WriteAsync(req.Http, 200, "ListMultipartUploadsResult", w =>
        {
            w.Element("Bucket", bucket.Name);
            w.Element("KeyMarker", E(keyMarker ?? ""));
            w.Element("UploadIdMarker", uploadIdMarker ?? "");
            if (truncated)
            {
                w.Element("NextKeyMarker", E(nextKey ?? ""));
                w.Element("NextUploadIdMarker", nextUploadId ?? "");
            }
            if (delimiter is not null) w.Element("Delimiter", E(delimiter));
            w.Element("Prefix", E(prefix));
            if (encode) w.Element("EncodingType", "url");
            w.Element("MaxUploads", maxUploads);
            w.Element("IsTruncated", truncated);
            foreach (var u in uploads)
            {
                w.WriteStartElement("Upload");
                w.Element("Key", E(u.Key));
                w.Element("UploadId", u.UploadId);
                WritePerson(w, "Initiator", u.OwnerId, names);
                WritePerson(w, "Owner", u.OwnerId, names);
                w.Element("StorageClass", u.StorageClass);
                w.Element("Initiated", u.Initiated);
                w.WriteEndElement();
            }
            foreach (var p in prefixes)
            {
                w.WriteStartElement("CommonPrefixes");
                w.Element("Prefix", E(p));
                w.WriteEndElement();
            }
        });
    }
}
