using System.Text.Json;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>Put/Get/DeleteBucketLifecycle(Configuration). The background lifecycle worker applies the stored rules.</summary>
public static class BucketLifecycle
{
    public const string SettingName = "lifecycle";

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutLifecycleConfiguration", ct);
        // S3 requires an integrity check on this body: Content-MD5, or one of the newer checksum headers.
        if (req.Header("Content-MD5") is null && !req.HttpRequest.Headers.Keys.Any(h => h.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase))
            && req.Header("x-amz-sdk-checksum-algorithm") is null && req.Header("x-amz-trailer") is null)
            throw S3Errors.InvalidRequest("Missing required header for this request: Content-MD5");
        var rules = LifecycleRules.Parse(await S3Xml.ReadBodyAsync(req, ct));
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, JsonSerializer.Serialize(rules, LifecycleJson.Default.ListLifecycleRule), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetLifecycleConfiguration", ct);
        var rules = await LoadAsync(ctx, bucket.Id, ct)
                    ?? throw new S3Exception("NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist", ("BucketName", bucket.Name));
        await S3Xml.WriteAsync(req.Http, 200, "LifecycleConfiguration", w => LifecycleRules.Write(w, rules));
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutLifecycleConfiguration", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }

    public static async Task<List<LifecycleRule>?> LoadAsync(ServerContext ctx, long bucketId, CancellationToken ct) =>
        await ctx.Store.GetBucketSettingAsync(bucketId, SettingName, ct) is { } json
            ? JsonSerializer.Deserialize(json, LifecycleJson.Default.ListLifecycleRule)
            : null;
}
