using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Xos.Server.Auth.Acls;
using Xos.Server.Buckets;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>
/// POST /bucket with multipart/form-data: the browser upload of `createPresignedPost` and HTML forms. The form's
/// policy is verified and its conditions checked before the file part, which must come last, is streamed to storage.
/// </summary>
public static class PostObject
{
    private const int MaxFieldBytes = 64 * 1024;
    private const int MaxFields = 100;

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var contentType = req.Header("Content-Type") ?? "";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw S3Errors.InvalidArgument("POST requires exactly one file upload per request.", "Content-Type", contentType);
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw S3Errors.MalformedPostRequest();

        var bucket = await ctx.Store.GetBucketAsync(req.Bucket!, ct) ?? throw S3Errors.NoSuchBucket(req.Bucket!);
        req.LoadedBucket = bucket;
        var reader = new MultipartReader(boundary, req.Body) { HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        MultipartSection? file = null;
        string? fileName = null;
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) throw S3Errors.MalformedPostRequest();
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value?.ToLowerInvariant() ?? throw S3Errors.MalformedPostRequest();
            if (name == "file")
            {
                file = section;
                fileName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "";
                break;
            }
            if (fields.Count >= MaxFields) throw S3Errors.MalformedPostRequest();
            fields[name] = await ReadFieldAsync(section, ct);
        }
        if (file is null) throw S3Errors.InvalidArgument("POST requires exactly one file upload per request.", "file", "0");

        // The policy's conditions see the key as it will be stored, with ${filename} already replaced.
        var key = (fields.GetValueOrDefault("key") ?? throw S3Errors.InvalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", "key", ""))
            .Replace("${filename}", Path.GetFileName(fileName), StringComparison.Ordinal);
        fields["key"] = key;

        var identity = await ctx.Authenticator.VerifyPostPolicyAsync(fields, ct);
        PostPolicy? policy = null;
        if (identity is not null)
        {
            policy = PostPolicy.Parse(fields["policy"]);
            policy.Check(fields, bucket.Name, DateTimeOffset.UtcNow);
        }
        else if (fields.ContainsKey("policy") || fields.ContainsKey("awsaccesskeyid") || fields.ContainsKey("x-amz-credential"))
            throw S3Errors.InvalidArgument("Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of the fields.", "Signature", "");
        req.Identity = identity;
        ObjectKeys.Validate(key);
        var tags = fields.GetValueOrDefault("tagging") is { } tagging ? ObjectTagging.FromXml(tagging) : null;
        ctx.Authorizer.Authorize(req, bucket, "s3:PutObject", null, key);

        var cannedAcl = fields.GetValueOrDefault("acl");
        var owner = BucketOwnershipControls.ObjectOwner(bucket, identity?.OwnerId ?? bucket.OwnerId, cannedAcl, hasGrants: false);
        var aclList = cannedAcl is not null && !BucketOwnershipControls.AclsDisabled(bucket) ? AccessControlList.Canned(cannedAcl, owner, bucket.OwnerId) : null;
        PublicAccessBlockConfiguration.Effective(bucket).CheckAcl(aclList);
        var acl = aclList?.ToJson();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in fields)
            if (name.StartsWith("x-amz-meta-", StringComparison.Ordinal)) headers[name] = value;
        foreach (var (field, header) in new[] { ("cache-control", "Cache-Control"), ("content-disposition", "Content-Disposition"), ("content-encoding", "Content-Encoding"), ("expires", "Expires") })
            if (fields.GetValueOrDefault(field) is { } value) headers[header] = value;
        var encryption = await ServerSideEncryption.ForWriteAsync(req, bucket, ctx, ct, name => fields.GetValueOrDefault(name), key);

        var max = Math.Min(policy?.MaxLength ?? ServerOptions.MaxObjectSize, ServerOptions.MaxObjectSize);
        var checksum = PostChecksum(fields, file.Body);
        if (checksum is not null) req.Http.Response.RegisterForDispose(checksum);
        var (blob, md5, size) = await ServerSideEncryption.WriteAsync(ctx, (Stream?)checksum ?? file.Body, null, max, encryption, 0, ct);
        ObjectRecord record;
        try
        {
            if (size < (policy?.MinLength ?? 0)) throw S3Errors.EntityTooSmall();
            record = new ObjectRecord
            {
                BucketId = bucket.Id,
                Key = key,
                VersionId = BucketVersioning.VersionIdForWrite(bucket),
                Size = size,
                ETag = ETags.FromMd5(md5),
                LastModified = DateTimeOffset.UtcNow,
                ContentType = fields.GetValueOrDefault("content-type") ?? "application/octet-stream",
                Headers = headers,
                StorageClass = fields.GetValueOrDefault("x-amz-storage-class") ?? "STANDARD",
                OwnerId = owner,
                BlobId = blob.BlobId,
                Acl = acl,
                Tags = tags,
                Encryption = encryption?.ToJson(),
                Checksum = checksum is null ? null : new ObjectChecksum(checksum.Algorithm, ObjectChecksums.FullObject, checksum.Value),
            };
            ctx.ReleaseAfterResponse(req, await ctx.Store.PutObjectAsync(record, null, ct,
                Notifications.ObjectEvents.For(req, ctx, bucket, Notifications.EventTypes.Post)));
        }
        catch
        {
            await ctx.Blobs.DeleteAsync(blob.BlobId);
            throw;
        }

        var response = req.Http.Response;
        response.Headers.ETag = ETags.Quote(record.ETag);
        var location = $"{(req.Http.Request.IsHttps ? "https" : "http")}://{req.Http.Request.Host}/{bucket.Name}/{ListObjects.UrlEncode(key)}";
        response.Headers.Location = location;
        if (bucket.VersioningEnabled) response.Headers["x-amz-version-id"] = record.VersionId;
        ServerSideEncryption.WriteHeader(req, record.Encryption);
        if ((fields.GetValueOrDefault("success_action_redirect") ?? fields.GetValueOrDefault("redirect")) is { } redirect
            && Uri.TryCreate(redirect, UriKind.Absolute, out var target))
        {
            var query = $"bucket={WebUtility.UrlEncode(bucket.Name)}&key={WebUtility.UrlEncode(key)}&etag={WebUtility.UrlEncode(ETags.Quote(record.ETag))}";
            response.Headers.Location = target + (string.IsNullOrEmpty(target.Query) ? "?" : "&") + query;
            response.StatusCode = 303;
            response.ContentLength = 0;
            return;
        }
        switch (fields.GetValueOrDefault("success_action_status"))
        {
            case "201":
                await S3Xml.WriteAsync(req.Http, 201, "PostResponse", w =>
                {
                    w.Element("Location", location);
                    w.Element("Bucket", bucket.Name);
                    w.Element("Key", key);
                    w.Element("ETag", ETags.Quote(record.ETag));
                }, ns: null);
                return;
            case "200":
                response.StatusCode = 200;
                response.ContentLength = 0;
                return;
            default:
                response.StatusCode = 204;
                return;
        }
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await section.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxFieldBytes) throw S3Errors.MalformedPostRequest();
            buffer.Write(chunk, 0, n);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>An x-amz-checksum-ALGORITHM form field: the file is verified against it as it streams; null when the form has none.</summary>
    private static Checksums.ChecksumStream? PostChecksum(IReadOnlyDictionary<string, string> fields, Stream file)
    {
        Checksums.ChecksumStream? stream = null;
        foreach (var algorithm in Checksums.ChecksumAlgorithms.All)
        {
            if (fields.GetValueOrDefault(Checksums.ChecksumAlgorithms.HeaderName(algorithm)) is not { } value) continue;
            if (stream is not null) throw S3Errors.InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
            var expected = value.Trim();
            stream = new Checksums.ChecksumStream(file, algorithm, () => expected);
        }
        return stream;
    }
}
