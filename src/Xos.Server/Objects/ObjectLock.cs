using System.Globalization;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>
/// Object lock on versions: retention (GOVERNANCE, COMPLIANCE) and legal hold set on writes or later, returned on reads,
/// and the rule every path that deletes a version obeys (checked inside the deleting transaction).
/// </summary>
public static class ObjectLock
{
    private const string ModeHeader = "x-amz-object-lock-mode", UntilHeader = "x-amz-object-lock-retain-until-date", HoldHeader = "x-amz-object-lock-legal-hold";

    private static S3Exception MissingConfiguration() => S3Errors.InvalidRequest("Bucket is missing Object Lock Configuration");

    /// <summary>The retention and legal hold a new version gets: from the write's headers, else the bucket's default retention.</summary>
    public static (ObjectRetention? Retention, bool LegalHold) ForWrite(S3Request req, BucketRecord bucket, DateTimeOffset now)
    {
        var mode = req.Header(ModeHeader);
        var until = req.Header(UntilHeader);
        var hold = req.Header(HoldHeader);
        var config = ObjectLockConfiguration.FromJson(bucket.ObjectLock);
        if (mode is null && until is null && hold is null) return (config?.DefaultRetention(now), false);
        if (config is null) throw MissingConfiguration();
        if (HttpMethods.IsPut(req.Method) && req.Header("Content-MD5") is null && req.BodyChecksum is null)
            throw S3Errors.InvalidRequest("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters");
        ObjectRetention? retention = config.DefaultRetention(now);
        if (mode is not null || until is not null)
        {
            if (mode is null || until is null)
                throw S3Errors.InvalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied", mode is null ? ModeHeader : UntilHeader, "");
            if (!BucketObjectLock.Modes.Contains(mode)) throw S3Errors.InvalidArgument("Unknown wormMode directive.", ModeHeader, mode);
            var date = ParseDate(until) ?? throw S3Errors.InvalidArgument("The retain until date must be provided in ISO 8601 format", UntilHeader, until);
            if (date <= now) throw S3Errors.InvalidArgument("The retain until date must be in the future!", UntilHeader, until);
            retention = new ObjectRetention(mode, date);
        }
        var legalHold = hold switch
        {
            null or "OFF" => false,
            "ON" => true,
            _ => throw S3Errors.InvalidArgument("Legal Hold must be either of 'ON' or 'OFF'", HoldHeader, hold),
        };
        return (retention, legalHold);
    }

    public static void WriteHeaders(S3Request req, ObjectRecord obj)
    {
        var h = req.Http.Response.Headers;
        if (obj.Retention is { } retention)
        {
            h[ModeHeader] = retention.Mode;
            h[UntilHeader] = S3Xml.Timestamp(retention.RetainUntil);
        }
        if (obj.LegalHold) h[HoldHeader] = "ON";
    }

    /// <summary>
    /// The check a permanent deletion of a version passes inside its transaction: no legal hold, no unexpired COMPLIANCE
    /// retention, and an unexpired GOVERNANCE retention only with x-amz-bypass-governance-retention and its permission.
    /// </summary>
    public static Action<ObjectRecord> DeletionGuard(S3Request req, ServerContext ctx, BucketRecord bucket)
    {
        var bypass = MayBypassGovernance(req, ctx, bucket);
        return version =>
        {
            if (!MayDelete(version, bypass, DateTimeOffset.UtcNow)) throw S3Errors.AccessDenied();
        };
    }

    /// <summary>Whether a version may be removed for good now (lifecycle rules never bypass governance).</summary>
    public static bool MayDelete(ObjectRecord version, bool bypassGovernance, DateTimeOffset now)
    {
        if (version.LegalHold) return false;
        if (version.Retention is not { } retention || retention.RetainUntil <= now) return true;
        return retention.Mode == "GOVERNANCE" && bypassGovernance;
    }

    private static bool MayBypassGovernance(S3Request req, ServerContext ctx, BucketRecord bucket)
    {
        if (!string.Equals(req.Header("x-amz-bypass-governance-retention")?.Trim(), "true", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            ctx.Authorizer.Authorize(req, bucket, "s3:BypassGovernanceRetention");
            return true;
        }
        catch (S3Exception e) when (e.Code == "AccessDenied")
        {
            return false;
        }
    }

    private static DateTimeOffset? ParseDate(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : null;

    private static async Task<BucketRecord> LockedBucketAsync(S3Request req, ServerContext ctx, string action, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, action, ct);
        if (bucket.ObjectLock is null) throw MissingConfiguration();
        return bucket;
    }

    private static S3Exception Missing(S3Request req, string? versionId) => versionId is null
        ? S3Errors.NoSuchKey(req.Key!)
        : new S3Exception("NoSuchVersion", 404, "The specified version does not exist.", ("Key", req.Key!), ("VersionId", versionId));

    private static async Task<ObjectRecord> UpdateAsync(S3Request req, ServerContext ctx, BucketRecord bucket, Func<ObjectRecord, ObjectRecord> change, CancellationToken ct)
    {
        var versionId = ServerContext.RequestedVersionId(req);
        var updated = await ctx.Store.UpdateObjectLockAsync(bucket.Id, req.Key!, versionId, change, ct);
        if (updated is null || updated.IsDeleteMarker) throw Missing(req, versionId);
        return updated;
    }

    private static async Task<ObjectRecord> ReadAsync(S3Request req, ServerContext ctx, BucketRecord bucket, CancellationToken ct)
    {
        var versionId = ServerContext.RequestedVersionId(req);
        var obj = await ctx.Store.GetObjectAsync(bucket.Id, req.Key!, versionId, ct);
        if (obj is null || obj.IsDeleteMarker) throw Missing(req, versionId);
        return obj;
    }

    public static async Task PutRetentionAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await LockedBucketAsync(req, ctx, "s3:PutObjectRetention", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "Retention") throw S3Errors.MalformedXml();
        var mode = doc.ChildValue("Mode");
        var untilText = doc.ChildValue("RetainUntilDate");
        ObjectRetention? wanted = null;
        if (mode is not null || untilText is not null)
        {
            if (mode is null || untilText is null || !BucketObjectLock.Modes.Contains(mode)) throw S3Errors.MalformedXml();
            var until = ParseDate(untilText) ?? throw S3Errors.MalformedXml();
            if (until <= DateTimeOffset.UtcNow) throw S3Errors.InvalidArgument("The retain until date must be in the future!", "RetainUntilDate", untilText);
            wanted = new ObjectRetention(mode, until);
        }
        var bypass = MayBypassGovernance(req, ctx, bucket);
        await UpdateAsync(req, ctx, bucket, version =>
        {
            if (version.Retention is { } current && current.RetainUntil > DateTimeOffset.UtcNow)
            {
                var weakens = wanted is null || wanted.RetainUntil < current.RetainUntil || wanted.Mode != current.Mode;
                if (weakens && (current.Mode == "COMPLIANCE" || !bypass)) throw S3Errors.AccessDenied();
            }
            return version with { Retention = wanted };
        }, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetRetentionAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await LockedBucketAsync(req, ctx, "s3:GetObjectRetention", ct);
        var obj = await ReadAsync(req, ctx, bucket, ct);
        var retention = obj.Retention ?? throw new S3Exception("NoSuchObjectLockConfiguration", 404, "The specified object does not have a ObjectLock configuration");
        await S3Xml.WriteAsync(req.Http, 200, "Retention", w =>
        {
            w.Element("Mode", retention.Mode);
            w.Element("RetainUntilDate", retention.RetainUntil);
        });
    }

    public static async Task PutLegalHoldAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await LockedBucketAsync(req, ctx, "s3:PutObjectLegalHold", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "LegalHold") throw S3Errors.MalformedXml();
        var on = doc.ChildValue("Status") switch
        {
            "ON" => true,
            "OFF" => false,
            _ => throw S3Errors.MalformedXml(),
        };
        await UpdateAsync(req, ctx, bucket, version => version with { LegalHold = on }, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetLegalHoldAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await LockedBucketAsync(req, ctx, "s3:GetObjectLegalHold", ct);
        var obj = await ReadAsync(req, ctx, bucket, ct);
        await S3Xml.WriteAsync(req.Http, 200, "LegalHold", w => w.Element("Status", obj.LegalHold ? "ON" : "OFF"));
    }
}
