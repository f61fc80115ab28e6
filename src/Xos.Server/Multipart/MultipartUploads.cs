using Xos.Server.Checksums;
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
        var (owner, acl) = await ctx.NewObjectAclAsync(req, bucket, ct);
        var tags = ObjectTagging.FromHeader(req);
        var (checksumAlgorithm, checksumType) = MultipartChecksums.FromCreateRequest(req);
        var (retention, legalHold) = ObjectLock.ForWrite(req, bucket, DateTimeOffset.UtcNow);
        var upload = new UploadRecord
        {
            UploadId = NewUploadId(),
            BucketId = bucket.Id,
            Key = req.Key!,
            Initiated = DateTimeOffset.UtcNow,
            OwnerId = owner,
            Acl = acl,
            Tags = tags,
            Encryption = (await ServerSideEncryption.ForWriteAsync(req, bucket, ctx, ct))?.ToJson(),
            ContentType = stored.ContentType,
            Headers = stored.Headers,
            StorageClass = stored.StorageClass,
            ChecksumAlgorithm = checksumAlgorithm,
            ChecksumType = checksumType,
            Retention = retention,
            LegalHold = legalHold,
        };
        await ctx.Store.CreateUploadAsync(upload, ct);
        ServerSideEncryption.WriteHeader(req, upload.Encryption);
        if (checksumAlgorithm is not null)
        {
            req.Http.Response.Headers["x-amz-checksum-algorithm"] = checksumAlgorithm;
            req.Http.Response.Headers["x-amz-checksum-type"] = checksumType;
        }
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
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutObject", ct);
        var uploadId = req.Query("uploadId") ?? "";
        var requested = await ReadCompletionAsync(req, ct);
        var condition = ConditionalWrites.FromRequest(req);
        ObjectRecord obj;
        if (await ctx.Store.GetUploadAsync(bucket.Id, req.Key!, uploadId, ct) is not { } upload)
        {
            // A retried completion (the first answer was lost) gets the same answer while the object it made exists.
            obj = await ctx.Store.GetCompletedUploadAsync(bucket.Id, req.Key!, uploadId, ct) ?? throw S3Errors.NoSuchUpload(uploadId);
        }
        else
        {
            // An SSE-C upload is completed only by who holds its key, as S3 requires.
            if (Storage.Encryption.EncryptionInfo.FromJson(upload.Encryption) is { IsCustomerKey: true })
                await ServerSideEncryption.UnlockAsync(req, ctx, upload.Encryption, ct);
            var versionId = BucketVersioning.VersionIdForWrite(bucket);
            var declared = MultipartChecksums.DeclaredObjectChecksum(req, upload);
            (obj, var outcome) = await ctx.Store.CompleteUploadAsync(upload,
                parts => Assemble(upload, parts, requested, declared) with { VersionId = versionId }, condition, ct,
                Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.CompleteMultipartUpload));
            await ctx.ReleaseAsync(outcome);
        }
        if (bucket.VersioningEnabled) req.Http.Response.Headers["x-amz-version-id"] = obj.VersionId;
        ServerSideEncryption.WriteHeader(req, obj.Encryption);
        var scheme = req.Http.Request.IsHttps ? "https" : "http";
        await S3Xml.WriteAsync(req.Http, 200, "CompleteMultipartUploadResult", w =>
        {
            w.Element("Location", $"{scheme}://{req.Http.Request.Host}/{bucket.Name}/{ListObjects.UrlEncode(obj.Key)}");
            w.Element("Bucket", bucket.Name);
            w.Element("Key", obj.Key);
            w.Element("ETag", ETags.Quote(obj.ETag));
            if (obj.Checksum is { } checksum)
            {
                w.Element(ChecksumAlgorithms.ElementName(checksum.Algorithm), checksum.Value);
                w.Element("ChecksumType", checksum.Type);
            }
        });
    }

    /// <summary>A part named in CompleteMultipartUpload: its number, ETag and, when sent, its checksum in the upload's algorithm.</summary>
    private readonly record struct RequestedPart(int PartNumber, string ETag, IReadOnlyDictionary<string, string> Checksums);

    /// <summary>
    /// The parts of the completion request in ascending order. A part number listed twice (a part re-sent while the list
    /// was being built) counts once, with its last entry, as S3 does; a smaller number after a larger one is InvalidPartOrder.
    /// </summary>
    private static async Task<List<RequestedPart>> ReadCompletionAsync(S3Request req, CancellationToken ct)
    {
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "CompleteMultipartUpload") throw S3Errors.MalformedXml();
        var requested = new List<RequestedPart>();
        foreach (var p in doc.Children("Part"))
        {
            if (!int.TryParse(p.ChildValue("PartNumber"), out var number) || p.ChildValue("ETag") is not { } etag) throw S3Errors.MalformedXml();
            var checksums = new Dictionary<string, string>();
            foreach (var algorithm in ChecksumAlgorithms.All)
                if (p.ChildValue(ChecksumAlgorithms.ElementName(algorithm)) is { } value) checksums[algorithm] = value.Trim();
            var part = new RequestedPart(number, ETags.Unquote(etag), checksums);
            if (requested.Count > 0 && number < requested[^1].PartNumber) throw S3Errors.InvalidPartOrder();
            if (requested.Count > 0 && number == requested[^1].PartNumber) requested[^1] = part;
            else requested.Add(part);
        }
        if (requested.Count == 0) throw S3Errors.MalformedXml();
        return requested;
    }

    /// <summary>Checks the requested parts against the stored ones and builds the object from them, without copying data.</summary>
    private static ObjectRecord Assemble(UploadRecord upload, IReadOnlyList<PartRecord> stored, List<RequestedPart> requested, string? declaredChecksum)
    {
        var byNumber = stored.ToDictionary(p => p.PartNumber);
        var segments = new List<Segment>(requested.Count);
        var etags = new List<string>(requested.Count);
        var parts = new List<PartRecord>(requested.Count);
        long size = 0;
        for (var i = 0; i < requested.Count; i++)
        {
            var wanted = requested[i];
            if (!byNumber.TryGetValue(wanted.PartNumber, out var part) || part.ETag != wanted.ETag) throw S3Errors.InvalidPart();
            if (i < requested.Count - 1 && part.Size < ServerOptions.MinPartSize) throw S3Errors.EntityTooSmall();
            MultipartChecksums.CheckRequestedPart(upload, part, wanted.Checksums);
            segments.Add(new Segment(part.BlobId, part.Size, part.PartNumber, part.Checksum));
            etags.Add(part.ETag);
            parts.Add(part);
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
            Checksum = MultipartChecksums.OfObject(upload, parts, declaredChecksum),
            Retention = upload.Retention,
            LegalHold = upload.LegalHold,
        };
    }

    public static async Task AbortAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (_, upload) = await LoadUploadAsync(req, ctx, "s3:AbortMultipartUpload", ct);
        var outcome = await ctx.Store.AbortUploadAsync(upload.Id, ct) ?? throw S3Errors.NoSuchUpload(upload.UploadId);
        await ctx.ReleaseAsync(outcome);
        req.Http.Response.StatusCode = 204;
    }
}
