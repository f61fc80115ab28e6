using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Multipart;
using Xos.Server.Objects;

namespace Xos.Server.Protocol;

public delegate Task S3Handler(S3Request req, ServerContext ctx, CancellationToken ct);

/// <summary>An S3 (or STS) operation: its name in the AWS API reference, for metrics and logs, and the code that runs it.</summary>
public readonly record struct S3Operation(string Name, S3Handler Handler);

/// <summary>
/// Maps a request to its S3 operation by method, addressing level and sub-resource. Resolving reads only the method,
/// the query and the x-amz-copy-source header, so the operation is known (and counted) even when authentication
/// then refuses the request; bucket names and keys are validated after authentication, as S3 orders its errors.
/// </summary>
public static class S3Router
{
    /// <summary>Bucket sub-resources that later features implement; until then they are refused, never faked.</summary>
    private static readonly string[] UnimplementedBucketSubresources =
    [
        "website",
        "replication", "accelerate",
        "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering",
    ];

    private static readonly string[] UnimplementedObjectSubresources =
        ["restore", "select"];

    private static readonly S3Operation NotImplementedOperation = new("NotImplemented", static (req, _, _) =>
    {
        var sub = UnimplementedBucketSubresources.Concat(UnimplementedObjectSubresources).First(req.HasQuery);
        throw S3Errors.NotImplemented(req.Key is null
            ? $"The bucket '{sub}' sub-resource is not implemented yet."
            : $"The object '{sub}' sub-resource is not implemented yet.");
    });

    private static readonly S3Operation MethodNotAllowedOperation =
        new("MethodNotAllowed", static (req, _, _) => throw S3Errors.MethodNotAllowed(req.Method));

    public static async Task DispatchAsync(S3Request req, S3Operation operation, ServerContext ctx, CancellationToken ct)
    {
        if (req.Bucket is not null && !HttpMethods.IsOptions(req.Method))
        {
            BucketNames.Validate(req.Bucket);
            if (req.Key is not null && operation.Name != NotImplementedOperation.Name) ObjectKeys.Validate(req.Key);
        }
        await operation.Handler(req, ctx, ct);
    }

    public static S3Operation Resolve(S3Request req)
    {
        if (HttpMethods.IsOptions(req.Method) && req.Bucket is not null) return new("PreflightCors", BucketCors.PreflightAsync);
        if (req.Bucket is null) return ResolveService(req);
        if (req.Key is null) return ResolveBucket(req);
        return ResolveObject(req);
    }

    private static S3Operation ResolveService(S3Request req) => req.Method switch
    {
        "GET" => new("ListBuckets", ListBuckets.HandleAsync),
        "POST" => new("STS", Sts.StsEndpoint.HandleAsync),
        _ => MethodNotAllowedOperation,
    };

    private static S3Operation ResolveBucket(S3Request req)
    {
        foreach (var sub in UnimplementedBucketSubresources)
            if (req.HasQuery(sub)) return NotImplementedOperation;

        return req.Method switch
        {
            "GET" when req.HasQuery("style") => new("GetBucketStyle", Media.MediaStyles.GetAsync),
            "PUT" when req.HasQuery("style") => new("PutBucketStyle", Media.MediaStyles.PutAsync),
            "DELETE" when req.HasQuery("style") => new("DeleteBucketStyle", Media.MediaStyles.DeleteAsync),
            "GET" when req.HasQuery("object-lock") => new("GetObjectLockConfiguration", BucketObjectLock.GetAsync),
            "PUT" when req.HasQuery("object-lock") => new("PutObjectLockConfiguration", BucketObjectLock.PutAsync),
            "GET" when req.HasQuery("policyStatus") => new("GetBucketPolicyStatus", BucketPolicy.GetStatusAsync),
            "GET" when req.HasQuery("notification") => new("GetBucketNotificationConfiguration", Notifications.BucketNotification.GetAsync),
            "PUT" when req.HasQuery("notification") => new("PutBucketNotificationConfiguration", Notifications.BucketNotification.PutAsync),
            "GET" when req.HasQuery("logging") => new("GetBucketLogging", BucketLogging.GetAsync),
            "PUT" when req.HasQuery("logging") => new("PutBucketLogging", BucketLogging.PutAsync),
            "GET" when req.HasQuery("ownershipControls") => new("GetBucketOwnershipControls", BucketOwnershipControls.GetAsync),
            "PUT" when req.HasQuery("ownershipControls") => new("PutBucketOwnershipControls", BucketOwnershipControls.PutAsync),
            "DELETE" when req.HasQuery("ownershipControls") => new("DeleteBucketOwnershipControls", BucketOwnershipControls.DeleteAsync),
            "GET" when req.HasQuery("publicAccessBlock") => new("GetPublicAccessBlock", BucketPublicAccessBlock.GetAsync),
            "PUT" when req.HasQuery("publicAccessBlock") => new("PutPublicAccessBlock", BucketPublicAccessBlock.PutAsync),
            "DELETE" when req.HasQuery("publicAccessBlock") => new("DeletePublicAccessBlock", BucketPublicAccessBlock.DeleteAsync),
            "GET" when req.HasQuery("policy") => new("GetBucketPolicy", BucketPolicy.GetAsync),
            "PUT" when req.HasQuery("policy") => new("PutBucketPolicy", BucketPolicy.PutAsync),
            "DELETE" when req.HasQuery("policy") => new("DeleteBucketPolicy", BucketPolicy.DeleteAsync),
            "GET" when req.HasQuery("encryption") => new("GetBucketEncryption", BucketEncryption.GetAsync),
            "PUT" when req.HasQuery("encryption") => new("PutBucketEncryption", BucketEncryption.PutAsync),
            "DELETE" when req.HasQuery("encryption") => new("DeleteBucketEncryption", BucketEncryption.DeleteAsync),
            "GET" when req.HasQuery("lifecycle") => new("GetBucketLifecycleConfiguration", BucketLifecycle.GetAsync),
            "PUT" when req.HasQuery("lifecycle") => new("PutBucketLifecycleConfiguration", BucketLifecycle.PutAsync),
            "DELETE" when req.HasQuery("lifecycle") => new("DeleteBucketLifecycle", BucketLifecycle.DeleteAsync),
            "GET" when req.HasQuery("versioning") => new("GetBucketVersioning", BucketVersioning.GetAsync),
            "PUT" when req.HasQuery("versioning") => new("PutBucketVersioning", BucketVersioning.PutAsync),
            "GET" when req.HasQuery("versions") => new("ListObjectVersions", BucketVersioning.ListVersionsAsync),
            "GET" when req.HasQuery("tagging") => new("GetBucketTagging", ObjectTagging.GetBucketTagsAsync),
            "PUT" when req.HasQuery("tagging") => new("PutBucketTagging", ObjectTagging.PutBucketTagsAsync),
            "DELETE" when req.HasQuery("tagging") => new("DeleteBucketTagging", ObjectTagging.DeleteBucketTagsAsync),
            "GET" when req.HasQuery("cors") => new("GetBucketCors", BucketCors.GetAsync),
            "PUT" when req.HasQuery("cors") => new("PutBucketCors", BucketCors.PutAsync),
            "DELETE" when req.HasQuery("cors") => new("DeleteBucketCors", BucketCors.DeleteAsync),
            "GET" when req.HasQuery("acl") => new("GetBucketAcl", BucketAcl.GetAsync),
            "PUT" when req.HasQuery("acl") => new("PutBucketAcl", BucketAcl.PutAsync),
            "PUT" => new("CreateBucket", BucketBasics.CreateAsync),
            "HEAD" => new("HeadBucket", BucketBasics.HeadAsync),
            "DELETE" => new("DeleteBucket", BucketBasics.DeleteAsync),
            "GET" when req.HasQuery("location") => new("GetBucketLocation", BucketBasics.GetLocationAsync),
            "GET" when req.HasQuery("uploads") => new("ListMultipartUploads", MultipartListing.ListUploadsAsync),
            "GET" when req.Query("list-type") == "2" => new("ListObjectsV2", ListObjects.HandleV2Async),
            "GET" => new("ListObjects", ListObjects.HandleV1Async),
            "POST" when req.HasQuery("delete") => new("DeleteObjects", DeleteObjects.HandleAsync),
            "POST" => new("PostObject", PostObject.HandleAsync),
            _ => MethodNotAllowedOperation,
        };
    }

    private static S3Operation ResolveObject(S3Request req)
    {
        foreach (var sub in UnimplementedObjectSubresources)
            if (req.HasQuery(sub)) return NotImplementedOperation;

        if (req.HasQuery("acl"))
        {
            return req.Method switch
            {
                "GET" => new("GetObjectAcl", ObjectAcl.GetAsync),
                "PUT" => new("PutObjectAcl", ObjectAcl.PutAsync),
                _ => MethodNotAllowedOperation,
            };
        }
        if (req.HasQuery("torrent"))
            return req.Method == "GET" ? new("GetObjectTorrent", GetObjectTorrent.HandleAsync) : MethodNotAllowedOperation;
        if (req.HasQuery("tagging"))
        {
            return req.Method switch
            {
                "GET" => new("GetObjectTagging", ObjectTagging.GetObjectTagsAsync),
                "PUT" => new("PutObjectTagging", ObjectTagging.PutObjectTagsAsync),
                "DELETE" => new("DeleteObjectTagging", ObjectTagging.DeleteObjectTagsAsync),
                _ => MethodNotAllowedOperation,
            };
        }
        if (req.HasQuery("retention"))
        {
            return req.Method switch
            {
                "GET" => new("GetObjectRetention", ObjectLock.GetRetentionAsync),
                "PUT" => new("PutObjectRetention", ObjectLock.PutRetentionAsync),
                _ => MethodNotAllowedOperation,
            };
        }
        if (req.HasQuery("legal-hold"))
        {
            return req.Method switch
            {
                "GET" => new("GetObjectLegalHold", ObjectLock.GetLegalHoldAsync),
                "PUT" => new("PutObjectLegalHold", ObjectLock.PutLegalHoldAsync),
                _ => MethodNotAllowedOperation,
            };
        }
        if (req.HasQuery("attributes"))
            return req.Method == "GET" ? new("GetObjectAttributes", GetObjectAttributes.HandleAsync) : MethodNotAllowedOperation;
        // Processing on read (GET/HEAD) and save-as (POST); other methods ignore the parameter as S3 ignores unknown ones.
        if (Media.MediaParameter.NameIn(req) is not null && !req.HasQuery("uploadId") && !req.HasQuery("uploads"))
        {
            if (req.Method is "GET" or "HEAD") return new("ProcessObject", Media.ProcessObject.HandleAsync);
            if (req.Method == "POST") return new("ProcessObjectSaveAs", Media.MediaSaveAs.HandleAsync);
        }
        var isPart = req.HasQuery("uploadId") && req.HasQuery("partNumber");
        var isCopy = req.Header("x-amz-copy-source") is not null;
        return req.Method switch
        {
            "PUT" when isPart && isCopy => new("UploadPartCopy", UploadPart.CopyAsync),
            "PUT" when isPart => new("UploadPart", UploadPart.HandleAsync),
            "PUT" when req.HasQuery("uploadId") => new("UploadPart", static (_, _, _) =>
                throw S3Errors.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", "")),
            "PUT" when isCopy => new("CopyObject", CopyObject.HandleAsync),
            "PUT" => new("PutObject", PutObject.HandleAsync),
            "GET" when req.HasQuery("uploadId") => new("ListParts", MultipartListing.ListPartsAsync),
            "GET" => new("GetObject", GetObject.HandleAsync),
            "HEAD" => new("HeadObject", GetObject.HandleAsync),
            "DELETE" when req.HasQuery("uploadId") => new("AbortMultipartUpload", MultipartUploads.AbortAsync),
            "DELETE" => new("DeleteObject", DeleteObject.HandleAsync),
            "POST" when req.HasQuery("uploads") => new("CreateMultipartUpload", MultipartUploads.CreateAsync),
            "POST" when req.HasQuery("uploadId") => new("CompleteMultipartUpload", MultipartUploads.CompleteAsync),
            _ => MethodNotAllowedOperation,
        };
    }
}
