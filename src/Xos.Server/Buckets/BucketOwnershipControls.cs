using Xos.Server.Auth.Acls;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Buckets;

/// <summary>
/// Put/Get/DeleteBucketOwnershipControls and x-amz-object-ownership at CreateBucket: who owns the objects others write.
/// ObjectWriter (also a bucket with no setting) leaves them to their writer; BucketOwnerPreferred gives the bucket owner
/// those written with the bucket-owner-full-control canned ACL; BucketOwnerEnforced gives the bucket owner every object
/// and disables ACLs: access is decided by the bucket policy alone, and requests that set an ACL other than
/// bucket-owner-full-control are refused.
/// </summary>
public static class BucketOwnershipControls
{
    public const string SettingName = "ownership";
    public const string BucketOwnerEnforced = "BucketOwnerEnforced";
    public const string BucketOwnerPreferred = "BucketOwnerPreferred";
    public const string ObjectWriter = "ObjectWriter";
    private static readonly string[] Values = [BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter];

    public static bool AclsDisabled(BucketRecord bucket) => bucket.Ownership == BucketOwnerEnforced;

    public static S3Exception AccessControlListNotSupported() =>
        new("AccessControlListNotSupported", 400, "The bucket does not allow ACLs");

    private static S3Exception InvalidBucketAclWithObjectOwnership() =>
        new("InvalidBucketAclWithObjectOwnership", 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");

    /// <summary>The x-amz-object-ownership header of CreateBucket, checked against the ACL the same request sets.</summary>
    public static string? FromCreateRequest(S3Request req)
    {
        if (req.Header("x-amz-object-ownership") is not { } value) return null;
        if (!Values.Contains(value)) throw S3Errors.InvalidArgument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", value);
        if (value == BucketOwnerEnforced && !RequestSetsNoAcl(req)) throw InvalidBucketAclWithObjectOwnership();
        return value;
    }

    /// <summary>Whether a write's ACL headers ask for nothing beyond what the bucket owner gets anyway.</summary>
    private static bool RequestSetsNoAcl(S3Request req) =>
        !AccessControlList.HasAclHeaders(req) || req.Header("x-amz-acl") is "private" or "bucket-owner-full-control" && !HasGrantHeaders(req);

    private static bool HasGrantHeaders(S3Request req) =>
        req.Http.Request.Headers.Keys.Any(h => h.StartsWith("x-amz-grant-", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Who owns an object <paramref name="writerId"/> writes into the bucket, given the canned ACL it asks for
    /// (<paramref name="cannedAcl"/>) and whether it sends grant headers; refuses the ACLs a BucketOwnerEnforced bucket does not take.
    /// </summary>
    public static string ObjectOwner(BucketRecord bucket, string writerId, string? cannedAcl, bool hasGrants)
    {
        switch (bucket.Ownership)
        {
            case BucketOwnerEnforced:
                if (hasGrants || cannedAcl is not null && cannedAcl != "bucket-owner-full-control") throw AccessControlListNotSupported();
                return bucket.OwnerId;
            case BucketOwnerPreferred:
                return cannedAcl == "bucket-owner-full-control" ? bucket.OwnerId : writerId;
            default:
                return writerId;
        }
    }

    /// <summary>The same rule for a write's headers: the canned ACL in x-amz-acl and any x-amz-grant-* header.</summary>
    public static string ObjectOwner(BucketRecord bucket, string writerId, S3Request req) =>
        ObjectOwner(bucket, writerId, req.Header("x-amz-acl"), HasGrantHeaders(req));

    /// <summary>PutBucketAcl and PutObjectAcl: refused while ACLs are disabled, except the bucket-owner-full-control canned ACL on objects.</summary>
    public static void CheckAclChange(S3Request req, BucketRecord bucket, bool onObject)
    {
        if (!AclsDisabled(bucket)) return;
        if (onObject && req.Header("x-amz-acl") == "bucket-owner-full-control" && !HasGrantHeaders(req) && req.ContentLength is null or 0) return;
        throw AccessControlListNotSupported();
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketOwnershipControls", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "OwnershipControls") throw S3Errors.MalformedXml();
        var rules = doc.Children("Rule").ToList();
        if (rules.Count != 1 || rules[0].ChildValue("ObjectOwnership")?.Trim() is not { } value || !Values.Contains(value)) throw S3Errors.MalformedXml();
        if (value == BucketOwnerEnforced && !AccessControlList.FromJson(bucket.Acl, bucket.OwnerId).OnlyOwner(bucket.OwnerId))
            throw InvalidBucketAclWithObjectOwnership();
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, value, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketOwnershipControls", ct);
        var value = bucket.Ownership ?? throw new S3Exception("OwnershipControlsNotFoundError", 404,
            "The bucket ownership controls were not found", ("BucketName", bucket.Name));
        await S3Xml.WriteAsync(req.Http, 200, "OwnershipControls", w =>
        {
            w.WriteStartElement("Rule");
            w.Element("ObjectOwnership", value);
            w.WriteEndElement();
        });
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketOwnershipControls", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }
}
