using System.Text.RegularExpressions;
using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>CreateBucket, HeadBucket, DeleteBucket and GetBucketLocation.</summary>
public static partial class BucketBasics
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")]
    private static partial Regex RegionName();

    public static async Task CreateAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var caller = ctx.Authorizer.RequireAuthenticated(req, "s3:CreateBucket", "arn:aws:s3:::" + req.Bucket);
        var ownership = BucketOwnershipControls.FromCreateRequest(req);
        var acl = await ctx.RequestedAclAsync(req, caller.OwnerId, caller.OwnerId, ct);
        // Only the account's public access block can apply to a bucket that does not exist yet.
        if (acl is not null && AccessControlList.FromJson(acl, caller.OwnerId).IsPublic)
            PublicAccessBlockConfiguration.FromJson(await ctx.Store.GetAccountSettingAsync(caller.OwnerId, BucketPublicAccessBlock.SettingName, ct)).CheckAcl(acl, caller.OwnerId);
        var location = "";
        if (req.ContentLength is > 0 || req.Header("Transfer-Encoding") is not null)
        {
            var config = await S3Xml.ReadBodyAsync(req, ct);
            if (config.Name.LocalName != "CreateBucketConfiguration") throw S3Errors.MalformedXml();
            location = config.ChildValue("LocationConstraint")?.Trim() ?? "";
            if (location.Length > 0 && !RegionName().IsMatch(location)) throw S3Errors.InvalidLocationConstraint();
        }
        if (location == "us-east-1") location = "";
        var (bucket, created) = await ctx.Store.CreateBucketAsync(req.Bucket!, caller.OwnerId, location, acl, BucketObjectLock.FromCreateRequest(req), ownership, ct);
        if (!created)
        {
            if (bucket.OwnerId != caller.OwnerId) throw S3Errors.BucketAlreadyExists(bucket.Name);
            // us-east-1 answers a repeated CreateBucket of one's own bucket with 200, but never lets it change the ACL.
            var legacyRegion = location.Length == 0 && bucket.Location.Length == 0 && RegionOf("", ctx) == "us-east-1";
            if (!legacyRegion) throw S3Errors.BucketAlreadyOwnedByYou(bucket.Name);
            if (!SameAcl(acl, bucket.Acl, bucket.OwnerId)) throw S3Errors.BucketAlreadyExists(bucket.Name);
        }
        req.Http.Response.Headers.Location = "/" + bucket.Name;
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task HeadAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:ListBucket", ct);
        req.Http.Response.Headers["x-amz-bucket-region"] = RegionOf(bucket.Location, ctx);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:DeleteBucket", ct);
        if (await ctx.Store.DeleteBucketIfEmptyAsync(bucket.Id, ct) is not { } discarded)
        {
            if (await ctx.Store.GetBucketAsync(bucket.Name, ct) is null) throw S3Errors.NoSuchBucket(bucket.Name);
            throw S3Errors.BucketNotEmpty(bucket.Name);
        }
        await ctx.ReleaseAsync(discarded);
        req.Http.Response.StatusCode = 204;
    }

    public static async Task GetLocationAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketLocation", ct);
        await S3Xml.WriteAsync(req.Http, 200, "LocationConstraint", w =>
        {
            if (bucket.Location.Length > 0) w.WriteString(bucket.Location);
        });
    }

    private static bool SameAcl(string? requested, string? existing, string ownerId) =>
        AccessControlList.FromJson(requested, ownerId).ToJson() == AccessControlList.FromJson(existing, ownerId).ToJson();

    public static string RegionOf(string location, ServerContext ctx) => location.Length == 0 ? ctx.Options.Region : location;
}
