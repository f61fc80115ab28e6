using System.Security.Cryptography;
using System.Text;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Media;

/// <summary>
/// GET and HEAD /bucket/key?x-xos-process=... (or x-zos-process, x-oss-process): the object, authorised exactly as
/// GetObject (version, SSE and SSE-C keys included), run through the pipeline, answered with the result's own type and
/// length, an ETag derived from the source's and the pipeline, and the source's Last-Modified. Results are kept in the
/// on-disk cache (sealed when the source is encrypted; never for SSE-C) and served from it.
/// </summary>
public static class ProcessObject
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var name = MediaParameter.NameIn(req)!;
        ObjectHeaders.RejectEncryptionHeadersOnRead(req);
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObject", ct);
        var pipeline = await MediaStyles.ResolveAsync(ctx, bucket, MediaPipeline.Parse(req.Query(name)!), ct);
        if (pipeline.SaveAs is not null)
            throw S3Errors.InvalidArgument("sys/saveas stores a result: send it with POST, the pipeline in the body.", name, req.Query(name));
        var work = CompiledPipeline.Compile(pipeline);
        var marks = await LoadMarksAsync(req, ctx, bucket, work, ct);
        var fingerprint = Fingerprint(bucket, obj, pipeline, marks);

        var response = req.Http.Response;
        var etag = fingerprint[..32];
        var status = GetObject.EvaluateConditions(req, obj with { ETag = etag });
        response.Headers.ETag = ETags.Quote(etag);
        response.Headers.LastModified = HttpDates.Format(obj.LastModified);
        if (bucket.VersioningConfigured) response.Headers["x-amz-version-id"] = obj.VersionId;
        ServerSideEncryption.WriteHeader(req, obj.Encryption);
        if (status == 304)
        {
            response.StatusCode = 304;
            return;
        }

        var encryption = await ServerSideEncryption.UnlockAsync(req, ctx, obj.Encryption, ct);
        // Results of encrypted sources are cached sealed under a key of their own; SSE-C results are never cached.
        var infos = marks.Select(m => m.Encryption).Prepend(obj.Encryption).Select(EncryptionInfo.FromJson).ToList();
        var cacheable = infos.All(i => i is not { IsCustomerKey: true });
        var sealAlgorithm = infos.FirstOrDefault(i => i is not null)?.Algorithm;
        var media = ctx.Media;
        if (cacheable && media.Cache.TryGet(fingerprint) is { } hit)
        {
            using (hit)
            {
                response.StatusCode = 200;
                response.ContentType = hit.ContentType;
                response.ContentLength = hit.Length;
                response.Headers["x-xos-process-cache"] = "hit";
                if (!HttpMethods.IsHead(req.Method)) await SendCachedAsync(ctx, hit, response, ct);
            }
            return;
        }
        var result = await RunAsync(req, ctx, obj, encryption, work, marks, ct);
        if (cacheable && sealAlgorithm is null) media.Cache.Put(fingerprint, result);
        else if (cacheable)
        {
            var seal = EncryptionInfo.Create(sealAlgorithm!, ctx.MasterKey);
            using var cipher = seal.OpenCipher(ctx.MasterKey);
            media.Cache.Put(fingerprint, result, (seal.ToJson(), cipher));
        }
        response.StatusCode = 200;
        response.ContentType = result.ContentType;
        response.ContentLength = result.Body.Length;
        if (cacheable) response.Headers["x-xos-process-cache"] = "miss";
        if (!HttpMethods.IsHead(req.Method)) await response.Body.WriteAsync(result.Body, ct);
    }

    /// <summary>A cached result as GetObject sends a blob: straight from the file, or opened chunk by chunk when sealed.</summary>
    private static async Task SendCachedAsync(ServerContext ctx, CachedResult hit, HttpResponse response, CancellationToken ct)
    {
        if (hit.SealJson is null)
        {
            await GetObject.CopyRangeAsync(hit.File, hit.Offset, hit.Length, response, ct, dispose: false);
            return;
        }
        using var cipher = EncryptionInfo.FromJson(hit.SealJson)!.OpenCipher(ctx.MasterKey);
        await using var plaintext = new DecryptingStream([new EncryptedSegment(new OffsetStream(hit.File, hit.Offset), hit.Length, 0)], cipher, 0, hit.Length);
        await plaintext.CopyToAsync(response.Body, 256 * 1024, ct);
    }

    /// <summary>Runs a compiled pipeline on a stored object in a processing slot: the source (and its watermark objects)
    /// made local files, the image or video work done, the temporary files removed.</summary>
    public static Task<MediaResult> RunAsync(S3Request req, ServerContext ctx, ObjectRecord obj, Storage.Encryption.EncryptionInfo? encryption,
        CompiledPipeline work, IReadOnlyList<ObjectRecord> marks, CancellationToken ct)
    {
        var media = ctx.Media;
        if (work.Video is null && obj.Size > media.Limits.MaxInputBytes)
            throw new S3Exception("InvalidArgument", 400,
                $"The source object is {obj.Size} bytes: more than the limit of {media.Limits.MaxInputBytes} bytes for image processing (--media-max-input).",
                ("ArgumentName", MediaParameter.Name));
        if (obj.Size == 0) throw work.Video is null ? ImageSource.NotAnImage() : S3Errors.InvalidArgument("The source object is empty: it is not a video.", MediaParameter.Name);
        return media.RunAsync(async token =>
        {
            var opened = new List<LocalSource>();
            try
            {
                var source = await LocalSource.OpenAsync(ctx, obj, encryption, media.TempDirectory, token);
                opened.Add(source);
                if (work.Video is { } video) return await media.VideoAsync(source.Path, video, token);
                var markPaths = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var mark in marks)
                {
                    if (mark.Size > media.Limits.MaxInputBytes || mark.Size == 0) throw ImageSource.NotAnImage();
                    var markEncryption = await ServerSideEncryption.UnlockAsync(req, ctx, mark.Encryption, token);
                    var local = await LocalSource.OpenAsync(ctx, mark, markEncryption, media.TempDirectory, token);
                    opened.Add(local);
                    markPaths[mark.Key] = local.Path;
                }
                return await media.ExecuteImageAsync(source.Path, work.Steps, markPaths, token);
            }
            finally
            {
                foreach (var o in opened) o.Dispose();
            }
        }, ct);
    }

    /// <summary>The objects a pipeline's watermarks use, each authorised as a GetObject of the same bucket.</summary>
    public static async Task<IReadOnlyList<ObjectRecord>> LoadMarksAsync(S3Request req, ServerContext ctx, BucketRecord bucket, CompiledPipeline work, CancellationToken ct)
    {
        var marks = new List<ObjectRecord>();
        foreach (var key in work.MarkKeys)
        {
            ObjectKeys.Validate(key);
            var mark = await ctx.Store.GetObjectAsync(bucket.Id, key, null, ct);
            ctx.Authorizer.Authorize(req, bucket, "s3:GetObject", mark is { IsDeleteMarker: false } ? mark : null, key);
            if (mark is null || mark.IsDeleteMarker)
                throw S3Errors.InvalidArgument($"The watermark object '{key}' does not exist in bucket '{bucket.Name}'.", MediaParameter.Name, key);
            marks.Add(mark);
        }
        return marks;
    }

    /// <summary>
    /// What a result depends on: the source's bucket, key, version, ETag and modification time, the pipeline, and the same
    /// of every watermark object. It names the cache entry and (its first half) the result's ETag, so a changed source
    /// or mark gives a new name and a stale result is never served.
    /// </summary>
    public static string Fingerprint(BucketRecord bucket, ObjectRecord obj, MediaPipeline pipeline, IReadOnlyList<ObjectRecord> marks)
    {
        var sb = new StringBuilder();
        void Add(ObjectRecord o) => sb.Append(o.Key).Append('\0').Append(o.VersionId).Append('\0').Append(o.ETag).Append('\0')
            .Append(o.LastModified.UtcTicks).Append('\0');
        sb.Append(bucket.Name).Append('\0').Append(bucket.Id).Append('\0');
        Add(obj);
        sb.Append(pipeline.Canonical).Append('\0');
        foreach (var m in marks) Add(m);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
