using System.Diagnostics;
using Xos.Server.Auth;
using Xos.Server.Buckets;
using Xos.Server.Hosting;

namespace Xos.Server.Protocol;

/// <summary>
/// The one HTTP entry point for S3: request id, addressing, authentication, dispatch, error XML and the request log line.
/// Data flows one way: request -> auth -> operation -> storage.
/// </summary>
public sealed partial class S3Endpoint(ServerContext ctx, RequestAuthenticator authenticator, Background.AccessLogDelivery accessLog, ILogger<S3Endpoint> log)
{
    public async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var startedAt = DateTimeOffset.UtcNow;
        var requestId = RequestIds.Next();
        var headers = http.Response.Headers;
        headers["x-amz-request-id"] = requestId;
        headers["x-amz-id-2"] = requestId;
        headers.Server = "XOS";
        S3Request? req = null;
        var operation = "Unknown";
        var ct = http.RequestAborted;
        var bytes = ByteCounters.Attach(http);
        ServerMetrics.RequestStarted();
        try
        {
            req = S3Request.Parse(http, requestId, ctx.Options.Domains);
            var op = S3Router.Resolve(req);
            operation = op.Name;
            // A browser's preflight carries the URL of the request it prepares (presigned query included) but is
            // itself never signed: it is answered from the CORS rules alone.
            if (HttpMethods.IsOptions(req.Method))
            {
                await S3Router.DispatchAsync(req, op, ctx, ct);
                return;
            }
            await BucketCors.ApplyToActualRequestAsync(req, ctx, ct);
            await authenticator.AuthenticateAsync(req, ct);
            RequestChecksums.Attach(req);
            await S3Router.DispatchAsync(req, op, ctx, ct);
        }
        catch (S3Exception e)
        {
            await WriteErrorAsync(http, req, requestId, e);
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            var error = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? S3Errors.EntityTooLarge(ServerOptions.MaxObjectSize)
                : S3Errors.IncompleteBody();
            await WriteErrorAsync(http, req, requestId, error);
        }
        catch (Exception e) when (Storage.Files.FreeSpaceGuard.IsDiskFull(e) && !http.Response.HasStarted)
        {
            // Full disk under the metadata store or a blob: an answer clients do not retry as a transient failure.
            LogFailure(log, e, http.Request.Method, http.Request.Path, requestId);
            await WriteErrorAsync(http, req, requestId, Storage.Files.FreeSpaceGuard.InsufficientStorage());
        }
        catch (Exception e) when (Storage.Sql.SqlDatabase.IsUnavailable(e) && !http.Response.HasStarted && !ct.IsCancellationRequested)
        {
            // Nothing was committed: clients retry 503 by themselves, and the next connection from the pool is a new one.
            LogMetadataUnavailable(log, http.Request.Method, http.Request.Path, requestId, e.Message);
            ServerMetrics.MetadataUnavailable();
            ctx.Store.DiscardPooledConnections();
            await WriteErrorAsync(http, req, requestId, S3Errors.ServiceUnavailable());
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            LogFailure(log, e, http.Request.Method, http.Request.Path, requestId);
            if (!http.Response.HasStarted) await WriteErrorAsync(http, req, requestId, S3Errors.InternalError());
            else http.Abort();
        }
        finally
        {
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var aborted = ct.IsCancellationRequested;
            LogRequest(log, http.Request.Method, req?.Bucket ?? "-", req?.Key ?? "-", http.Response.StatusCode,
                bytes.Received, bytes.Sent, Math.Round(ms, 2), requestId, aborted ? " aborted" : "");
            ServerMetrics.RequestFinished(operation, http.Response.StatusCode, bytes.Received, bytes.Sent, ms / 1000, aborted);
            if (req is not null) accessLog.Record(req, startedAt, ms);
        }
    }

    private static async Task WriteErrorAsync(HttpContext http, S3Request? req, string requestId, S3Exception e)
    {
        if (req is not null) req.ErrorCode = e.Code;
        if (http.Response.HasStarted)
        {
            http.Abort();
            return;
        }
        var deleteMarker = http.Response.Headers.ContainsKey("x-amz-delete-marker");
        var keep = new[] { "x-amz-request-id", "x-amz-id-2", "Server", "x-amz-delete-marker", "x-amz-version-id" }.Concat(BucketCors.ResponseHeaders)
            .Concat(deleteMarker ? ["Last-Modified"] : [])
            .Where(h => http.Response.Headers.ContainsKey(h)).ToDictionary(h => h, h => http.Response.Headers[h]);
        http.Response.Headers.Clear();
        foreach (var (name, value) in keep) http.Response.Headers[name] = value;
        // A refused request may leave its body unread: large bodies are not worth draining, and a client that sent
        // "Expect: 100-continue" never sends the body once it has a final answer, so draining would eat its next request.
        if (http.Request.ContentLength > 1 << 20 || http.Request.Headers.Expect.Count > 0) http.Response.Headers.Connection = "close";
        var resource = req?.Resource ?? http.Request.Path.Value ?? "/";
        await S3Xml.WriteAsync(http, e.Status, "Error", w =>
        {
            w.Element("Code", e.Code);
            w.Element("Message", e.Message);
            foreach (var (name, value) in e.Details)
                if (value.Length > 0) w.Element(name, value);
            if (e.Code == "NoSuchKey" && req?.Key is { } key && e.Details.All(d => d.Key != "Key")) w.Element("Key", key);
            if (e.Code == "NoSuchBucket" && req?.Bucket is { } bucket && e.Details.All(d => d.Key != "BucketName" || d.Value.Length == 0))
                w.Element("BucketName", bucket);
            w.Element("Resource", resource);
            w.Element("RequestId", requestId);
            w.Element("HostId", requestId);
        }, ns: null);
    }

    /// <summary>in= and out= are the bytes really received and sent; " aborted" marks a request whose client went away.</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Bucket} {Key} {Status} in={BytesIn} out={BytesOut} {Ms}ms {RequestId}{Aborted}")]
    private static partial void LogRequest(ILogger log, string method, string bucket, string key, int status, long bytesIn, long bytesOut, double ms,
        string requestId, string aborted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: metadata store unavailable ({RequestId}): {Reason}")]
    private static partial void LogMetadataUnavailable(ILogger log, string method, string? path, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed ({RequestId})")]
    private static partial void LogFailure(ILogger log, Exception e, string method, string? path, string requestId);
}
