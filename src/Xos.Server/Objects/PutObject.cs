using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>
/// PUT /bucket/key: streams the body into a new blob (or, when small, reads it into the metadata record), then commits
/// it as the key's current object.
/// </summary>
public static class PutObject
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutObject", ct);
        var stored = ObjectHeaders.FromRequest(req);
        var (owner, acl) = await ctx.NewObjectAclAsync(req, bucket, ct);
        var tags = ObjectTagging.FromHeader(req);
        var length = RequireContentLength(req, ServerOptions.MaxObjectSize);
        var expectedMd5 = ContentMd5.Parse(req.Header("Content-MD5"));
        var condition = ConditionalWrites.FromRequest(req);
        await ConditionalWrites.CheckEarlyAsync(ctx, req, bucket, condition, ct);

        var encryption = await ServerSideEncryption.ForWriteAsync(req, bucket, ctx, ct);
        var (retention, legalHold) = ObjectLock.ForWrite(req, bucket, DateTimeOffset.UtcNow);
        byte[]? inline = null;
        BlobWriteResult? blob = null;
        byte[] md5;
        long size;
        // A small object goes into the metadata store with its record: one durable write (the database's, shared by the
        // writes committed with it) instead of a blob file, its directory and the database.
        if (length is { } known && known <= ServerOptions.MaxInlineObjectSize)
        {
            (inline, md5) = await ServerSideEncryption.ReadInlineAsync(ctx, req.Body, known, encryption, ct);
            size = known;
        }
        else (blob, md5, size) = await ServerSideEncryption.WriteAsync(ctx, req.Body, length, ServerOptions.MaxObjectSize, encryption, 0, ct);
        try
        {
            ContentMd5.Verify(expectedMd5, md5);
            var record = new ObjectRecord
            {
                BucketId = bucket.Id,
                Key = req.Key!,
                VersionId = BucketVersioning.VersionIdForWrite(bucket),
                Size = size,
                ETag = ETags.FromMd5(md5),
                LastModified = DateTimeOffset.UtcNow,
                ContentType = stored.ContentType,
                Headers = stored.Headers,
                StorageClass = stored.StorageClass,
                OwnerId = owner,
                BlobId = blob?.BlobId,
                InlineData = inline,
                Acl = acl,
                Tags = tags,
                Encryption = encryption?.ToJson(),
                Checksum = ObjectChecksums.OfBody(req),
                Retention = retention,
                LegalHold = legalHold,
            };
            ctx.ReleaseAfterResponse(req, await ctx.Store.PutObjectAsync(record, condition, ct,
                Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.Put)));
            req.Http.Response.Headers.ETag = ETags.Quote(record.ETag);
            ObjectChecksums.WriteHeaders(req, record.Checksum);
            ServerSideEncryption.WriteHeader(req, record.Encryption);
            if (bucket.VersioningEnabled) req.Http.Response.Headers["x-amz-version-id"] = record.VersionId;
            ObjectHeaders.WriteExpiration(req, ctx, bucket, record);
            req.Http.Response.StatusCode = 200;
            req.Http.Response.ContentLength = 0;
        }
        catch
        {
            if (blob is not null) await ctx.Blobs.DeleteAsync(blob.BlobId);
            throw;
        }
    }

    /// <summary>
    /// The body's length (Content-Length, or x-amz-decoded-content-length for aws-chunked bodies); null for a body sent
    /// with Transfer-Encoding: chunked and no length (a browser or a streaming HTTP client), which is stored as it arrives
    /// up to <paramref name="max"/>, as Ceph RGW does.
    /// </summary>
    public static long? RequireContentLength(S3Request req, long max)
    {
        if (req.ContentLength is not { } length)
        {
            if (req.HttpRequest.ContentLength is null && req.Header("Transfer-Encoding") is null) return 0;
            if (req.HttpRequest.ContentLength is null && IsChunkedTransfer(req)) return null;
            throw S3Errors.MissingContentLength();
        }
        if (length < 0) throw S3Errors.MissingContentLength();
        if (length > max) throw S3Errors.EntityTooLarge(max);
        return length;
    }

    private static bool IsChunkedTransfer(S3Request req) =>
        req.Header("Transfer-Encoding") is { } te && te.Split(',').Any(t => t.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase));
}
