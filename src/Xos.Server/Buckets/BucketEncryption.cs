using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Buckets;

/// <summary>Put/Get/DeleteBucketEncryption: the algorithm (AES256 or SM4) new objects are encrypted with by default.</summary>
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
        var algorithm = rules[0].Child("ApplyServerSideEncryptionByDefault")?.ChildValue("SSEAlgorithm") ?? throw S3Errors.MalformedXml();
        if (!EncryptionInfo.IsSupported(algorithm))
            throw S3Errors.InvalidArgument("The encryption method specified is not supported", "SSEAlgorithm", algorithm);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, algorithm, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetEncryptionConfiguration", ct);
        var algorithm = bucket.DefaultEncryption ?? throw new S3Exception("ServerSideEncryptionConfigurationNotFoundError", 404,
            "The server side encryption configuration was not found", ("BucketName", bucket.Name));
        await S3Xml.WriteAsync(req.Http, 200, "ServerSideEncryptionConfiguration", w =>
        {
            w.WriteStartElement("Rule");
            w.WriteStartElement("ApplyServerSideEncryptionByDefault");
            w.Element("SSEAlgorithm", algorithm);
            w.WriteEndElement();
            w.Element("BucketKeyEnabled", false);
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
