using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Multipart;
using Xos.Server.Objects;

namespace Xos.Server.Protocol;

/// <summary>Maps an authenticated request to its S3 operation by method, addressing level and sub-resource.</summary>
public static class S3Router
{
    /// <summary>Bucket sub-resources that later features implement; until then they are refused, never faked.</summary>
    private static readonly string[] UnimplementedBucketSubresources =
    [
        "website",
        "notification", "replication", "accelerate",
        "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering",
    ];

    private static readonly string[] UnimplementedObjectSubresources =
        ["restore", "select"];

    public static Task DispatchAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        if (HttpMethods.IsOptions(req.Method) && req.Bucket is not null) return BucketCors.PreflightAsync(req, ctx, ct);
        if (req.Bucket is null) return DispatchServiceAsync(req, ctx, ct);
        if (req.Key is null) return DispatchBucketAsync(req, ctx, ct);
        return DispatchObjectAsync(req, ctx, ct);
    }

    private static Task DispatchServiceAsync(S3Request req, ServerContext ctx, CancellationToken ct) => req.Method switch
    {
        "GET" => ListBuckets.HandleAsync(req, ctx, ct),
        "POST" => Sts.StsEndpoint.HandleAsync(req, ctx, ct),
        _ => throw S3Errors.MethodNotAllowed(req.Method),
    };

    private static Task DispatchBucketAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        BucketNames.Validate(req.Bucket!);
        foreach (var sub in UnimplementedBucketSubresources)
            if (req.HasQuery(sub))
                throw S3Errors.NotImplemented($"The bucket '{sub}' sub-resource is not implemented yet.");

        return req.Method switch
        {
            "GET" when req.HasQuery("object-lock") => BucketObjectLock.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("object-lock") => BucketObjectLock.PutAsync(req, ctx, ct),
            "GET" when req.HasQuery("policyStatus") => BucketPolicy.GetStatusAsync(req, ctx, ct),
            "GET" when req.HasQuery("logging") => BucketLogging.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("logging") => BucketLogging.PutAsync(req, ctx, ct),
            "GET" when req.HasQuery("ownershipControls") => BucketOwnershipControls.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("ownershipControls") => BucketOwnershipControls.PutAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("ownershipControls") => BucketOwnershipControls.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("publicAccessBlock") => BucketPublicAccessBlock.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("publicAccessBlock") => BucketPublicAccessBlock.PutAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("publicAccessBlock") => BucketPublicAccessBlock.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("policy") => BucketPolicy.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("policy") => BucketPolicy.PutAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("policy") => BucketPolicy.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("encryption") => BucketEncryption.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("encryption") => BucketEncryption.PutAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("encryption") => BucketEncryption.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("lifecycle") => BucketLifecycle.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("lifecycle") => BucketLifecycle.PutAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("lifecycle") => BucketLifecycle.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("versioning") => BucketVersioning.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("versioning") => BucketVersioning.PutAsync(req, ctx, ct),
            "GET" when req.HasQuery("versions") => BucketVersioning.ListVersionsAsync(req, ctx, ct),
            "GET" when req.HasQuery("tagging") => ObjectTagging.GetBucketTagsAsync(req, ctx, ct),
            "PUT" when req.HasQuery("tagging") => ObjectTagging.PutBucketTagsAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("tagging") => ObjectTagging.DeleteBucketTagsAsync(req, ctx, ct),
            "GET" when req.HasQuery("cors") => BucketCors.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("cors") => BucketCors.PutAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("cors") => BucketCors.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("acl") => BucketAcl.GetAsync(req, ctx, ct),
            "PUT" when req.HasQuery("acl") => BucketAcl.PutAsync(req, ctx, ct),
            "PUT" => BucketBasics.CreateAsync(req, ctx, ct),
            "HEAD" => BucketBasics.HeadAsync(req, ctx, ct),
            "DELETE" => BucketBasics.DeleteAsync(req, ctx, ct),
            "GET" when req.HasQuery("location") => BucketBasics.GetLocationAsync(req, ctx, ct),
            "GET" when req.HasQuery("uploads") => MultipartListing.ListUploadsAsync(req, ctx, ct),
            "GET" when req.Query("list-type") == "2" => ListObjects.HandleV2Async(req, ctx, ct),
            "GET" => ListObjects.HandleV1Async(req, ctx, ct),
            "POST" when req.HasQuery("delete") => DeleteObjects.HandleAsync(req, ctx, ct),
            "POST" => PostObject.HandleAsync(req, ctx, ct),
            _ => throw S3Errors.MethodNotAllowed(req.Method),
        };
    }

    private static Task DispatchObjectAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        BucketNames.Validate(req.Bucket!);
        foreach (var sub in UnimplementedObjectSubresources)
            if (req.HasQuery(sub))
                throw S3Errors.NotImplemented($"The object '{sub}' sub-resource is not implemented yet.");
        ObjectKeys.Validate(req.Key!);

        if (req.HasQuery("acl"))
        {
            return req.Method switch
            {
                "GET" => ObjectAcl.GetAsync(req, ctx, ct),
                "PUT" => ObjectAcl.PutAsync(req, ctx, ct),
                _ => throw S3Errors.MethodNotAllowed(req.Method),
            };
        }
        if (req.HasQuery("torrent"))
            return req.Method == "GET" ? GetObjectTorrent.HandleAsync(req, ctx, ct) : throw S3Errors.MethodNotAllowed(req.Method);
        if (req.HasQuery("tagging"))
        {
            return req.Method switch
            {
                "GET" => ObjectTagging.GetObjectTagsAsync(req, ctx, ct),
                "PUT" => ObjectTagging.PutObjectTagsAsync(req, ctx, ct),
                "DELETE" => ObjectTagging.DeleteObjectTagsAsync(req, ctx, ct),
                _ => throw S3Errors.MethodNotAllowed(req.Method),
            };
        }
        if (req.HasQuery("retention"))
        {
            return req.Method switch
            {
                "GET" => ObjectLock.GetRetentionAsync(req, ctx, ct),
                "PUT" => ObjectLock.PutRetentionAsync(req, ctx, ct),
                _ => throw S3Errors.MethodNotAllowed(req.Method),
            };
        }
        if (req.HasQuery("legal-hold"))
        {
            return req.Method switch
            {
                "GET" => ObjectLock.GetLegalHoldAsync(req, ctx, ct),
                "PUT" => ObjectLock.PutLegalHoldAsync(req, ctx, ct),
                _ => throw S3Errors.MethodNotAllowed(req.Method),
            };
        }
        if (req.HasQuery("attributes"))
            return req.Method == "GET" ? GetObjectAttributes.HandleAsync(req, ctx, ct) : throw S3Errors.MethodNotAllowed(req.Method);
        var isPart = req.HasQuery("uploadId") && req.HasQuery("partNumber");
        var isCopy = req.Header("x-amz-copy-source") is not null;
        return req.Method switch
        {
            "PUT" when isPart && isCopy => UploadPart.CopyAsync(req, ctx, ct),
            "PUT" when isPart => UploadPart.HandleAsync(req, ctx, ct),
            "PUT" when req.HasQuery("uploadId") => throw S3Errors.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", ""),
            "PUT" when isCopy => CopyObject.HandleAsync(req, ctx, ct),
            "PUT" => PutObject.HandleAsync(req, ctx, ct),
            "GET" when req.HasQuery("uploadId") => MultipartListing.ListPartsAsync(req, ctx, ct),
            "GET" or "HEAD" => GetObject.HandleAsync(req, ctx, ct),
            "DELETE" when req.HasQuery("uploadId") => MultipartUploads.AbortAsync(req, ctx, ct),
            "DELETE" => DeleteObject.HandleAsync(req, ctx, ct),
            "POST" when req.HasQuery("uploads") => MultipartUploads.CreateAsync(req, ctx, ct),
            "POST" when req.HasQuery("uploadId") => MultipartUploads.CompleteAsync(req, ctx, ct),
            _ => throw S3Errors.MethodNotAllowed(req.Method),
        };
    }
}
