using System.Text;
using System.Text.Json.Nodes;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Media;

/// <summary>
/// POST /bucket/key?x-xos-process with the body <c>x-xos-process=image/...|sys/saveas,o_KEY,b_BUCKET</c> (key and bucket
/// URL-safe base64; the bucket defaults to the source's): the result stored as a new object, authorised as GetObject of
/// the source and PutObject of the target, encrypted by the target bucket's default, answered with JSON as Aliyun does
/// ({"bucket", "fileSize", "object", "status": "OK"}).
/// </summary>
public static class MediaSaveAs
{
    private const int MaxBody = 16 * 1024;

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (sourceBucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObject", ct);
        var text = await ReadParameterAsync(req, ct);
        var pipeline = await MediaStyles.ResolveAsync(ctx, sourceBucket, MediaPipeline.Parse(text), ct);
        var saveAs = pipeline.SaveAs ?? throw S3Errors.InvalidArgument("POST with a processing parameter stores a result: end the pipeline with |sys/saveas,o_KEY.",
            MediaParameter.Name, text);
        var work = CompiledPipeline.Compile(pipeline);
        var targetName = saveAs.Bucket ?? sourceBucket.Name;
        BucketNames.Validate(targetName);
        ObjectKeys.Validate(saveAs.Key);
        var target = targetName == sourceBucket.Name ? sourceBucket
            : await ctx.Store.GetBucketAsync(targetName, ct) ?? throw S3Errors.NoSuchBucket(targetName);
        ctx.Authorizer.Authorize(req, target, "s3:PutObject", null, saveAs.Key);

        var marks = await ProcessObject.LoadMarksAsync(req, ctx, sourceBucket, work, ct);
        var encryption = await ServerSideEncryption.UnlockAsync(req, ctx, obj.Encryption, ct);
        var result = await ProcessObject.RunAsync(req, ctx, obj, encryption, work, marks, ct);

        var targetEncryption = await ServerSideEncryption.ForWriteAsync(req, target, ctx, ct, _ => null, saveAs.Key);
        var (retention, legalHold) = ObjectLock.ForWrite(req, target, DateTimeOffset.UtcNow);
        var owner = BucketOwnershipControls.ObjectOwner(target, req.Identity?.OwnerId ?? target.OwnerId, req);
        byte[]? inline = null;
        BlobWriteResult? blob = null;
        byte[] md5;
        using (var body = new MemoryStream(result.Body, writable: false))
        {
            if (result.Body.Length <= ServerOptions.MaxInlineObjectSize)
                (inline, md5) = await ServerSideEncryption.ReadInlineAsync(ctx, body, result.Body.Length, targetEncryption, ct);
            else
                (blob, md5, _) = await ServerSideEncryption.WriteAsync(ctx, body, result.Body.Length, result.Body.Length, targetEncryption, 0, ct);
        }
        try
        {
            var record = new ObjectRecord
            {
                BucketId = target.Id,
                Key = saveAs.Key,
                VersionId = BucketVersioning.VersionIdForWrite(target),
                Size = result.Body.Length,
                ETag = ETags.FromMd5(md5),
                LastModified = DateTimeOffset.UtcNow,
                ContentType = result.ContentType,
                OwnerId = owner,
                BlobId = blob?.BlobId,
                InlineData = inline,
                Encryption = targetEncryption?.ToJson(),
                Retention = retention,
                LegalHold = legalHold,
            };
            ctx.ReleaseAfterResponse(req, await ctx.Store.PutObjectAsync(record, null, ct));
        }
        catch
        {
            if (blob is not null) await ctx.Blobs.DeleteAsync(blob.BlobId);
            throw;
        }
        var json = new JsonObject
        {
            ["bucket"] = target.Name,
            ["fileSize"] = result.Body.Length,
            ["object"] = saveAs.Key,
            ["status"] = "OK",
        }.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(json);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentType = "application/json";
        req.Http.Response.ContentLength = bytes.Length;
        await req.Http.Response.Body.WriteAsync(bytes, ct);
    }

    /// <summary>The pipeline from the form body (<c>x-xos-process=...</c>, or x-zos-/x-oss-process), else from the query's value.</summary>
    private static async Task<string> ReadParameterAsync(S3Request req, CancellationToken ct)
    {
        var buffer = new byte[MaxBody + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await req.Body.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += n;
        if (total > MaxBody) throw S3Errors.InvalidArgument($"The body of a save-as request is at most {MaxBody} bytes.", MediaParameter.Name);
        foreach (var pair in Encoding.UTF8.GetString(buffer, 0, total).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq < 0) continue;
            var name = Uri.UnescapeDataString(pair[..eq].Replace('+', ' ')).Trim();
            if (MediaParameter.IsProcessingName(name)) return Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' ')).Trim();
        }
        var fromQuery = req.Query(MediaParameter.NameIn(req)!);
        if (fromQuery is { Length: > 0 }) return fromQuery;
        throw S3Errors.InvalidArgument("The body must be x-xos-process=PIPELINE|sys/saveas,o_KEY,b_BUCKET.", MediaParameter.Name);
    }
}
