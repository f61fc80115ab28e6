using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Buckets;

/// <summary>The four switches of S3's public access block, for a bucket or a whole account.</summary>
public sealed record PublicAccessBlockConfiguration(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets)
{
    public static readonly PublicAccessBlockConfiguration None = new(false, false, false, false);

    /// <summary>The bucket's own settings and its owner's account settings together: each switch is on when either turns it on.</summary>
    public static PublicAccessBlockConfiguration Effective(BucketRecord bucket) =>
        bucket.PublicAccessBlock is null && bucket.AccountPublicAccessBlock is null
            ? None
            : FromJson(bucket.PublicAccessBlock).Or(FromJson(bucket.AccountPublicAccessBlock));

    public PublicAccessBlockConfiguration Or(PublicAccessBlockConfiguration other) => new(
        BlockPublicAcls || other.BlockPublicAcls, IgnorePublicAcls || other.IgnorePublicAcls,
        BlockPublicPolicy || other.BlockPublicPolicy, RestrictPublicBuckets || other.RestrictPublicBuckets);

    public string ToJson() => JsonSerializer.Serialize(this, PublicAccessBlockJson.Default.PublicAccessBlockConfiguration);

    public static PublicAccessBlockConfiguration FromJson(string? json) =>
        json is null ? None : Parsed.Get(json);

    /// <summary>Parsed settings by their stored text: requests to the bucket read them.</summary>
    private static readonly Caching.ParsedByText<PublicAccessBlockConfiguration> Parsed =
        new(static json => JsonSerializer.Deserialize(json, PublicAccessBlockJson.Default.PublicAccessBlockConfiguration) ?? None);

    /// <summary>A PublicAccessBlockConfiguration document; a switch left out is off, anything but true/false is MalformedXML.</summary>
    public static PublicAccessBlockConfiguration Parse(XElement doc)
    {
        if (doc.Name.LocalName != "PublicAccessBlockConfiguration") throw S3Errors.MalformedXml();
        bool Flag(string name) => doc.ChildValue(name)?.Trim().ToLowerInvariant() switch
        {
            null => false,
            "true" => true,
            "false" => false,
            _ => throw S3Errors.MalformedXml(),
        };
        return new(Flag("BlockPublicAcls"), Flag("IgnorePublicAcls"), Flag("BlockPublicPolicy"), Flag("RestrictPublicBuckets"));
    }

    public void WriteXml(System.Xml.XmlWriter w)
    {
        w.Element("BlockPublicAcls", BlockPublicAcls);
        w.Element("IgnorePublicAcls", IgnorePublicAcls);
        w.Element("BlockPublicPolicy", BlockPublicPolicy);
        w.Element("RestrictPublicBuckets", RestrictPublicBuckets);
    }

    /// <summary>BlockPublicAcls: a request that would make a bucket or object public through its ACL is AccessDenied.</summary>
    public void CheckAcl(AccessControlList? acl)
    {
        if (BlockPublicAcls && acl is { IsPublic: true }) throw S3Errors.AccessDenied("Access Denied: the public access block forbids public ACLs");
    }

    /// <summary>The same check for an ACL kept as stored JSON.</summary>
    public void CheckAcl(string? aclJson, string ownerId)
    {
        if (BlockPublicAcls && aclJson is not null) CheckAcl(AccessControlList.FromJson(aclJson, ownerId));
    }
}

[JsonSerializable(typeof(PublicAccessBlockConfiguration))]
internal sealed partial class PublicAccessBlockJson : JsonSerializerContext;

/// <summary>
/// Put/Get/DeletePublicAccessBlock on a bucket. The account-wide settings (kept per user and combined with each of
/// their buckets') are set through the admin API, as S3 sets them through S3 Control.
/// </summary>
public static class BucketPublicAccessBlock
{
    public const string SettingName = "public-access-block";

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketPublicAccessBlock", ct);
        var config = PublicAccessBlockConfiguration.Parse(await S3Xml.ReadBodyAsync(req, ct));
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, config.ToJson(), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketPublicAccessBlock", ct);
        if (bucket.PublicAccessBlock is not { } json) throw NoSuchPublicAccessBlockConfiguration(bucket.Name);
        var config = PublicAccessBlockConfiguration.FromJson(json);
        await S3Xml.WriteAsync(req.Http, 200, "PublicAccessBlockConfiguration", config.WriteXml);
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketPublicAccessBlock", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }

    public static S3Exception NoSuchPublicAccessBlockConfiguration(string bucket) =>
        new("NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found", ("BucketName", bucket));
}
