using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>
/// ACL request headers. Only the default, owner-only ACL is supported until access control lands;
/// asking for any other grant is refused rather than silently ignored.
/// </summary>
public static class CannedAcl
{
    private static readonly string[] Known =
        ["private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read", "log-delivery-write"];

    public static void RequireOwnerOnly(S3Request req)
    {
        var canned = req.Header("x-amz-acl");
        if (canned is not null)
        {
            if (!Known.Contains(canned)) throw S3Errors.InvalidArgument("Invalid canned ACL", "x-amz-acl", canned);
            if (canned is not ("private" or "bucket-owner-full-control"))
                throw S3Errors.NotImplemented($"The canned ACL '{canned}' is not supported yet.");
        }
        foreach (var header in req.HttpRequest.Headers.Keys)
            if (header.StartsWith("x-amz-grant-", StringComparison.OrdinalIgnoreCase))
                throw S3Errors.NotImplemented("x-amz-grant-* headers are not supported yet.");
    }
}
