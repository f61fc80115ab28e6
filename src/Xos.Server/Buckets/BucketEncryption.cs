using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Buckets;

/// <summary>
/// A bucket's default encryption: AES256 or SM4 under the master key, or aws:kms with a key of the key service.
/// Stored as the bare algorithm name, or as JSON when it names a KMS key or a bucket key.
/// </summary>
public sealed record DefaultEncryption(string Algorithm, string? KmsKeyId = null, bool BucketKeyEnabled = false)
{
    public static DefaultEncryption? Parse(string? stored) => stored switch
    {
        null => null,
        ['{', ..] => Parsed.Get(stored),
        _ => new DefaultEncryption(stored),
    };

    /// <summary>Parsed settings by their stored text: every write to the bucket reads them.</summary>
    private static readonly Caching.ParsedByText<DefaultEncryption?> Parsed =
        new(static json => System.Text.Json.JsonSerializer.Deserialize(json, DefaultEncryptionJson.Default.DefaultEncryption));

    public string Serialize() => KmsKeyId is null && !BucketKeyEnabled
        ? Algorithm
        : System.Text.Json.JsonSerializer.Serialize(this, DefaultEncryptionJson.Default.DefaultEncryption);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(DefaultEncryption))]
internal sealed partial class DefaultEncryptionJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Put/Get/DeleteBucketEncryption: how new objects are encrypted by default.</summary>
public static class BucketEncryption
{
    public const string SettingName = "encryption";

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutEncryptionConfiguration", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "ServerSideEncryptionConfiguration") throw S3Errors.MalformedXml();
        var rules = doc.Children("Rule").ToList();
        if (rules.Count != 1) throw S3Errors.MalformedXml();
        var byDefault = rules[0].Child("ApplyServerSideEncryptionByDefault") ?? throw S3Errors.MalformedXml();
        var algorithm = byDefault.ChildValue("SSEAlgorithm") ?? throw S3Errors.MalformedXml();
        if (!EncryptionInfo.IsSupported(algorithm) && algorithm != ServerSideEncryption.Kms)
            throw S3Errors.InvalidArgument("The encryption method specified is not supported", "SSEAlgorithm", algorithm);
        var keyId = byDefault.ChildValue("KMSMasterKeyID");
        if (keyId is not null && algorithm != ServerSideEncryption.Kms)
            throw S3Errors.InvalidArgument("a KMSMasterKeyID is only valid with SSEAlgorithm aws:kms", "KMSMasterKeyID", keyId);
        var bucketKey = rules[0].ChildValue("BucketKeyEnabled") == "true";
        var config = new DefaultEncryption(algorithm, string.IsNullOrEmpty(keyId) ? null : keyId, bucketKey);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, config.Serialize(), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetEncryptionConfiguration", ct);
        var config = DefaultEncryption.Parse(bucket.DefaultEncryption) ?? throw new S3Exception("ServerSideEncryptionConfigurationNotFoundError", 404,
            "The server side encryption configuration was not found", ("BucketName", bucket.Name));
        await S3Xml.WriteAsync(req.Http, 200, "ServerSideEncryptionConfiguration", w =>
        {
            w.WriteStartElement("Rule");
            w.WriteStartElement("ApplyServerSideEncryptionByDefault");
            w.Element("SSEAlgorithm", config.Algorithm);
            if (config.KmsKeyId is not null) w.Element("KMSMasterKeyID", config.KmsKeyId);
            w.WriteEndElement();
            w.Element("BucketKeyEnabled", config.BucketKeyEnabled);
            w.WriteEndElement();
        });
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutEncryptionConfiguration", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }
}
