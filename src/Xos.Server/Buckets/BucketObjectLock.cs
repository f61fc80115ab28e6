using System.Text.Json;
using System.Text.Json.Serialization;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Buckets;

/// <summary>
/// A bucket's object lock configuration: enabled at creation (x-amz-bucket-object-lock-enabled, which also enables
/// versioning for good), with an optional default retention that new versions get.
/// </summary>
public sealed record ObjectLockConfiguration(string? Mode, int? Days, int? Years)
{
    public const string SettingName = "object-lock";
    public static readonly ObjectLockConfiguration EnabledWithoutRule = new(null, null, null);

    public string ToJson() => JsonSerializer.Serialize(this, ObjectLockJson.Default.ObjectLockConfiguration);

    public static ObjectLockConfiguration? FromJson(string? json) => json is null ? null : Parsed.Get(json);

    /// <summary>Parsed settings by their stored text: every write to the bucket reads them.</summary>
    private static readonly Caching.ParsedByText<ObjectLockConfiguration?> Parsed =
        new(static json => JsonSerializer.Deserialize(json, ObjectLockJson.Default.ObjectLockConfiguration));

    /// <summary>The retention a new version gets from the default rule, counted from <paramref name="now"/>; null without a rule.</summary>
    public ObjectRetention? DefaultRetention(DateTimeOffset now) => Mode is null ? null
        : new ObjectRetention(Mode, Days is { } days ? now.AddDays(days) : now.AddYears(Years ?? 0));
}

[JsonSerializable(typeof(ObjectLockConfiguration))]
internal sealed partial class ObjectLockJson : JsonSerializerContext;

/// <summary>Put/GetObjectLockConfiguration.</summary>
public static class BucketObjectLock
{
    public static readonly string[] Modes = ["GOVERNANCE", "COMPLIANCE"];

    /// <summary>CreateBucket's x-amz-bucket-object-lock-enabled: the configuration to create the bucket with, or null.</summary>
    public static string? FromCreateRequest(S3Request req) =>
        string.Equals(req.Header("x-amz-bucket-object-lock-enabled")?.Trim(), "true", StringComparison.OrdinalIgnoreCase)
            ? ObjectLockConfiguration.EnabledWithoutRule.ToJson()
            : null;

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketObjectLockConfiguration", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "ObjectLockConfiguration" || doc.ChildValue("ObjectLockEnabled") != "Enabled") throw S3Errors.MalformedXml();
        // As S3 now allows, a bucket created without object lock can enable it once its versioning is enabled.
        if (bucket.ObjectLock is null && !bucket.VersioningEnabled)
            throw new S3Exception("InvalidBucketState", 409, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
        var config = ObjectLockConfiguration.EnabledWithoutRule;
        if (doc.Child("Rule") is { } rule)
        {
            var retention = rule.Child("DefaultRetention") ?? throw S3Errors.MalformedXml();
            var mode = retention.ChildValue("Mode");
            var daysText = retention.ChildValue("Days");
            var yearsText = retention.ChildValue("Years");
            if (mode is null || !Modes.Contains(mode) || (daysText is null) == (yearsText is null)) throw S3Errors.MalformedXml();
            if (!int.TryParse(daysText ?? yearsText, out var period)) throw S3Errors.MalformedXml();
            if (period <= 0 || (yearsText is not null && period > 100) || (daysText is not null && period > 36500))
                throw new S3Exception("InvalidRetentionPeriod", 400, "Default retention period must be a positive integer value.");
            config = new ObjectLockConfiguration(mode, daysText is null ? null : period, yearsText is null ? null : period);
        }
        await ctx.Store.SetBucketSettingAsync(bucket.Id, ObjectLockConfiguration.SettingName, config.ToJson(), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketObjectLockConfiguration", ct);
        var config = ObjectLockConfiguration.FromJson(bucket.ObjectLock)
                     ?? throw new S3Exception("ObjectLockConfigurationNotFoundError", 404, "Object Lock configuration does not exist for this bucket",
                         ("BucketName", bucket.Name));
        await S3Xml.WriteAsync(req.Http, 200, "ObjectLockConfiguration", w =>
        {
            w.Element("ObjectLockEnabled", "Enabled");
            if (config.Mode is null) return;
            w.WriteStartElement("Rule");
            w.WriteStartElement("DefaultRetention");
            w.Element("Mode", config.Mode);
            if (config.Days is { } days) w.Element("Days", days);
            if (config.Years is { } years) w.Element("Years", years);
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }
}
