using Xos.Server.Auth;
using Xos.Server.Notifications;

namespace Xos.Server.Storage;

/// <summary>
/// The metadata of buckets, objects, multipart uploads and access keys.
/// Every method is one transaction; invariants (a bucket is empty before it is deleted, an upload completes once)
/// are enforced by the database, never by process-local locks, so several server processes may share one store.
/// </summary>
public interface IMetadataStore : IDisposable, Iam.IIamStore
{
    /// <summary>
    /// Creates or upgrades the schema. With <paramref name="migrate"/> false (`xos admin`, which may run beside a
    /// server of the older version) a database of an older schema is refused (<see cref="Sql.SchemaTooOldException"/>).
    /// </summary>
    Task InitializeAsync(CancellationToken ct, bool migrate = true);

    /// <summary>True when other server processes may write to the same store (and so have blob writes in flight).</summary>
    bool IsSharedByProcesses { get; }

    /// <summary>
    /// After the store was found unavailable: drops pooled connections, which a database restart leaves broken
    /// without the pool knowing, so the next requests connect afresh instead of each failing once.
    /// </summary>
    void DiscardPooledConnections();

    // Accounts and keys
    Task EnsureUserAsync(string userId, string displayName, CancellationToken ct);
    Task PutAccessKeyAsync(AccessKeyRecord key, CancellationToken ct);
    /// <summary>A long-term key, or a temporary (STS) key with its session and role policy.</summary>
    Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKey, CancellationToken ct);
    /// <summary>Stores temporary credentials: their secret, the SHA-256 of their token, the user, role and session policy.</summary>
    Task CreateSessionAsync(string accessKey, string secretKey, string tokenHash, string userId, string roleName, string sessionName,
        string? sessionPolicy, DateTimeOffset expires, CancellationToken ct, string? iamUserId = null);
    /// <summary>Creates a user with a fresh canonical id; null when the name is taken.</summary>
    Task<UserRecord?> CreateUserAsync(string name, string canonicalId, CancellationToken ct);
    Task<UserRecord?> GetUserByNameAsync(string name, CancellationToken ct);
    Task<bool> UserExistsAsync(string userId, CancellationToken ct);
    /// <summary>The display names of the given canonical ids; unknown ids are absent.</summary>
    Task<IReadOnlyDictionary<string, string>> GetDisplayNamesAsync(IReadOnlyCollection<string> userIds, CancellationToken ct);
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct);
    /// <summary>Deletes the user and their keys; false when the user does not exist.</summary>
    Task<bool> DeleteUserAsync(string userId, CancellationToken ct);
    Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userId, CancellationToken ct);
    Task<bool> DeleteAccessKeyAsync(string accessKey, CancellationToken ct);

    // Roles
    Task PutRoleAsync(RoleRecord role, CancellationToken ct);
    Task<RoleRecord?> GetRoleAsync(string name, CancellationToken ct);
    Task<IReadOnlyList<RoleRecord>> ListRolesAsync(CancellationToken ct);
    Task<bool> DeleteRoleAsync(string name, CancellationToken ct);

    // Key service
    /// <summary>Creates a key with its first version; false when the id is taken.</summary>
    Task<bool> CreateKmsKeyAsync(string id, string algorithm, string wrappedMaterial, CancellationToken ct);
    Task<KmsKeyRecord?> GetKmsKeyAsync(string id, CancellationToken ct);
    Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(CancellationToken ct);
    /// <summary>Enables or disables a key; false when there is no such key.</summary>
    Task<bool> SetKmsKeyEnabledAsync(string id, bool enabled, CancellationToken ct);
    /// <summary>Adds a new current version of the key's material; returns its number, or null when there is no such key.</summary>
    Task<int?> RotateKmsKeyAsync(string id, string wrappedMaterial, CancellationToken ct);

    // Buckets
    Task<BucketRecord?> GetBucketAsync(string name, CancellationToken ct);
    /// <summary>Creates the bucket; returns the existing record instead when the name is taken.</summary>
    /// <remarks>A bucket created with object lock (<paramref name="objectLock"/>, its configuration) starts versioned, in the same transaction.</remarks>
    Task<(BucketRecord Bucket, bool Created)> CreateBucketAsync(string name, string ownerId, string location, string? acl, string? objectLock,
        string? ownership, CancellationToken ct);
    /// <summary>
    /// Deletes the bucket if it holds no object version or delete marker, discarding its unfinished multipart uploads
    /// with it (as S3 does); returns the blobs of their parts, or null when the bucket is not empty or gone.
    /// </summary>
    Task<WriteOutcome?> DeleteBucketIfEmptyAsync(long bucketId, CancellationToken ct);
    Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string ownerId, CancellationToken ct);
    Task SetBucketAclAsync(long bucketId, string? acl, CancellationToken ct);
    /// <summary>A bucket configuration document (CORS, policy, lifecycle, tagging, encryption) by name; null when not set.</summary>
    Task<string?> GetBucketSettingAsync(long bucketId, string name, CancellationToken ct);
    /// <summary>Sets the named configuration, or removes it when <paramref name="value"/> is null; false when nothing was removed.</summary>
    Task<bool> SetBucketSettingAsync(long bucketId, string name, string? value, CancellationToken ct);
    /// <summary>The bucket's settings whose names start with <paramref name="prefix"/> (the media styles, "style/NAME"), by name.</summary>
    Task<IReadOnlyList<(string Name, string Value)>> ListBucketSettingsAsync(long bucketId, string prefix, CancellationToken ct);
    /// <summary>An account-wide setting of the user <paramref name="ownerId"/> (the account's public access block); null when not set.</summary>
    Task<string?> GetAccountSettingAsync(string ownerId, string name, CancellationToken ct);
    /// <summary>Sets the account-wide setting, or removes it when <paramref name="value"/> is null; false when nothing was removed.</summary>
    Task<bool> SetAccountSettingAsync(string ownerId, string name, string? value, CancellationToken ct);

    // Objects
    /// <summary>The bucket and, when present, the latest version of the key, in one round trip.</summary>
    /// <summary>The bucket and the key's latest version (or the given version), in one round trip.</summary>
    Task<(BucketRecord? Bucket, ObjectRecord? Object)> GetBucketAndObjectAsync(string bucket, string key, string? versionId, CancellationToken ct);
    Task<ObjectRecord?> GetObjectAsync(long bucketId, string key, string? versionId, CancellationToken ct);
    Task SetBucketVersioningAsync(long bucketId, string status, CancellationToken ct);
    /// <summary>
    /// Makes the object the current version of its key. A version with the same id (the "null" version of
    /// unversioned and suspended buckets) is replaced; other versions stay, no longer latest.
    /// </summary>
    /// <remarks>Here and below, <c>events</c> (null when the bucket has no notification rules) describes who makes the change: the
    /// events its rules ask for are queued in the same transaction.</remarks>
    Task<WriteOutcome> PutObjectAsync(ObjectRecord obj, WriteCondition? condition, CancellationToken ct, EventOrigin? events = null);
    /// <summary>Replaces the ACL of the key's current (or given) version; false when there is none.</summary>
    Task<bool> SetObjectAclAsync(long bucketId, string key, string? versionId, string? acl, CancellationToken ct, EventOrigin? events = null);
    /// <summary>Replaces the tags of the key's current (or given) version, leaving LastModified alone; false when there is none.</summary>
    Task<bool> SetObjectTagsAsync(long bucketId, string key, string? versionId, string? tags, CancellationToken ct, EventOrigin? events = null);
    /// <summary>
    /// DELETE without a version id: removes the unversioned key, or adds a delete marker (a new version when
    /// versioning is enabled, the "null" version when suspended). <paramref name="marker"/> describes the marker.
    /// </summary>
    Task<DeleteOutcome> DeleteObjectAsync(BucketRecord bucket, string key, ObjectRecord marker, CancellationToken ct, EventOrigin? events = null);
    /// <summary>Permanently removes one version; the newest remaining version becomes the latest. Null when there is no such version.</summary>
    /// <remarks><paramref name="guard"/> sees the version inside the transaction and throws to refuse its deletion (object lock).</remarks>
    Task<DeleteOutcome?> DeleteObjectVersionAsync(long bucketId, string key, string versionId, Action<ObjectRecord>? guard, CancellationToken ct,
        EventOrigin? events = null);
    /// <summary>
    /// Changes the retention and legal hold of the key's latest (or given) version as <paramref name="change"/> decides from
    /// the current ones, in one transaction; returns the changed version, the delete marker found, or null when there is none.
    /// </summary>
    Task<ObjectRecord?> UpdateObjectLockAsync(long bucketId, string key, string? versionId, Func<ObjectRecord, ObjectRecord> change, CancellationToken ct);
    /// <summary>
    /// Versions and delete markers in (key ascending, newest first) order, starting after the (key, version) marker,
    /// or after every key that starts with <paramref name="keyMarker"/> when <paramref name="skipKeyPrefix"/>.
    /// </summary>
    Task<IReadOnlyList<VersionListEntry>> ListObjectVersionsAsync(long bucketId, string prefix, string? keyMarker, string? versionIdMarker,
        bool skipKeyPrefix, int limit, CancellationToken ct);
    /// <summary>
    /// Keys in UTF-8 byte order that start with <paramref name="prefix"/> and sort after <paramref name="after"/>;
    /// with <paramref name="skipAfterPrefix"/> also after every key that starts with <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<ObjectListEntry>> ListObjectsAsync(long bucketId, string prefix, string? after, bool skipAfterPrefix, int limit, CancellationToken ct);

    // Multipart uploads
    Task CreateUploadAsync(UploadRecord upload, CancellationToken ct);
    Task<UploadRecord?> GetUploadAsync(long bucketId, string key, string uploadId, CancellationToken ct);
    /// <summary>Stores a part; returns the blob of the part it replaced. Fails with NoSuchUpload if the upload is gone.</summary>
    Task<WriteOutcome> PutPartAsync(long uploadPk, PartRecord part, CancellationToken ct);
    Task<IReadOnlyList<PartRecord>> ListPartsAsync(long uploadPk, int afterPartNumber, int limit, CancellationToken ct);
    /// <summary>
    /// Atomically reads the upload's parts, lets <paramref name="assemble"/> validate them and build the object,
    /// stores the object (if <paramref name="condition"/> holds) and deletes the upload. Blobs of parts not used are returned for deletion.
    /// </summary>
    Task<(ObjectRecord Object, WriteOutcome Outcome)> CompleteUploadAsync(UploadRecord upload,
        Func<IReadOnlyList<PartRecord>, ObjectRecord> assemble, WriteCondition? condition, CancellationToken ct, EventOrigin? events = null);
    /// <summary>The version that CompleteMultipartUpload of <paramref name="uploadId"/> created, if it still exists (repeated completions answer with it).</summary>
    Task<ObjectRecord?> GetCompletedUploadAsync(long bucketId, string key, string uploadId, CancellationToken ct);
    /// <summary>Deletes the upload and its parts; returns their blobs, or null when the upload did not exist.</summary>
    Task<WriteOutcome?> AbortUploadAsync(long uploadPk, CancellationToken ct);
    /// <summary>Uploads in (key, initiated, upload id) order after the (key, upload id) marker.</summary>
    Task<IReadOnlyList<UploadRecord>> ListUploadsAsync(long bucketId, string prefix, string? keyMarker, string? uploadIdMarker, int limit, CancellationToken ct);

    // Background work
    /// <summary>Buckets that have the named configuration, after <paramref name="afterBucketId"/>, in id order.</summary>
    Task<IReadOnlyList<BucketRecord>> ListBucketsWithSettingAsync(string name, long afterBucketId, int limit, CancellationToken ct);
    /// <summary>Takes or renews a named lease for <paramref name="holder"/>; false while another holder's lease is unexpired.</summary>
    Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken ct);
    /// <summary>Removes one version only if it is still the row <paramref name="rowId"/> (not replaced meanwhile); promotes the next newest.</summary>
    Task<DeleteOutcome?> DeleteVersionIfUnchangedAsync(long bucketId, string key, long rowId, Func<ObjectRecord, bool>? mayDelete, CancellationToken ct,
        EventOrigin? events = null);
    /// <summary>Adds <paramref name="marker"/> as the latest version only if row <paramref name="rowId"/> is still the latest.</summary>
    Task<DeleteOutcome?> AddDeleteMarkerIfLatestAsync(long bucketId, string key, long rowId, ObjectRecord marker, CancellationToken ct,
        EventOrigin? events = null);
    /// <summary>Changes the storage class of row <paramref name="rowId"/> if it still exists.</summary>
    Task<bool> SetStorageClassAsync(long rowId, string storageClass, CancellationToken ct);

    // Event notifications
    /// <summary>Stores (or with null removes) the bucket's notification configuration and queues its test events, in one transaction.</summary>
    Task SetNotificationConfigurationAsync(long bucketId, string? value, IReadOnlyList<OutboxEvent> testEvents, CancellationToken ct);
    Task<IReadOnlyList<NotifyTarget>> ListNotifyTargetsAsync(CancellationToken ct);
    /// <summary>Creates the target, or replaces the settings of the target with its ARN.</summary>
    Task PutNotifyTargetAsync(NotifyTarget target, CancellationToken ct);
    /// <summary>Removes the target and the events queued for it; returns how many events went with it, or null when there is no such target.</summary>
    Task<int?> DeleteNotifyTargetAsync(string arn, CancellationToken ct);
    /// <summary>Per target: how many events wait, and since when.</summary>
    Task<IReadOnlyList<Sql.EventQueueStats>> GetEventQueueStatsAsync(CancellationToken ct);
    /// <summary>The oldest events queued for <paramref name="target"/> with ids above <paramref name="after"/> and up to <paramref name="upTo"/>, in the order they were queued.</summary>
    Task<IReadOnlyList<Sql.QueuedEvent>> PeekEventsAsync(string target, long after, long upTo, int limit, CancellationToken ct);
    /// <summary>The highest id in the outbox (0 when it is empty).</summary>
    Task<long> LastEventIdAsync(CancellationToken ct);
    /// <summary>Whether event ids follow commit order, so that a reader may read on from the last id it has seen.</summary>
    bool EventIdsFollowCommits { get; }
    /// <summary>Removes delivered events.</summary>
    Task DeleteEventsAsync(IReadOnlyList<long> ids, CancellationToken ct);
    /// <summary>Raised when a committed write queued events.</summary>
    Sql.OutboxSignal EventsQueued { get; }

    // Housekeeping
    /// <summary>Deletes STS sessions that expired before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteExpiredSessionsAsync(DateTimeOffset before, CancellationToken ct);

    /// <summary>True when any object, segment or part refers to the blob.</summary>
    Task<bool> IsBlobReferencedAsync(string blobId, CancellationToken ct);
}
