using System.Text;
using Xos.Server.Auth.Acls;
using Xos.Server.Auth.Policies;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>Put/Get/DeleteBucketPolicy. The stored policy is evaluated by the authorizer on every request to the bucket.</summary>
public static class BucketPolicy
{
    public const string SettingName = "policy";

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketPolicy", ct);
        if (req.ContentLength > PolicyDocument.MaxBytes) throw S3Errors.MalformedPolicy("Policies must be less than 20 KB");
        using var reader = new StreamReader(req.Body, Encoding.UTF8);
        var json = await reader.ReadToEndAsync(ct);
        var parsed = PolicyDocument.Parse(json, bucket.Name);
        if (parsed.IsPublic && PublicAccessBlockConfiguration.Effective(bucket).BlockPublicPolicy)
            throw S3Errors.AccessDenied("Access Denied: the public access block forbids public bucket policies");
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, json, ct);
        req.Http.Response.StatusCode = 204;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketPolicy", ct);
        var json = bucket.Policy ?? throw new S3Exception("NoSuchBucketPolicy", 404, "The bucket policy does not exist", ("BucketName", bucket.Name));
        var bytes = Encoding.UTF8.GetBytes(json);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentType = "application/json";
        req.Http.Response.ContentLength = bytes.Length;
        await req.Http.Response.Body.WriteAsync(bytes, ct);
    }

    /// <summary>
    /// GetBucketPolicyStatus: public when the policy allows everyone something (see <see cref="PolicyDocument.IsPublic"/>)
    /// or the bucket's ACL grants AllUsers or AuthenticatedUsers, S3's two public groups.
    /// </summary>
    public static async Task GetStatusAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketPolicyStatus", ct);
        var publicPolicy = bucket.Policy is { } json && PolicyDocument.Parse(json, bucket.Name).IsPublic;
        var publicAcl = AccessControlList.FromJson(bucket.Acl, bucket.OwnerId).Grants
            .Any(g => g.Grantee.GroupUri is Grantee.AllUsers or Grantee.AuthenticatedUsers);
        await S3Xml.WriteAsync(req.Http, 200, "PolicyStatus", w => w.Element("IsPublic", publicPolicy || publicAcl ? "true" : "false"));
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:DeleteBucketPolicy", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }
}
