using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Auth;

/// <summary>
/// Decides whether the caller may perform an action on a bucket or object.
/// The bucket owner may do everything; anonymous callers and other accounts are denied.
/// </summary>
public sealed class Authorizer
{
    /// <summary>Requires an authenticated caller (for ListBuckets and CreateBucket).</summary>
    public Identity RequireAuthenticated(S3Request req) => req.Identity ?? throw S3Errors.AccessDenied();

    public void Authorize(S3Request req, BucketRecord bucket, string action)
    {
        var caller = req.Identity ?? throw S3Errors.AccessDenied();
        if (caller.OwnerId != bucket.OwnerId) throw S3Errors.AccessDenied();
    }
}
