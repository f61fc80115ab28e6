using Xos.Server.Auth;
using Xos.Server.Auth.Acls;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Hosting;

/// <summary>The services an S3 operation works with, created once per server.</summary>
public sealed class ServerContext(ServerOptions options, IMetadataStore store, IBlobStore blobs, Authorizer authorizer, ILogger logger)
{
    public ServerOptions Options { get; } = options;
    public IMetadataStore Store { get; } = store;
    public IBlobStore Blobs { get; } = blobs;
    public Authorizer Authorizer { get; } = authorizer;
    public ILogger Logger { get; } = logger;

    /// <summary>Loads the request's bucket (NoSuchBucket when missing) and checks the caller may perform <paramref name="action"/> on it.</summary>
    public async Task<BucketRecord> AuthorizedBucketAsync(S3Request req, string action, CancellationToken ct)
    {
        var bucket = await Store.GetBucketAsync(req.Bucket!, ct) ?? throw S3Errors.NoSuchBucket(req.Bucket!);
        Authorizer.Authorize(req, bucket, action);
        return bucket;
    }

    /// <summary>The ACL a write asks for in its x-amz-acl / x-amz-grant-* headers, as stored JSON; null for the default.</summary>
    public async Task<string?> RequestedAclAsync(S3Request req, string ownerId, string bucketOwnerId, CancellationToken ct)
    {
        var acl = await AccessControlList.FromHeadersAsync(req, ownerId, bucketOwnerId, id => Store.UserExistsAsync(id, ct));
        return acl?.ToJson();
    }

    /// <summary>Deletes blobs a committed transaction no longer refers to. A crash before this runs leaves orphans for the start-up sweep.</summary>
    public void Release(WriteOutcome outcome)
    {
        foreach (var blob in outcome.UnreferencedBlobs) Blobs.Delete(blob);
    }
}
