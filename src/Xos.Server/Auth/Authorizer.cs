using Xos.Server.Auth.Acls;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Auth;

/// <summary>
/// Decides whether the caller may perform an IAM action on a bucket or object: the bucket owner may do everything;
/// anyone else needs a grant in the bucket's ACL (bucket-level actions) or the object's ACL (object reads and ACL access).
/// </summary>
public sealed class Authorizer
{
    private enum Level { Bucket, Object }

    /// <summary>The ACL permission that grants each action; actions missing here are reserved to the bucket owner.</summary>
    private static readonly Dictionary<string, (AclPermission Permission, Level Level)> AclGrants = new(StringComparer.OrdinalIgnoreCase)
    {
        ["s3:GetObject"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectVersion"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectAcl"] = (AclPermission.ReadAcp, Level.Object),
        ["s3:GetObjectVersionAcl"] = (AclPermission.ReadAcp, Level.Object),
        ["s3:PutObjectAcl"] = (AclPermission.WriteAcp, Level.Object),
        ["s3:PutObjectVersionAcl"] = (AclPermission.WriteAcp, Level.Object),
        ["s3:ListBucket"] = (AclPermission.Read, Level.Bucket),
        ["s3:ListBucketVersions"] = (AclPermission.Read, Level.Bucket),
        ["s3:ListBucketMultipartUploads"] = (AclPermission.Read, Level.Bucket),
        ["s3:PutObject"] = (AclPermission.Write, Level.Bucket),
        ["s3:DeleteObject"] = (AclPermission.Write, Level.Bucket),
        ["s3:DeleteObjectVersion"] = (AclPermission.Write, Level.Bucket),
        ["s3:AbortMultipartUpload"] = (AclPermission.Write, Level.Bucket),
        ["s3:ListMultipartUploadParts"] = (AclPermission.Write, Level.Bucket),
        ["s3:GetBucketAcl"] = (AclPermission.ReadAcp, Level.Bucket),
        ["s3:PutBucketAcl"] = (AclPermission.WriteAcp, Level.Bucket),
    };

    /// <summary>Requires an authenticated caller (for ListBuckets and CreateBucket).</summary>
    public Identity RequireAuthenticated(S3Request req) => req.Identity ?? throw S3Errors.AccessDenied();

    /// <summary>
    /// Throws AccessDenied unless the caller may perform <paramref name="action"/>. For object-level actions on a key
    /// that does not exist, pass null: the caller then needs the bucket's READ, so that only those who may list the
    /// bucket learn that the key is missing.
    /// </summary>
    public void Authorize(S3Request req, BucketRecord bucket, string action, ObjectRecord? obj = null)
    {
        var caller = req.Identity;
        if (caller is not null && caller.OwnerId == bucket.OwnerId) return;
        if (!AclGrants.TryGetValue(action, out var grant)) throw S3Errors.AccessDenied();
        if (grant.Level == Level.Object)
        {
            if (obj is null)
            {
                if (AccessControlList.FromJson(bucket.Acl, bucket.OwnerId).Allows(caller, AclPermission.Read)) return;
                throw S3Errors.AccessDenied();
            }
            if (caller is not null && caller.OwnerId == obj.OwnerId) return;
            if (AccessControlList.FromJson(obj.Acl, obj.OwnerId).Allows(caller, grant.Permission)) return;
            throw S3Errors.AccessDenied();
        }
        if (AccessControlList.FromJson(bucket.Acl, bucket.OwnerId).Allows(caller, grant.Permission)) return;
        throw S3Errors.AccessDenied();
    }
}
