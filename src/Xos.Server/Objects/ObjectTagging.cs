using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Microsoft.AspNetCore.WebUtilities;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>
/// Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging, and the x-amz-tagging header of writes.
/// Tags are kept as an ordered list of key/value pairs beside the object; changing them does not change LastModified.
/// </summary>
public static class ObjectTagging
{
    public const int MaxObjectTags = 10;
    public const int MaxBucketTags = 50;
    public const string BucketSettingName = "tagging";

    public sealed record Tag(string Key, string Value);

    private static S3Exception InvalidTag(string message) => new("InvalidTag", 400, message);

    private static bool AllowedCharacters(string s) =>
        s.All(c => char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || "+-=._:/@".Contains(c));

    public static List<Tag> Validate(List<Tag> tags, int max)
    {
        if (tags.Count > max) throw InvalidTag(max == MaxObjectTags ? "Object tags cannot be greater than 10" : "Bucket tag count cannot be greater than 50");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tags)
        {
            if (t.Key.Length is 0 or > 128) throw InvalidTag("The TagKey you have provided is invalid");
            if (t.Value.Length > 256) throw InvalidTag("The TagValue you have provided is invalid");
            if (!AllowedCharacters(t.Key) || !AllowedCharacters(t.Value)) throw InvalidTag("The TagKey you have provided is invalid");
            if (t.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)) throw InvalidTag("Your TagKey cannot be prefixed with aws:");
            if (!seen.Add(t.Key)) throw InvalidTag("Cannot provide multiple Tags with the same key");
        }
        return tags;
    }

    /// <summary>The x-amz-tagging header of PutObject, CopyObject (REPLACE), CreateMultipartUpload: "k1=v1&amp;k2=v2", URL-encoded.</summary>
    public static string? FromHeader(S3Request req)
    {
        if (req.Header("x-amz-tagging") is not { } header) return null;
        var tags = new List<Tag>();
        foreach (var (key, values) in QueryHelpers.ParseQuery(header.StartsWith('?') ? header : "?" + header))
            foreach (var v in values) tags.Add(new Tag(key, v ?? ""));
        return tags.Count == 0 ? null : ToJson(Validate(tags, MaxObjectTags));
    }

    /// <summary>A Tagging XML document given outside a request body (the tagging field of a POST upload), as stored JSON.</summary>
    public static string? FromXml(string xml)
    {
        XElement doc;
        try
        {
            using var reader = System.Xml.XmlReader.Create(new StringReader(xml), new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Prohibit, XmlResolver = null });
            doc = XElement.Load(reader);
        }
        catch (System.Xml.XmlException)
        {
            throw S3Errors.MalformedXml();
        }
        var tags = Validate(ParseTagging(doc), MaxObjectTags);
        return tags.Count == 0 ? null : ToJson(tags);
    }

    public static string ToJson(List<Tag> tags) => JsonSerializer.Serialize(tags, TagJson.Default.ListTag);

    public static List<Tag> FromJson(string? json) => json is null ? [] : JsonSerializer.Deserialize(json, TagJson.Default.ListTag)!;

    public static int Count(string? json) => json is null ? 0 : FromJson(json).Count;

    private static List<Tag> ParseTagging(XElement doc)
    {
        if (doc.Name.LocalName != "Tagging") throw S3Errors.MalformedXml();
        var set = doc.Child("TagSet") ?? throw S3Errors.MalformedXml();
        return set.Children("Tag").Select(t => new Tag(t.ChildValue("Key") ?? throw S3Errors.MalformedXml(), t.ChildValue("Value") ?? "")).ToList();
    }

    private static Task WriteTaggingAsync(S3Request req, List<Tag> tags) =>
        S3Xml.WriteAsync(req.Http, 200, "Tagging", w =>
        {
            w.WriteStartElement("TagSet");
            // A tag set has no order of its own; S3 lists it by key.
            foreach (var t in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                w.WriteStartElement("Tag");
                w.Element("Key", t.Key);
                w.Element("Value", t.Value);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        });

    private static async Task<(BucketRecord Bucket, ObjectRecord Object)> LoadAsync(S3Request req, ServerContext ctx, string action, CancellationToken ct)
    {
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, action, ct);
        if (bucket.VersioningConfigured) req.Http.Response.Headers["x-amz-version-id"] = obj.VersionId;
        return (bucket, obj);
    }

    public static async Task GetObjectTagsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (_, obj) = await LoadAsync(req, ctx, "s3:GetObjectTagging", ct);
        await WriteTaggingAsync(req, FromJson(obj.Tags));
    }

    public static async Task PutObjectTagsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await LoadAsync(req, ctx, "s3:PutObjectTagging", ct);
        var tags = Validate(ParseTagging(await S3Xml.ReadBodyAsync(req, ct)), MaxObjectTags);
        if (!await ctx.Store.SetObjectTagsAsync(bucket.Id, obj.Key, ServerContext.RequestedVersionId(req), tags.Count == 0 ? null : ToJson(tags), ct,
                Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.TaggingPut))) throw S3Errors.NoSuchKey(obj.Key);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task DeleteObjectTagsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await LoadAsync(req, ctx, "s3:DeleteObjectTagging", ct);
        if (!await ctx.Store.SetObjectTagsAsync(bucket.Id, obj.Key, ServerContext.RequestedVersionId(req), null, ct,
                Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.TaggingDelete))) throw S3Errors.NoSuchKey(obj.Key);
        req.Http.Response.StatusCode = 204;
    }

    public static async Task GetBucketTagsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketTagging", ct);
        var json = await ctx.Store.GetBucketSettingAsync(bucket.Id, BucketSettingName, ct)
                   ?? throw new S3Exception("NoSuchTagSet", 404, "The TagSet does not exist", ("BucketName", bucket.Name));
        await WriteTaggingAsync(req, FromJson(json));
    }

    public static async Task PutBucketTagsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketTagging", ct);
        var tags = Validate(ParseTagging(await S3Xml.ReadBodyAsync(req, ct)), MaxBucketTags);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, BucketSettingName, tags.Count == 0 ? null : ToJson(tags), ct);
        req.Http.Response.StatusCode = 204;
    }

    public static async Task DeleteBucketTagsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketTagging", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, BucketSettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }
}

[JsonSerializable(typeof(List<ObjectTagging.Tag>))]
internal sealed partial class TagJson : JsonSerializerContext;
