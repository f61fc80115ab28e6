using System.Security.Cryptography;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Multipart;

/// <summary>CreateMultipartUpload, CompleteMultipartUpload and AbortMultipartUpload.</summary>
public static class MultipartUploads
{
    /// <summary>Upload ids sort by creation time, which is the order ListMultipartUploads reports uploads of one key in.</summary>
    private static string NewUploadId() =>
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("x12") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static async Task CreateAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutObject", ct);
        var stored = ObjectHeaders.FromRequest(req);
        var owner = req.Identity?.OwnerId ?? bucket.OwnerId;
        var acl = await ctx.RequestedAclAsync(req, owner, bucket.OwnerId, ct);
        var tags = ObjectTagging.FromHeader(req);
        var upload = new UploadRecord
        {
            UploadId = NewUploadId(),
            BucketId = bucket.Id,
            Key = req.Key!,
            Initiated = DateTimeOffset.UtcNow,
            OwnerId = owner,
            Acl = acl,
            Tags = tags,
            Encryption = ServerSideEncryption.NewKeyFor(ServerSideEncryption.RequestedAlgorithm(req, bucket), ctx)?.ToJson(),
            ContentType = stored.ContentType,
            Headers = stored.Headers,
            StorageClass = stored.StorageClass,
        };
        await ctx.Store.CreateUploadAsync(upload, ct);
        ServerSideEncryption.WriteHeader(req, upload.Encryption);
        await S3Xml.WriteAsync(req.Http, 200, "InitiateMultipartUploadResult", w =>
        {
            w.Element("Bucket", bucket.Name);
            w.Element("Key", upload.Key);
            w.Element("UploadId", upload.UploadId);
        });
    }

    /// <summary>Loads the upload named by ?uploadId= after authorizing <paramref name="action"/> on its bucket.</summary>
    public static async Task<(BucketRecord Bucket, UploadRecord Upload)> LoadUploadAsync(S3Request req, ServerContext ctx, string action, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, action, ct);
        var uploadId = req.Query("uploadId") ?? "";
        var upload = await ctx.Store.GetUploadAsync(bucket.Id, req.Key!, uploadId, ct) ?? throw S3Errors.NoSuchUpload(uploadId);
        return (bucket, upload);
    }

    public static async Task CompleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, upload) = await LoadUploadAsync(req, ctx, "s3:PutObject", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "CompleteMultipartUpload") throw S3Errors.MalformedXml();
        var requested = new List<(int PartNumber, string ETag)>();
        foreach (var p in doc.Children("Part"))
        {
            if (!int.TryParse(p.ChildValue("PartNumber"), out var number) || p.ChildValue("ETag") is not { } etag) throw S3Errors.MalformedXml();
            requested.Add((number, ETags.Unquote(etag)));
        }
        if (requested.Count == 0) throw S3Errors.MalformedXml();
        for (var i = 1; i < requested.Count; i++)
            if (requested[i].PartNumber <= requested[i - 1].PartNumber) throw S3Errors.InvalidPartOrder();

        var versionId = BucketVersioning.VersionIdForWrite(bucket);
        var (obj, outcome) = await ctx.Store.CompleteUploadAsync(upload, parts => Assemble(upload, parts, requested, req) with { VersionId = versionId }, ct);
        if (bucket.VersioningEnabled) req.Http.Response.Headers["x-amz-version-id"] = obj.VersionId;
        ServerSideEncryption.WriteHeader(req, obj.Encryption);
        ctx.Release(outcome);
        var scheme = req.Http.Request.IsHttps ? "https" : "http";
        await S3Xml.WriteAsync(req.Http, 200, "CompleteMultipartUploadResult", w =>
        {
            w.Element("Location", $"{scheme}://{req.Http.Request.Host}/{bucket.Name}/{ListObjects.UrlEncode(obj.Key)}");
            w.Element("Bucket", bucket.Name);
            w.Element("Key", obj.Key);
            w.Element("ETag", ETags.Quote(obj.ETag));
        });
    }

    /// <summary>Checks the requested parts against the stored ones and builds the object from them, without copying data.</summary>
    private static ObjectRecord Assemble(UploadRecord upload, IReadOnlyList<PartRecord> stored, List<(int PartNumber, string ETag)> requested, S3Request req)
    {
        var byNumber = stored.ToDictionary(p => p.PartNumber);
        var segments = new List<Segment>(requested.Count);
        var etags = new List<string>(requested.Count);
        long size = 0;
        for (var i = 0; i < requested.Count; i++)
        {
            var (number, etag) = requested[i];
            if (!byNumber.TryGetValue(number, out var part) || part.ETag != etag) throw S3Errors.InvalidPart();
            if (i < requested.Count - 1 && part.Size < ServerOptions.MinPartSize) throw S3Errors.EntityTooSmall();
            segments.Add(new Segment(part.BlobId, part.Size, part.PartNumber));
            etags.Add(part.ETag);
            size += part.Size;
        }
        return new ObjectRecord
        {
            BucketId = upload.BucketId,
            Key = upload.Key,
            Size = size,
            ETag = ETags.Multipart(etags, etags.Count),
            LastModified = DateTimeOffset.UtcNow,
            ContentType = upload.ContentType,
            Headers = upload.Headers,
            StorageClass = upload.StorageClass,
            OwnerId = upload.OwnerId,
            Acl = upload.Acl,
            Tags = upload.Tags,
            Encryption = upload.Encryption,
            Segments = segments,
            PartsCount = segments.Count,
        };
    }

    public static async Task AbortAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (_, upload) = await LoadUploadAsync(req, ctx, "s3:AbortMultipartUpload", ct);
        var outcome = await ctx.Store.AbortUploadAsync(upload.Id, ct) ?? throw S3Errors.NoSuchUpload(upload.UploadId);
        ctx.Release(outcome);
        req.Http.Response.StatusCode = 204;
    }
}
