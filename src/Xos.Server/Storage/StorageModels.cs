using Xos.Server.Protocol;

namespace Xos.Server.Storage;

public sealed record BucketRecord(
    long Id,
    string Name,
    string OwnerId,
    DateTimeOffset Created,
    string Location,
    string? Acl = null,
    string Versioning = "",
    string? Lifecycle = null,
    string? DefaultEncryption = null,
    string? Policy = null,
    string? ObjectLock = null,
    string? Ownership = null,
    string? PublicAccessBlock = null,
    string? AccountPublicAccessBlock = null,
    string? Logging = null,
    string? Notification = null)
{
    /// <summary>Whether writes create new versions ("Enabled"), overwrite the "null" version ("Suspended" or never configured).</summary>
    public bool VersioningEnabled => Versioning == "Enabled";
    public bool VersioningConfigured => Versioning.Length > 0;
}

/// <summary>
/// One stored piece of an object's data: a blob, how many bytes of the object it holds, and the part number it was
/// uploaded as (0 for a single PUT), which encrypted parts use in their nonces.
/// </summary>
/// <remarks>An object kept inline in the metadata store is one segment whose <see cref="Inline"/> bytes are the stored data.</remarks>
public readonly record struct Segment(string BlobId, long Size, int PartNumber = 0, string? Checksum = null, byte[]? Inline = null);

/// <summary>
/// An object's flexible checksum: the algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), FULL_OBJECT or COMPOSITE,
/// and the base64 value (a composite one ends in "-N", the number of parts).
/// </summary>
public sealed record ObjectChecksum(string Algorithm, string Type, string Value);

/// <summary>
/// Everything the metadata store knows about one object version.
/// The data is one blob (<see cref="BlobId"/>), or for multipart objects the ordered <see cref="Segments"/>, or for
/// small objects the bytes themselves (<see cref="InlineData"/>), committed with the metadata in one transaction.
/// </summary>
public sealed record ObjectRecord
{
    public long BucketId { get; init; }
    public required string Key { get; init; }
    public string VersionId { get; init; } = "null";
    public bool IsDeleteMarker { get; init; }
    public bool IsLatest { get; init; } = true;
    public long Size { get; init; }
    /// <summary>Hex MD5 (or md5-of-md5s "-N" for multipart), without quotes.</summary>
    public string ETag { get; init; } = "";
    public DateTimeOffset LastModified { get; init; }
    public string ContentType { get; init; } = "application/octet-stream";
    /// <summary>Stored response headers: x-amz-meta-*, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;
    public string StorageClass { get; init; } = "STANDARD";
    public string OwnerId { get; init; } = "";
    public string? BlobId { get; init; }
    public IReadOnlyList<Segment>? Segments { get; init; }
    /// <summary>The stored bytes (sealed when encrypted) of an object kept in the metadata store; null for blob-backed objects.</summary>
    public byte[]? InlineData { get; init; }
    public int PartsCount { get; init; }
    public string? Acl { get; init; }
    public string? Tags { get; init; }
    public string? Encryption { get; init; }
    public ObjectChecksum? Checksum { get; init; }
    /// <summary>The multipart upload this version was completed from; null for other writes.</summary>
    public string? UploadId { get; init; }
    /// <summary>Object lock retention (GOVERNANCE or COMPLIANCE until a date); null when the version has none.</summary>
    public ObjectRetention? Retention { get; init; }
    /// <summary>Object lock legal hold: the version cannot be deleted while it is on.</summary>
    public bool LegalHold { get; init; }

    public static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>();

    /// <summary>Every blob that holds this object's data.</summary>
    public IEnumerable<string> BlobIds => BlobId is not null ? [BlobId] : Segments?.Select(s => s.BlobId) ?? [];
}

/// <summary>An object lock retention: the mode (GOVERNANCE or COMPLIANCE) and the date until which the version is protected.</summary>
public sealed record ObjectRetention(string Mode, DateTimeOffset RetainUntil);

/// <summary>A row of ListObjectVersions: a version or a delete marker.</summary>
public readonly record struct VersionListEntry(long RowId, string Key, string VersionId, bool IsLatest, bool IsDeleteMarker,
    DateTimeOffset LastModified, string ETag, long Size, string StorageClass, string OwnerId, string? Tags = null);

/// <summary>What a DeleteObject did: the version it removed or the delete marker it created.</summary>
public sealed record DeleteOutcome(WriteOutcome Outcome, string? VersionId, bool IsDeleteMarker);

/// <summary>A row of an object listing: what ListObjects shows, nothing more.</summary>
public readonly record struct ObjectListEntry(string Key, long Size, string ETag, DateTimeOffset LastModified, string StorageClass, string OwnerId);

public sealed record UploadRecord
{
    public long Id { get; init; }
    public required string UploadId { get; init; }
    public long BucketId { get; init; }
    public required string Key { get; init; }
    public DateTimeOffset Initiated { get; init; }
    public string OwnerId { get; init; } = "";
    public string ContentType { get; init; } = "application/octet-stream";
    public IReadOnlyDictionary<string, string> Headers { get; init; } = ObjectRecord.EmptyHeaders;
    public string StorageClass { get; init; } = "STANDARD";
    public string? Acl { get; init; }
    public string? Tags { get; init; }
    public string? Encryption { get; init; }
    /// <summary>The checksum algorithm every part is sent with (CreateMultipartUpload's x-amz-checksum-algorithm); null when none.</summary>
    public string? ChecksumAlgorithm { get; init; }
    /// <summary>COMPOSITE or FULL_OBJECT (x-amz-checksum-type); null when no algorithm was chosen.</summary>
    public string? ChecksumType { get; init; }
    /// <summary>The object lock retention and legal hold the completed object gets.</summary>
    public ObjectRetention? Retention { get; init; }
    public bool LegalHold { get; init; }
}

/// <summary>An uploaded part; <see cref="Checksum"/> is its base64 checksum in the upload's algorithm, when it has one.</summary>
public sealed record PartRecord(int PartNumber, string BlobId, long Size, string ETag, DateTimeOffset LastModified, string? Checksum = null);

/// <summary>What a write displaced: blobs that are no longer referenced once the transaction has committed.</summary>
public sealed record WriteOutcome(IReadOnlyList<string> UnreferencedBlobs)
{
    public static readonly WriteOutcome Nothing = new([]);
}

public sealed record UserRecord(string Id, string Name, DateTimeOffset Created);

/// <summary>A role that trusted users may assume through STS; its policy bounds what the temporary credentials may do.</summary>
public sealed record RoleRecord(string Name, string Policy, IReadOnlyList<string> TrustedUsers, DateTimeOffset Created);

/// <summary>
/// The precondition of a conditional write (If-None-Match: * or If-Match: "etag" on PutObject and CompleteMultipartUpload),
/// checked against the key's current version inside the write's transaction, so two racing writers cannot both pass.
/// </summary>
public sealed record WriteCondition(bool IfNoneMatchAny, string? IfMatchETag)
{
    /// <summary>Throws the error S3 answers when the condition does not hold for the current version (null: none, or a delete marker).</summary>
    public void Check(string key, string? currentETag)
    {
        if (IfNoneMatchAny && currentETag is not null) throw S3Errors.PreconditionFailed("If-None-Match");
        if (IfMatchETag is null) return;
        if (currentETag is null) throw S3Errors.NoSuchKey(key);
        if (!ETags.Matches(IfMatchETag, currentETag)) throw S3Errors.PreconditionFailed("If-Match");
    }
}

/// <summary>
/// A key of the built-in key service (SSE-KMS): its cipher (AES256 or SM4), whether it may be used, and its versions'
/// key material, each wrapped by the master key. Rotation adds a version; objects keep the version that wrapped them.
/// </summary>
public sealed record KmsKeyRecord(string Id, string Algorithm, bool Enabled, DateTimeOffset Created, int CurrentVersion,
    IReadOnlyDictionary<int, string> WrappedMaterial);
