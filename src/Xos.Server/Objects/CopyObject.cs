using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>PUT /bucket/key with x-amz-copy-source: copies the data into a new blob and commits it under the target key.</summary>
public static class CopyObject
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var target = await ctx.AuthorizedBucketAsync(req, "s3:PutObject", ct);
        ObjectHeaders.RejectUnsupported(req);
        if (req.Header("x-amz-copy-source-range") is not null)
            throw S3Errors.InvalidArgument("The x-amz-copy-source-range header is only valid for UploadPartCopy.", "x-amz-copy-source-range", req.Header("x-amz-copy-source-range"));
        var directive = req.Header("x-amz-metadata-directive") ?? "COPY";
        if (directive is not ("COPY" or "REPLACE"))
            throw S3Errors.InvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);

        var taggingDirective = req.Header("x-amz-tagging-directive") ?? "COPY";
        if (taggingDirective is not ("COPY" or "REPLACE"))
            throw S3Errors.InvalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", taggingDirective);
        var (sourceBucket, source) = await CopySource.LoadAsync(req, ctx, ct);
        var storageClass = ObjectHeaders.StorageClassFrom(req);
        // Copying an older version over its own key is how S3 restores it; only a copy of the current version onto itself is refused.
        if (sourceBucket.Id == target.Id && source.Key == req.Key && source.IsLatest && directive == "COPY" && req.Header("x-amz-storage-class") is null
            && req.Header(ServerSideEncryption.Header) is null)
            throw S3Errors.InvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        if (source.Size > CopySource.MaxCopySourceSize)
            throw S3Errors.InvalidRequest($"The specified copy source is larger than the maximum allowable size for a copy source: {CopySource.MaxCopySourceSize}");

        var (contentType, headers) = directive == "REPLACE"
            ? ObjectHeaders.FromRequest(req) is var s ? (s.ContentType, s.Headers) : default
            : (source.ContentType, source.Headers);

        var (owner, acl) = await ctx.NewObjectAclAsync(req, target, ct);
        var sourceEncryption = await ServerSideEncryption.UnlockAsync(req, ctx, source.Encryption, ct, CustomerKeys.CopySourcePrefix);
        var encryption = await ServerSideEncryption.ForWriteAsync(req, target, ctx, ct);
        var (blob, md5, size) = await CopyDataAsync(ctx, source, sourceEncryption, 0, source.Size, encryption, 0, ct);
        ObjectRecord record;
        try
        {
            record = new ObjectRecord
            {
                BucketId = target.Id,
                Key = req.Key!,
                VersionId = BucketVersioning.VersionIdForWrite(target),
                Size = size,
                ETag = ETags.FromMd5(md5),
                LastModified = DateTimeOffset.UtcNow,
                ContentType = contentType,
                Headers = headers,
                StorageClass = storageClass,
                OwnerId = owner,
                BlobId = blob.BlobId,
                Acl = acl,
                Tags = taggingDirective == "REPLACE" ? ObjectTagging.FromHeader(req) : source.Tags,
                Encryption = encryption?.ToJson(),
            };
            ctx.ReleaseAfterResponse(req, await ctx.Store.PutObjectAsync(record, null, ct,
                Notifications.ObjectEvents.For(req, ctx, target, Notifications.EventTypes.Copy)));
        }
        catch
        {
            await ctx.Blobs.DeleteAsync(blob.BlobId);
            throw;
        }
        // Committed: from here on a client that goes away must not take the new object's blob with it.
        if (target.VersioningEnabled) req.Http.Response.Headers["x-amz-version-id"] = record.VersionId;
        ServerSideEncryption.WriteHeader(req, record.Encryption);
        await S3Xml.WriteAsync(req.Http, 200, "CopyObjectResult", w =>
        {
            w.Element("LastModified", record.LastModified);
            w.Element("ETag", ETags.Quote(record.ETag));
        });
    }

    /// <summary>
    /// Copies [offset, offset + length) of a stored object into a new blob: a plain byte copy when neither side is
    /// encrypted, otherwise decrypting and/or sealing with the target's key on the way.
    /// </summary>
    public static async Task<(BlobWriteResult Blob, byte[] Md5, long Size)> CopyDataAsync(ServerContext ctx, ObjectRecord source,
        Storage.Encryption.EncryptionInfo? sourceEncryption, long offset, long length, Storage.Encryption.EncryptionInfo? targetEncryption, int streamNumber,
        CancellationToken ct)
    {
        if (sourceEncryption is null && targetEncryption is null)
        {
            var copy = await ctx.Blobs.CopyAsync(CopySource.SegmentsOf(source), offset, length, ct);
            return (copy, copy.Md5, copy.Size);
        }
        await using var plaintext = await ServerSideEncryption.OpenPlaintextAsync(ctx, source, sourceEncryption, offset, length, ct);
        return await ServerSideEncryption.WriteAsync(ctx, plaintext, length, length, targetEncryption, streamNumber, ct);
    }
}
