using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>
/// Where a bucket's server access logs go: a target bucket and key prefix, and how log object keys are formed
/// (<see cref="PartitionDateSource"/> null for S3's simple prefix, EventTime or DeliveryTime for its partitioned prefix).
/// </summary>
/// <remarks><see cref="TargetAcl"/>: the TargetGrants, as an ACL (stored JSON) the log objects get besides their owner's FULL_CONTROL.</remarks>
public sealed record LoggingConfiguration(string TargetBucket, string TargetPrefix, string? PartitionDateSource = null, string? TargetAcl = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, LoggingJson.Default.LoggingConfiguration);

    public static LoggingConfiguration? FromJson(string? json) => json is null ? null : Parsed.Get(json);

    /// <summary>Parsed configurations by their stored text: every request to a logged bucket reads it.</summary>
    private static readonly Caching.ParsedByText<LoggingConfiguration?> Parsed =
        new(static json => JsonSerializer.Deserialize(json, LoggingJson.Default.LoggingConfiguration));
}

[JsonSerializable(typeof(LoggingConfiguration))]
internal sealed partial class LoggingJson : JsonSerializerContext;

/// <summary>
/// Put/GetBucketLogging. Enabling logging checks, as S3 does, that the target bucket exists and lets the logging service
/// write there (a bucket policy for logging.s3.amazonaws.com, or the LogDelivery group's WRITE); the records themselves
/// are written by <see cref="Background.AccessLogDelivery"/>.
/// </summary>
public static class BucketLogging
{
    public const string SettingName = "logging";
    private static readonly string[] DateSources = ["EventTime", "DeliveryTime"];

    public static LoggingConfiguration? Parse(XElement doc)
    {
        if (doc.Name.LocalName != "BucketLoggingStatus") throw S3Errors.MalformedXml();
        if (doc.Child("LoggingEnabled") is not { } enabled) return null;
        var target = enabled.ChildValue("TargetBucket")?.Trim();
        var prefix = enabled.ChildValue("TargetPrefix") ?? "";
        if (string.IsNullOrEmpty(target)) throw S3Errors.MalformedXml();
        string? dateSource = null;
        if (enabled.Child("TargetObjectKeyFormat") is { } format)
        {
            var partitioned = format.Child("PartitionedPrefix");
            var simple = format.Child("SimplePrefix");
            if ((partitioned is null) == (simple is null)) throw S3Errors.MalformedXml();
            if (partitioned is not null)
            {
                dateSource = partitioned.ChildValue("PartitionDateSource")?.Trim() ?? "EventTime";
                if (!DateSources.Contains(dateSource)) throw S3Errors.MalformedXml();
            }
        }
        return new LoggingConfiguration(target, prefix, dateSource);
    }

    /// <summary>
    /// TargetGrants, read as an ACL of the target bucket's owner (grantees must exist; READ, WRITE and FULL_CONTROL
    /// only, as S3 allows on log objects); null when there are none.
    /// </summary>
    private static async Task<string?> TargetAclAsync(XElement doc, string targetOwner, ServerContext ctx, CancellationToken ct)
    {
        if (doc.Child("LoggingEnabled")?.Child("TargetGrants") is not { } grants || !grants.Elements().Any()) return null;
        var ns = doc.Name.Namespace;
        var policy = new XElement(ns + "AccessControlPolicy", new XElement(ns + "AccessControlList", grants.Elements()));
        var acl = await AccessControlList.FromXmlAsync(policy, targetOwner, id => ctx.Store.UserExistsAsync(id, ct));
        if (acl.Grants.Any(g => g.Permission is not (AclPermission.Read or AclPermission.Write or AclPermission.FullControl)))
            throw S3Errors.MalformedXml();
        return acl.ToJson();
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketLogging", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        var config = Parse(doc);
        if (config is not null)
        {
            var target = await ctx.Store.GetBucketAsync(config.TargetBucket, ct)
                         ?? throw InvalidTargetBucket("The target bucket for logging does not exist", config.TargetBucket);
            if (!ctx.Authorizer.AllowsLogDelivery(target, config.TargetPrefix, bucket))
                throw S3Errors.AccessDenied("The target bucket's policy does not allow logging.s3.amazonaws.com to put objects under the target prefix");
            config = config with { TargetAcl = await TargetAclAsync(doc, target.OwnerId, ctx, ct) };
        }
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, config?.ToJson(), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketLogging", ct);
        var config = LoggingConfiguration.FromJson(bucket.Logging);
        await S3Xml.WriteAsync(req.Http, 200, "BucketLoggingStatus", w =>
        {
            if (config is null) return;
            w.WriteStartElement("LoggingEnabled");
            w.Element("TargetBucket", config.TargetBucket);
            if (config.TargetAcl is { } json)
            {
                w.WriteStartElement("TargetGrants");
                foreach (var grant in AccessControlList.FromJson(json, bucket.OwnerId).Grants)
                {
                    w.WriteStartElement("Grant");
                    w.WriteStartElement("Grantee");
                    w.WriteAttributeString("xmlns", "xsi", null, "http://www.w3.org/2001/XMLSchema-instance");
                    w.WriteAttributeString("xsi", "type", "http://www.w3.org/2001/XMLSchema-instance", grant.Grantee.GroupUri is null ? "CanonicalUser" : "Group");
                    if (grant.Grantee.GroupUri is { } uri) w.Element("URI", uri);
                    else w.Element("ID", grant.Grantee.Id);
                    w.WriteEndElement();
                    w.Element("Permission", AccessControlList.PermissionName(grant.Permission));
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.Element("TargetPrefix", config.TargetPrefix);
            w.WriteStartElement("TargetObjectKeyFormat");
            if (config.PartitionDateSource is { } source)
            {
                w.WriteStartElement("PartitionedPrefix");
                w.Element("PartitionDateSource", source);
                w.WriteEndElement();
            }
            else
            {
                w.WriteStartElement("SimplePrefix");
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    private static S3Exception InvalidTargetBucket(string message, string bucket) =>
        new("InvalidTargetBucketForLogging", 400, message, ("TargetBucket", bucket));
}
