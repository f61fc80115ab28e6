using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Multipart;

/// <summary>UploadPart and UploadPartCopy: each part becomes its own blob, kept until the upload completes or aborts.</summary>
public static class UploadPart
{
    private static int PartNumber(S3Request req)
    {
        var text = req.Query("partNumber");
        if (!int.TryParse(text, out var n) || n is < 1 or > ServerOptions.MaxPartNumber)
            throw S3Errors.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", text);
        return n;
    }

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var partNumber = PartNumber(req);
        var (_, upload) = await MultipartUploads.LoadUploadAsync(req, ctx, "s3:PutObject", ct);
        var length = PutObject.RequireContentLength(req, ServerOptions.MaxPartSize);
        var expectedMd5 = ContentMd5.Parse(req.Header("Content-MD5"));
        var encryption = await ServerSideEncryption.UnlockAsync(req, ctx, upload.Encryption, ct);
        var checksum = upload.ChecksumAlgorithm is { } algorithm ? RequestChecksums.Require(req, algorithm) : req.BodyChecksum;
        var (blob, md5, size) = await ServerSideEncryption.WriteAsync(ctx, req.Body, length, ServerOptions.MaxPartSize, encryption, partNumber, ct);
        var etag = ETags.FromMd5(md5);
        var partChecksum = upload.ChecksumAlgorithm is not null ? checksum!.Value : null;
        await StoreAsync(ctx, upload, new PartRecord(partNumber, blob.BlobId, size, etag, DateTimeOffset.UtcNow, partChecksum),
            () => ContentMd5.Verify(expectedMd5, md5), ct);
        ServerSideEncryption.WriteHeader(req, upload.Encryption);
        if (checksum is not null) req.Http.Response.Headers[Checksums.ChecksumAlgorithms.HeaderName(checksum.Algorithm)] = checksum.Value;
        req.Http.Response.Headers.ETag = ETags.Quote(etag);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task CopyAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var partNumber = PartNumber(req);
        var (_, upload) = await MultipartUploads.LoadUploadAsync(req, ctx, "s3:PutObject", ct);
        var (_, source) = await CopySource.LoadAsync(req, ctx, ct);
        var (offset, length) = CopyRange(req.Header("x-amz-copy-source-range"), source.Size);
        if (length > ServerOptions.MaxPartSize) throw S3Errors.EntityTooLarge(ServerOptions.MaxPartSize);
        var sourceEncryption = await ServerSideEncryption.UnlockAsync(req, ctx, source.Encryption, ct, CustomerKeys.CopySourcePrefix);
        var (blob, md5, size) = await CopyObject.CopyDataAsync(ctx, source, sourceEncryption, offset, length,
            await ServerSideEncryption.UnlockAsync(req, ctx, upload.Encryption, ct), partNumber, ct);
        var part = new PartRecord(partNumber, blob.BlobId, size, ETags.FromMd5(md5), DateTimeOffset.UtcNow);
        ServerSideEncryption.WriteHeader(req, upload.Encryption);
        await StoreAsync(ctx, upload, part, null, ct);
        await S3Xml.WriteAsync(req.Http, 200, "CopyPartResult", w =>
        {
            w.Element("LastModified", part.LastModified);
            w.Element("ETag", ETags.Quote(part.ETag));
        });
    }

    private static async Task StoreAsync(ServerContext ctx, UploadRecord upload, PartRecord part, Action? verify, CancellationToken ct)
    {
        try
        {
            verify?.Invoke();
            await ctx.ReleaseAsync(await ctx.Store.PutPartAsync(upload.Id, part, ct));
        }
        catch (S3Exception e) when (e.Code == "NoSuchUpload")
        {
            await ctx.Blobs.DeleteAsync(part.BlobId);
            throw S3Errors.NoSuchUpload(upload.UploadId);
        }
        catch
        {
            await ctx.Blobs.DeleteAsync(part.BlobId);
            throw;
        }
    }

    /// <summary>x-amz-copy-source-range: "bytes=first-last", both inclusive and inside the source.</summary>
    private static (long Offset, long Length) CopyRange(string? header, long size)
    {
        if (header is null) return (0, size);
        var text = header.Trim();
        var dash = text.IndexOf('-');
        if (!text.StartsWith("bytes=", StringComparison.Ordinal) || dash < 0
            || !long.TryParse(text[6..dash], out var first) || !long.TryParse(text[(dash + 1)..], out var last) || first < 0 || last < first)
            throw S3Errors.InvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                "x-amz-copy-source-range", header);
        if (last >= size) throw S3Errors.InvalidRange(size);
        return (first, last - first + 1);
    }
}
