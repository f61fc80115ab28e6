using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>GET and HEAD /bucket/key: conditional requests, byte ranges, part numbers, and the body sent from the blob files.</summary>
public static class GetObject
{
    private const int CopyBufferSize = 256 * 1024;

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        // A concurrent overwrite may delete the blob between reading the metadata and opening the file; read again then.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await ServeAsync(req, ctx, ct);
                return;
            }
            catch (FileNotFoundException) when (attempt < 2 && !req.Http.Response.HasStarted)
            {
                req.Http.Response.Headers.Clear();
                req.Http.Response.Headers["x-amz-request-id"] = req.RequestId;
            }
        }
    }

    private static async Task ServeAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        ObjectHeaders.RejectEncryptionHeadersOnRead(req);
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObject", ct);

        var status = EvaluateConditions(req, obj);
        var response = req.Http.Response;
        ObjectHeaders.WriteResponse(req, obj);
        if (bucket.VersioningConfigured) response.Headers["x-amz-version-id"] = obj.VersionId;
        ObjectHeaders.WriteExpiration(req, ctx, bucket, obj);
        if (status == 304)
        {
            response.StatusCode = 304;
            response.Headers.ContentType = default;
            return;
        }

        var (offset, length, partial) = SelectBytes(req, obj);
        var encryption = await ServerSideEncryption.UnlockAsync(req, ctx, obj.Encryption, ct);
        ObjectChecksums.WriteForRead(req, obj, int.TryParse(req.Query("partNumber"), out var part) ? part : null, ranged: req.Header("Range") is not null);
        response.StatusCode = partial ? 206 : 200;
        if (partial) response.Headers.ContentRange = $"bytes {offset}-{offset + length - 1}/{obj.Size}";
        response.ContentLength = length;
        if (HttpMethods.IsHead(req.Method) || length == 0) return;

        if (encryption is not null)
        {
            await using var plaintext = await ServerSideEncryption.OpenPlaintextAsync(ctx, obj, encryption, offset, length, ct);
            await plaintext.CopyToAsync(response.Body, CopyBufferSize, ct);
            return;
        }
        if (obj.InlineData is { } inline)
        {
            await response.Body.WriteAsync(inline.AsMemory((int)offset, (int)length), ct);
            return;
        }
        if (obj.BlobId is { } blobId)
        {
            if (ctx.ObjectCache is { } cache && obj.Size <= cache.MaxObjectBytes)
            {
                var body = await Caching.CachedBodies.GetAsync(cache, ctx.Blobs, blobId, obj.Size, ct);
                await response.Body.WriteAsync(body.AsMemory((int)offset, (int)length), ct);
                return;
            }
            var path = ctx.Blobs.LocalPath(blobId);
            if (path is not null)
            {
                await SendFileRangeAsync(path, offset, length, response, ct);
                return;
            }
            await CopyRangeAsync(await ctx.Blobs.OpenReadAsync(blobId, offset, length, ct), offset, length, response, ct);
            return;
        }
        await SendSegmentsAsync(ctx, obj.Segments!, offset, length, response, ct);
    }

    /// <summary>
    /// Opens every touched segment before sending a byte, so a concurrent overwrite cannot remove one mid-response; up to
    /// <see cref="OpensInFlight"/> at a time (on RADOS each opening is a round trip to the OSDs).
    /// </summary>
    private static async Task SendSegmentsAsync(ServerContext ctx, IReadOnlyList<Segment> segments, long offset, long length, HttpResponse response, CancellationToken ct)
    {
        var touched = new List<(Segment Segment, long From, long Count)>();
        long start = 0, end = offset + length;
        foreach (var s in segments)
        {
            var segEnd = start + s.Size;
            if (segEnd > offset && start < end) touched.Add((s, Math.Max(offset, start) - start, Math.Min(end, segEnd) - Math.Max(offset, start)));
            start = segEnd;
        }
        var files = new Task<Stream>?[touched.Count];
        try
        {
            for (var batch = 0; batch < touched.Count; batch += OpensInFlight)
            {
                // Only the first piece's opening fetches its data ahead (one buffer, not one per part); the others are
                // checked (present, committed) and read when their turn comes.
                for (var i = batch; i < Math.Min(touched.Count, batch + OpensInFlight); i++)
                    files[i] = ctx.Blobs.OpenAsync(touched[i].Segment, touched[i].From, i == 0 ? touched[i].Count : 0, ct);
                await Task.WhenAll(files.Skip(batch).Take(OpensInFlight).OfType<Task<Stream>>());
            }
            for (var i = 0; i < touched.Count; i++) await CopyRangeAsync(await files[i]!, touched[i].From, touched[i].Count, response, ct, dispose: false);
        }
        finally
        {
            foreach (var file in files)
            {
                if (file is null) continue;
                try { await (await file).DisposeAsync(); }
                catch (Exception) { } // an opening that failed has nothing to close (its error is the one thrown)
            }
        }
    }

    private const int OpensInFlight = 16;

    /// <summary>
    /// Reads the blob at its offsets straight into the response pipe's own memory: Kestrel has no kernel sendfile, and
    /// both its fallback (an asynchronous FileStream) and a write through the response stream copy every byte once more
    /// (a 64 MiB GET spent an eighth of the server's CPU in that memmove). Reads of a blob file come from the page cache
    /// or the disk the same way either way.
    /// </summary>
    private static async Task SendFileRangeAsync(string path, long offset, long count, HttpResponse response, CancellationToken ct)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        await response.StartAsync(ct);
        var writer = response.BodyWriter;
        while (count > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(count, CopyBufferSize));
            var n = RandomAccess.Read(handle, memory.Span[..(int)Math.Min(memory.Length, count)], offset);
            if (n == 0) throw new IOException("blob ended before its recorded size");
            writer.Advance(n);
            var flushed = await writer.FlushAsync(ct);
            if (flushed.IsCanceled || flushed.IsCompleted) return;
            offset += n;
            count -= n;
        }
    }

    /// <summary>
    /// Sends <paramref name="count"/> bytes of a seekable stream from <paramref name="from"/> on (segments of multipart
    /// objects, RADOS bodies, cached media results), read straight into the response pipe's memory as above.
    /// </summary>
    internal static async Task CopyRangeAsync(Stream file, long from, long count, HttpResponse response, CancellationToken ct, bool dispose = true)
    {
        try
        {
            file.Seek(from, SeekOrigin.Begin);
            await response.StartAsync(ct);
            var writer = response.BodyWriter;
            while (count > 0)
            {
                var memory = writer.GetMemory((int)Math.Min(count, CopyBufferSize));
                var n = await file.ReadAsync(memory[..(int)Math.Min(memory.Length, count)], ct);
                if (n == 0) throw new IOException("blob ended before its recorded size");
                writer.Advance(n);
                var flushed = await writer.FlushAsync(ct);
                if (flushed.IsCanceled || flushed.IsCompleted) return;
                count -= n;
            }
        }
        finally
        {
            if (dispose) await file.DisposeAsync();
        }
    }

    /// <summary>RFC 7232 precedence as S3 applies it: If-Match over If-Unmodified-Since, If-None-Match over If-Modified-Since.</summary>
    public static int EvaluateConditions(S3Request req, ObjectRecord obj)
    {
        var modified = HttpDates.TruncateToSeconds(obj.LastModified);
        var ifMatch = req.Header("If-Match");
        if (ifMatch is not null)
        {
            if (!ETags.Matches(ifMatch, obj.ETag)) throw S3Errors.PreconditionFailed("If-Match");
        }
        else if (HttpDates.Parse(req.Header("If-Unmodified-Since")) is { } ius && modified > ius)
        {
            throw S3Errors.PreconditionFailed("If-Unmodified-Since");
        }
        var ifNoneMatch = req.Header("If-None-Match");
        if (ifNoneMatch is not null)
        {
            if (ETags.Matches(ifNoneMatch, obj.ETag)) return 304;
        }
        else if (HttpDates.Parse(req.Header("If-Modified-Since")) is { } ims && modified <= ims)
        {
            return 304;
        }
        return 200;
    }

    private static (long Offset, long Length, bool Partial) SelectBytes(S3Request req, ObjectRecord obj)
    {
        var partNumberText = req.Query("partNumber");
        var range = req.Header("Range");
        if (partNumberText is not null)
        {
            if (range is not null) throw S3Errors.InvalidRequest("Cannot specify both Range header and partNumber query parameter");
            if (!int.TryParse(partNumberText, out var partNumber) || partNumber is < 1 or > ServerOptions.MaxPartNumber)
                throw S3Errors.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", partNumberText);
            if (obj.Segments is null || obj.PartsCount == 0)
            {
                if (partNumber != 1) throw S3Errors.InvalidPart("The requested partnumber is not satisfiable");
                return (0, obj.Size, false);
            }
            if (partNumber > obj.Segments.Count) throw S3Errors.InvalidPart("The requested partnumber is not satisfiable");
            var start = obj.Segments.Take(partNumber - 1).Sum(s => s.Size);
            return (start, obj.Segments[partNumber - 1].Size, true);
        }
        if (ByteRange.Parse(range, obj.Size) is { } r) return (r.Offset, r.Length, true);
        return (0, obj.Size, false);
    }
}
