using Xos.Server.Buckets;
using Xos.Server.Auth;
using Xos.Server.Background;
using Xos.Server.Auth.Acls;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Hosting;

/// <summary>The services an S3 operation works with, created once per server.</summary>
public sealed partial class ServerContext(ServerOptions options, IMetadataStore store, IBlobStore blobs, Authorizer authorizer, ILogger logger,
    LifecycleOptions lifecycle, MasterKey masterKey, RequestAuthenticator authenticator)
{
    /// <summary>The built-in key service behind SSE-KMS.</summary>
    public Kms.KeyService Kms { get; } = new(store, masterKey);
    /// <summary>For requests that carry their signature in the body (POST uploads).</summary>
    public RequestAuthenticator Authenticator { get; } = authenticator;
    /// <summary>Wraps the data key of every encrypted object.</summary>
    public MasterKey MasterKey { get; } = masterKey;
    public LifecycleOptions Lifecycle { get; } = lifecycle;
    public ServerOptions Options { get; } = options;
    public IMetadataStore Store { get; } = store;
    public IBlobStore Blobs { get; } = blobs;
    public Authorizer Authorizer { get; } = authorizer;
    public ILogger Logger { get; } = logger;
    /// <summary>Hot small objects in memory (--object-cache); null when it is off. The store holds its rows, GET its bodies.</summary>
    public Caching.ObjectCache? ObjectCache { get; init; }

    private readonly Lazy<Xos.Server.Media.MediaProcessor> _media =
        new(() => new Xos.Server.Media.MediaProcessor(options.DataDirectory, Xos.Server.Media.MediaLimits.From(options), logger));
    /// <summary>Image and video processing on read (created on first use: its cache is read from the data folder then).</summary>
    public Xos.Server.Media.MediaProcessor Media => _media.Value;

    /// <summary>Loads the request's bucket (NoSuchBucket when missing) and checks the caller may perform <paramref name="action"/> on it.</summary>
    public async Task<BucketRecord> AuthorizedBucketAsync(S3Request req, string action, CancellationToken ct)
    {
        var bucket = await Store.GetBucketAsync(req.Bucket!, ct) ?? throw S3Errors.NoSuchBucket(req.Bucket!);
        req.LoadedBucket = bucket;
        Authorizer.Authorize(req, bucket, action);
        return bucket;
    }

    /// <summary>The ?versionId= of the request; null when absent. An empty value is refused as AWS refuses it.</summary>
    public static string? RequestedVersionId(S3Request req)
    {
        var v = req.Query("versionId");
        if (v is { Length: 0 }) throw S3Errors.InvalidArgument("Version id cannot be the empty string", "versionId", "");
        return v;
    }

    /// <summary>
    /// Loads the bucket and the key's latest version (or the ?versionId= one) and authorizes <paramref name="action"/>
    /// (its "Version" form when a version is named). A missing key, a latest delete marker, or a missing version are
    /// answered as S3 answers them (NoSuchKey / NoSuchVersion, 405 for a named delete marker).
    /// </summary>
    public async Task<(BucketRecord Bucket, ObjectRecord Object)> AuthorizedObjectAsync(S3Request req, string action, CancellationToken ct)
    {
        var versionId = RequestedVersionId(req);
        var (bucket, obj) = await Store.GetBucketAndObjectAsync(req.Bucket!, req.Key!, versionId, ct);
        if (bucket is null) throw S3Errors.NoSuchBucket(req.Bucket!);
        req.LoadedBucket = bucket;
        req.LoadedObject = obj;
        Authorizer.Authorize(req, bucket, versionId is null ? action : VersionAction(action), obj is { IsDeleteMarker: false } ? obj : null);
        if (obj is null)
        {
            // GET and HEAD of a key that has no version at all say it is not a delete marker, as S3 does.
            if (versionId is null && action == "s3:GetObject") req.Http.Response.Headers["x-amz-delete-marker"] = "false";
            throw versionId is null ? S3Errors.NoSuchKey(req.Key!) : new S3Exception("NoSuchVersion", 404, "The specified version does not exist.",
                ("Key", req.Key!), ("VersionId", versionId));
        }
        if (obj.IsDeleteMarker)
        {
            var h = req.Http.Response.Headers;
            h["x-amz-delete-marker"] = "true";
            h["x-amz-version-id"] = obj.VersionId;
            if (versionId is null) throw S3Errors.NoSuchKey(req.Key!);
            h.LastModified = HttpDates.Format(obj.LastModified);
            throw S3Errors.MethodNotAllowed(req.Method);
        }
        return (bucket, obj);
    }

    /// <summary>The action on a named version: s3:GetObjectAcl becomes s3:GetObjectVersionAcl, s3:GetObject s3:GetObjectVersion.</summary>
    public static string VersionAction(string action)
    {
        var at = action.IndexOf("Object", StringComparison.Ordinal);
        return at < 0 ? action + "Version" : action.Insert(at + "Object".Length, "Version");
    }

    /// <summary>The ACL a write asks for in its x-amz-acl / x-amz-grant-* headers, as stored JSON; null for the default.</summary>
    public async Task<string?> RequestedAclAsync(S3Request req, string ownerId, string bucketOwnerId, CancellationToken ct)
    {
        var acl = await AccessControlList.FromHeadersAsync(req, ownerId, bucketOwnerId, id => Store.UserExistsAsync(id, ct));
        return acl?.ToJson();
    }

    /// <summary>
    /// Who owns the object a write creates and the ACL its headers ask for, under the bucket's ownership controls
    /// (BucketOwnerEnforced refuses ACLs) and public access block (BlockPublicAcls refuses public ones).
    /// </summary>
    public async Task<(string Owner, string? Acl)> NewObjectAclAsync(S3Request req, BucketRecord bucket, CancellationToken ct)
    {
        var owner = BucketOwnershipControls.ObjectOwner(bucket, req.Identity?.OwnerId ?? bucket.OwnerId, req);
        var acl = BucketOwnershipControls.AclsDisabled(bucket) ? null : await AccessControlList.FromHeadersAsync(req, owner, bucket.OwnerId, id => Store.UserExistsAsync(id, ct));
        PublicAccessBlockConfiguration.Effective(bucket).CheckAcl(acl);
        return (owner, acl?.ToJson());
    }

    /// <summary>Deletes blobs a committed transaction no longer refers to (<see cref="BlobStoreSegments.ReleaseAsync"/>).</summary>
    public Task ReleaseAsync(WriteOutcome outcome) => Blobs.ReleaseAsync(outcome);

    /// <summary>
    /// Deletes what an overwrite displaced once the client has its answer, without holding the connection: Kestrel runs
    /// OnCompleted callbacks before it reads the connection's next request, so the callback only starts the release (a
    /// folder store's unlinks run inside it, as cheap as they are; a RADOS delete goes on after it). Errors are logged:
    /// what is left is an orphan for the sweep. (Deletes the client asked for free their space first.)
    /// </summary>
    public void ReleaseAfterResponse(S3Request req, WriteOutcome outcome)
    {
        if (outcome.UnreferencedBlobs.Count == 0) return;
        req.Http.Response.OnCompleted(() =>
        {
            _ = ReleaseLoggedAsync(outcome);
            return Task.CompletedTask;
        });
    }

    private async Task ReleaseLoggedAsync(WriteOutcome outcome)
    {
        try
        {
            await ReleaseAsync(outcome);
        }
        catch (Exception e)
        {
            LogReleaseFailed(Logger, e, outcome.UnreferencedBlobs.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting {Count} displaced blob(s) failed; the orphan sweep removes what is left")]
    private static partial void LogReleaseFailed(ILogger logger, Exception e, int count);
}
