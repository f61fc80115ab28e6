namespace Xos.Server.Protocol;

/// <summary>An S3 error as AWS reports it: a code, an HTTP status and a message for the client.</summary>
public sealed class S3Exception : Exception
{
    public string Code { get; }
    public int Status { get; }
    /// <summary>Extra elements written into the error XML (e.g. BucketName, Key, ArgumentName).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; }

    public S3Exception(string code, int status, string message, params (string Name, string Value)[] details)
        : base(message)
    {
        Code = code;
        Status = status;
        Details = details.Select(d => new KeyValuePair<string, string>(d.Name, d.Value)).ToArray();
    }
}

/// <summary>The S3 error codes XOS answers with, each with the status and wording AWS uses.</summary>
public static class S3Errors
{
    public static S3Exception AccessDenied(string message = "Access Denied") => new("AccessDenied", 403, message);
    public static S3Exception BadDigest() => new("BadDigest", 400, "The Content-MD5 you specified did not match what we received.");
    public static S3Exception BucketAlreadyExists(string bucket) => new("BucketAlreadyExists", 409,
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", ("BucketName", bucket));
    public static S3Exception BucketAlreadyOwnedByYou(string bucket) => new("BucketAlreadyOwnedByYou", 409,
        "Your previous request to create the named bucket succeeded and you already own it.", ("BucketName", bucket));
    public static S3Exception BucketNotEmpty(string bucket) => new("BucketNotEmpty", 409,
        "The bucket you tried to delete is not empty", ("BucketName", bucket));
    public static S3Exception EntityTooLarge(long max) => new("EntityTooLarge", 400,
        "Your proposed upload exceeds the maximum allowed object size.", ("MaxSizeAllowed", max.ToString()));
    public static S3Exception EntityTooSmall() => new("EntityTooSmall", 400,
        "Your proposed upload is smaller than the minimum allowed object size.");
    public static S3Exception IncompleteBody() => new("IncompleteBody", 400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header.");
    public static S3Exception ServiceUnavailable() => new("ServiceUnavailable", 503,
        "The metadata store is unavailable for the moment. Please retry the request.");
    public static S3Exception InternalError() => new("InternalError", 500,
        "We encountered an internal error. Please try again.");
    public static S3Exception InvalidArgument(string message, string? name = null, string? value = null) =>
        name is null ? new("InvalidArgument", 400, message)
                     : new("InvalidArgument", 400, message, ("ArgumentName", name), ("ArgumentValue", value ?? ""));
    public static S3Exception InvalidBucketName(string bucket) => new("InvalidBucketName", 400,
        "The specified bucket is not valid.", ("BucketName", bucket));
    public static S3Exception InvalidDigest() => new("InvalidDigest", 400, "The Content-MD5 you specified is not valid.");
    public static S3Exception InvalidPart(string message = "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.") =>
        new("InvalidPart", 400, message);
    public static S3Exception InvalidPartOrder() => new("InvalidPartOrder", 400,
        "The list of parts was not in ascending order. Parts must be ordered by part number.");
    public static S3Exception InvalidRange(long size) => new("InvalidRange", 416,
        "The requested range is not satisfiable", ("RangeRequested", ""), ("ActualObjectSize", size.ToString()));
    public static S3Exception InvalidRequest(string message) => new("InvalidRequest", 400, message);
    public static S3Exception KeyTooLong() => new("KeyTooLongError", 400, "Your key is too long");
    public static S3Exception MalformedXml() => new("MalformedXML", 400,
        "The XML you provided was not well-formed or did not validate against our published schema");
    public static S3Exception MethodNotAllowed(string method) => new("MethodNotAllowed", 405,
        "The specified method is not allowed against this resource.", ("Method", method));
    public static S3Exception MissingContentLength() => new("MissingContentLength", 411,
        "You must provide the Content-Length HTTP header.");
    public static S3Exception NoSuchBucket(string bucket) => new("NoSuchBucket", 404,
        "The specified bucket does not exist", ("BucketName", bucket));
    public static S3Exception NoSuchKey(string key) => new("NoSuchKey", 404, "The specified key does not exist.", ("Key", key));
    public static S3Exception NoSuchUpload(string uploadId) => new("NoSuchUpload", 404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", ("UploadId", uploadId));
    public static S3Exception NotImplemented(string what = "A header or query you provided implies functionality that is not implemented.") =>
        new("NotImplemented", 501, what);
    public static S3Exception PreconditionFailed(string condition) => new("PreconditionFailed", 412,
        "At least one of the pre-conditions you specified did not hold", ("Condition", condition));
    public static S3Exception InvalidLocationConstraint() => new("InvalidLocationConstraint", 400,
        "The specified location-constraint is not valid");
    public static S3Exception MalformedPolicy(string message) => new("MalformedPolicy", 400, message);
    public static S3Exception MalformedPostRequest() => new("MalformedPOSTRequest", 400,
        "The body of your POST request is not well-formed multipart/form-data.");
    public static S3Exception InvalidObjectState(string message) => new("InvalidObjectState", 403, message);
}
