using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Xos.Server.Auth;
using Xos.Server.Auth.Acls;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Background;

/// <summary>How often access log records are delivered, and how many a bucket may gather before an early delivery.</summary>
public sealed record AccessLogOptions(TimeSpan Interval, int MaxRecords);

/// <summary>
/// Server access logging: each request on a bucket with logging enabled becomes a record in S3's server access log
/// format, gathered in memory per source bucket and target, and delivered as one object per batch into the target
/// bucket under the target prefix: every interval, when a batch grows large, and on shutdown (after the server has
/// stopped taking requests), so a clean stop loses nothing. A crash loses the records not yet delivered, as S3's
/// best-effort delivery may. Every gateway delivers its own records under its own unique key names.
/// </summary>
public sealed partial class AccessLogDelivery(ServerContext ctx, AccessLogOptions options, ILogger<AccessLogDelivery> log) : BackgroundService
{
    private sealed class Batch(LoggingConfiguration config, BucketRecord source)
    {
        public LoggingConfiguration Config { get; } = config;
        public BucketRecord Source { get; } = source;
        public List<string> Lines { get; } = [];
        public DateTimeOffset FirstEvent { get; set; }
        /// <summary>Taken out of the table while empty: a writer that still holds it must fetch the current one.</summary>
        public bool Retired { get; set; }
    }

    private readonly ConcurrentDictionary<string, Batch> _batches = new();
    private readonly SemaphoreSlim _early = new(0);

    /// <summary>Records a finished request when its bucket has logging enabled; cheap and non-blocking otherwise.</summary>
    public void Record(S3Request req, DateTimeOffset started, double totalMs)
    {
        if (req.LoadedBucket is not { Logging: { } json } bucket || LoggingConfiguration.FromJson(json) is not { } config) return;
        var line = Format(req, bucket, started, totalMs);
        while (true)
        {
            var batch = _batches.GetOrAdd(bucket.Name + "\n" + json, _ => new Batch(config, bucket));
            bool full;
            lock (batch)
            {
                if (batch.Retired) continue;
                if (batch.Lines.Count == 0) batch.FirstEvent = started;
                batch.Lines.Add(line);
                full = batch.Lines.Count == options.MaxRecords;
            }
            if (full) _early.Release();
            return;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _early.WaitAsync(options.Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await DeliverAllAsync(CancellationToken.None);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The web server stops before the hosted services registered ahead of it: no request can add records now.
        await DeliverAllAsync(CancellationToken.None);
    }

    /// <summary>Delivers every gathered record now.</summary>
    public async Task DeliverAllAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        long delivered = 0;
        var failed = false;
        foreach (var (name, batch) in _batches)
        {
            string[] lines;
            DateTimeOffset firstEvent;
            lock (batch)
            {
                if (batch.Lines.Count == 0)
                {
                    batch.Retired = true;
                    _batches.TryRemove(new KeyValuePair<string, Batch>(name, batch));
                    continue;
                }
                lines = batch.Lines.ToArray();
                firstEvent = batch.FirstEvent;
                batch.Lines.Clear();
            }
            try
            {
                await DeliverAsync(batch, lines, firstEvent, ct);
                delivered += lines.Length;
            }
            catch (Exception e)
            {
                failed = true;
                LogDeliveryFailed(log, e, batch.Source.Name, batch.Config.TargetBucket, lines.Length);
            }
        }
        ServerMetrics.BackgroundRan("access-log-delivery", Stopwatch.GetElapsedTime(started), delivered, failed);
    }

    private async Task DeliverAsync(Batch batch, string[] lines, DateTimeOffset firstEvent, CancellationToken ct)
    {
        var config = batch.Config;
        if (await ctx.Store.GetBucketAsync(config.TargetBucket, ct) is not { } target)
        {
            LogDropped(log, lines.Length, batch.Source.Name, config.TargetBucket, "the target bucket no longer exists");
            return;
        }
        if (!ctx.Authorizer.AllowsLogDelivery(target, config.TargetPrefix, batch.Source))
        {
            LogDropped(log, lines.Length, batch.Source.Name, config.TargetBucket, "the target bucket no longer lets the logging service write");
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var key = ObjectKey(config, batch.Source, firstEvent, now);
        var body = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        var defaults = DefaultEncryption.Parse(target.DefaultEncryption);
        var encryption = defaults is { Algorithm: ServerSideEncryption.Kms }
            ? await ctx.Kms.NewDataKeyAsync(defaults.KmsKeyId,
                $$"""{"aws:s3:arn":"arn:aws:s3:::{{target.Name}}/{{key}}"}""", defaults.BucketKeyEnabled, ct)
            : ServerSideEncryption.NewKeyFor(defaults?.Algorithm, ctx);
        var (blob, md5, size) = await ServerSideEncryption.WriteAsync(ctx, new MemoryStream(body), body.Length, body.Length, encryption, 0, ct);
        try
        {
            var acl = config.TargetAcl is { } grants
                ? new AccessControlList(target.OwnerId, [new Grant(Grantee.User(target.OwnerId), AclPermission.FullControl),
                    .. AccessControlList.FromJson(grants, target.OwnerId).Grants]).ToJson()
                : null;
            await ctx.ReleaseAsync(await ctx.Store.PutObjectAsync(new ObjectRecord
            {
                BucketId = target.Id,
                Key = key,
                VersionId = BucketVersioning.VersionIdForWrite(target),
                Size = size,
                ETag = ETags.FromMd5(md5),
                LastModified = now,
                ContentType = "text/plain",
                Headers = new Dictionary<string, string>(),
                StorageClass = "STANDARD",
                OwnerId = target.OwnerId,
                BlobId = blob.BlobId,
                Acl = acl,
                Encryption = encryption?.ToJson(),
            }, null, ct));
        }
        catch
        {
            await ctx.Blobs.DeleteAsync(blob.BlobId);
            throw;
        }
    }

    /// <summary>S3's log object names: PREFIX + YYYY-mm-DD-HH-MM-SS-UNIQUE, or the partitioned form
    /// PREFIX + ACCOUNT/REGION/BUCKET/YYYY/MM/DD/YYYY-MM-DD-HH-MM-SS-UNIQUE.</summary>
    private string ObjectKey(LoggingConfiguration config, BucketRecord source, DateTimeOffset firstEvent, DateTimeOffset now)
    {
        var unique = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var stamp = now.UtcDateTime.ToString("yyyy-MM-dd-HH-mm-ss", CultureInfo.InvariantCulture);
        if (config.PartitionDateSource is null) return $"{config.TargetPrefix}{stamp}-{unique}";
        var day = (config.PartitionDateSource == "EventTime" ? firstEvent : now).UtcDateTime;
        var region = BucketBasics.RegionOf(source.Location, ctx);
        return $"{config.TargetPrefix}{source.OwnerId}/{region}/{source.Name}/{day:yyyy}/{day:MM}/{day:dd}/{stamp}-{unique}";
    }

    /// <summary>One record in S3's server access log format (26 space-separated fields, "-" for none).</summary>
    private static string Format(S3Request req, BucketRecord bucket, DateTimeOffset started, double totalMs)
    {
        var http = req.Http;
        var response = http.Response;
        var sb = new StringBuilder(384);
        void Field(string? value) => sb.Append(string.IsNullOrEmpty(value) ? "-" : value).Append(' ');
        void Quoted(string? value) => sb.Append(string.IsNullOrEmpty(value) ? "-" : "\"" + value.Replace("\"", "\\\"") + "\"").Append(' ');

        Field(bucket.OwnerId);
        Field(bucket.Name);
        sb.Append('[').Append(started.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss '+0000'", CultureInfo.InvariantCulture)).Append("] ");
        var ip = http.Connection.RemoteIpAddress;
        Field(ip is null ? null : (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString());
        Field(req.Identity?.OwnerId);
        Field(req.RequestId);
        Field(Operation(req));
        Field(req.Key is null ? null : Uri.EscapeDataString(req.Key).Replace("%2F", "/"));
        Quoted($"{req.Method} {req.RawPath}{(req.RawQuery.Length > 0 ? "?" + req.RawQuery : "")} {http.Request.Protocol}");
        Field(response.StatusCode.ToString(CultureInfo.InvariantCulture));
        Field(req.ErrorCode);
        Field(HttpMethods.IsHead(req.Method) || response.ContentLength is null or 0 ? null : response.ContentLength.Value.ToString(CultureInfo.InvariantCulture));
        Field(ObjectSize(req)?.ToString(CultureInfo.InvariantCulture));
        var ms = ((long)Math.Round(totalMs)).ToString(CultureInfo.InvariantCulture);
        Field(ms);
        Field(ms);
        Quoted(req.Header("Referer"));
        Quoted(req.Header("User-Agent"));
        Field(response.Headers["x-amz-version-id"].ToString() is { Length: > 0 } v ? v : req.Query("versionId"));
        Field(req.RequestId);
        var (signature, authType) = Authentication(req);
        Field(signature);
        var tls = http.Features.Get<ITlsHandshakeFeature>();
        Field(tls is null ? null : tls.NegotiatedCipherSuite?.ToString());
        Field(authType);
        Field(req.Header("Host"));
        Field(tls is null ? null : tls.Protocol switch
        {
            System.Security.Authentication.SslProtocols.Tls13 => "TLSv1.3",
            System.Security.Authentication.SslProtocols.Tls12 => "TLSv1.2",
            _ => tls.Protocol.ToString(),
        });
        Field(null); // access point ARN
        sb.Append('-'); // aclRequired
        return sb.ToString();
    }

    private static long? ObjectSize(S3Request req) =>
        HttpMethods.IsPut(req.Method) || HttpMethods.IsPost(req.Method) ? req.ContentLength is > 0 ? req.ContentLength : null
        : req.LoadedObject is { IsDeleteMarker: false } obj ? obj.Size : null;

    private static (string? Signature, string? AuthType) Authentication(S3Request req)
    {
        if (req.Identity is null) return (null, null);
        var authorization = req.Header("Authorization");
        if (authorization is not null) return (authorization.StartsWith("AWS4-", StringComparison.Ordinal) ? "SigV4" : "SigV2", "AuthHeader");
        if (req.Query("X-Amz-Algorithm") is not null) return ("SigV4", "QueryString");
        if (req.Query("Signature") is not null) return ("SigV2", "QueryString");
        return (null, null);
    }

    /// <summary>S3's operation names: REST.METHOD.RESOURCE, the resource being the sub-resource asked for, OBJECT or BUCKET.</summary>
    private static readonly (string Query, string Name)[] SubResources =
    [
        ("acl", "ACL"), ("tagging", "TAGGING"), ("versioning", "VERSIONING"), ("policy", "BUCKETPOLICY"), ("cors", "CORS"),
        ("lifecycle", "LIFECYCLE"), ("encryption", "ENCRYPTION"), ("logging", "LOGGING_STATUS"), ("location", "LOCATION"),
        ("versions", "VERSIONS"), ("uploads", "UPLOADS"), ("object-lock", "OBJECT_LOCK_CONFIGURATION"), ("retention", "RETENTION"),
        ("legal-hold", "LEGAL_HOLD"), ("attributes", "OBJECT_ATTRIBUTES"), ("torrent", "TORRENT"), ("delete", "MULTI_OBJECT_DELETE"),
        ("publicAccessBlock", "PUBLIC_ACCESS_BLOCK"), ("ownershipControls", "OWNERSHIP_CONTROLS"), ("policyStatus", "BUCKETPOLICYSTATUS"),
    ];

    private static string Operation(S3Request req)
    {
        var method = req.Method.ToUpperInvariant();
        if (req.Key is not null && method == "PUT" && req.Header("x-amz-copy-source") is not null)
            return req.HasQuery("uploadId") ? "REST.COPY.PART" : "REST.COPY.OBJECT";
        if (req.HasQuery("uploadId"))
            return method == "PUT" ? "REST.PUT.PART" : $"REST.{method}.UPLOAD";
        foreach (var (query, name) in SubResources)
            if (req.HasQuery(query)) return $"REST.{method}.{name}";
        return $"REST.{method}.{(req.Key is null ? "BUCKET" : "OBJECT")}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "access log delivery from {Source} to {Target} failed; {Count} records lost")]
    private static partial void LogDeliveryFailed(ILogger log, Exception e, string source, string target, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} access log records of {Source} not delivered to {Target}: {Reason}")]
    private static partial void LogDropped(ILogger log, int count, string source, string target, string reason);
}
