using Xos.Server.Checksums;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Multipart;

/// <summary>
/// Checksums of multipart uploads: the algorithm and type chosen at creation, each part's checksum, and the object's:
/// COMPOSITE (the checksum of the parts' checksums, "-N") or FULL_OBJECT (CRCs combined into the CRC of the whole data).
/// </summary>
public static class MultipartChecksums
{
    /// <summary>CreateMultipartUpload's x-amz-checksum-algorithm and x-amz-checksum-type, validated as S3 validates them.</summary>
    public static (string? Algorithm, string? Type) FromCreateRequest(S3Request req)
    {
        var algorithmText = req.Header("x-amz-checksum-algorithm");
        var typeText = req.Header("x-amz-checksum-type")?.Trim().ToUpperInvariant();
        if (algorithmText is null)
        {
            if (typeText is not null) throw S3Errors.InvalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
            return (null, null);
        }
        var algorithm = ChecksumAlgorithms.Normalize(algorithmText)
                        ?? throw S3Errors.InvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
        var type = typeText ?? (algorithm == ChecksumAlgorithms.Crc64Nvme ? ObjectChecksums.FullObject : ObjectChecksums.Composite);
        if (type is not (ObjectChecksums.FullObject or ObjectChecksums.Composite))
            throw S3Errors.InvalidRequest("Value for x-amz-checksum-type header is invalid.");
        if (type == ObjectChecksums.FullObject && !ChecksumAlgorithms.IsCrc(algorithm))
            throw S3Errors.InvalidRequest($"The FULL_OBJECT checksum type cannot be used with the {algorithm.ToLowerInvariant()} checksum algorithm.");
        if (type == ObjectChecksums.Composite && algorithm == ChecksumAlgorithms.Crc64Nvme)
            throw S3Errors.InvalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
        return (algorithm, type);
    }

    /// <summary>The object checksum a CompleteMultipartUpload request asserts in x-amz-checksum-ALGORITHM, to be verified.</summary>
    public static string? DeclaredObjectChecksum(S3Request req, UploadRecord upload)
    {
        foreach (var algorithm in ChecksumAlgorithms.All)
        {
            if (req.Header(ChecksumAlgorithms.HeaderName(algorithm)) is not { } value) continue;
            if (upload.ChecksumAlgorithm is null) return null;
            if (algorithm != upload.ChecksumAlgorithm)
                throw S3Errors.InvalidRequest($"Checksum Type mismatch occurred, expected checksum Type: {upload.ChecksumAlgorithm.ToLowerInvariant()}, actual checksum Type: {algorithm.ToLowerInvariant()}");
            return value.Trim();
        }
        return null;
    }

    /// <summary>A part's checksum named in the completion request must be the one it was stored with.</summary>
    public static void CheckRequestedPart(UploadRecord upload, PartRecord part, IReadOnlyDictionary<string, string> requested)
    {
        if (upload.ChecksumAlgorithm is not { } algorithm) return;
        foreach (var (named, value) in requested)
        {
            if (named != algorithm)
                throw S3Errors.InvalidRequest($"Checksum Type mismatch occurred, expected checksum Type: {algorithm.ToLowerInvariant()}, actual checksum Type: {named.ToLowerInvariant()}");
            if (part.Checksum is not null && value != part.Checksum) throw S3Errors.InvalidPart();
        }
    }

    /// <summary>The object's checksum from its parts' checksums; null when the upload chose no algorithm.</summary>
    public static ObjectChecksum? OfObject(UploadRecord upload, IReadOnlyList<PartRecord> parts, string? declared)
    {
        if (upload.ChecksumAlgorithm is not { } algorithm || parts.Any(p => p.Checksum is null)) return null;
        string value;
        if (upload.ChecksumType == ObjectChecksums.FullObject)
        {
            var combined = Convert.FromBase64String(parts[0].Checksum!);
            for (var i = 1; i < parts.Count; i++)
                combined = ChecksumAlgorithms.Combine(algorithm, combined, Convert.FromBase64String(parts[i].Checksum!), parts[i].Size);
            value = Convert.ToBase64String(combined);
            if (declared is not null && declared != value) throw ChecksumStream.BadDigest(algorithm);
        }
        else
        {
            var concatenated = parts.SelectMany(p => Convert.FromBase64String(p.Checksum!)).ToArray();
            var digest = Convert.ToBase64String(ChecksumAlgorithms.Hash(algorithm, concatenated));
            value = $"{digest}-{parts.Count}";
            if (declared is not null && declared != value && declared != digest) throw ChecksumStream.BadDigest(algorithm);
        }
        return new ObjectChecksum(algorithm, upload.ChecksumType ?? ObjectChecksums.Composite, value);
    }
}
