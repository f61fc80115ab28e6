using Xos.Server.Checksums;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Objects;

/// <summary>How stored flexible checksums are returned: on writes always, on GET/HEAD with x-amz-checksum-mode: ENABLED.</summary>
public static class ObjectChecksums
{
    public const string FullObject = "FULL_OBJECT", Composite = "COMPOSITE";

    /// <summary>The checksum of a single-request write: the body's declared (verified) or computed checksum; null when none.</summary>
    public static ObjectChecksum? OfBody(S3Request req) =>
        req.BodyChecksum is { } c ? new ObjectChecksum(c.Algorithm, FullObject, c.Value) : null;

    public static void WriteHeaders(S3Request req, ObjectChecksum? checksum)
    {
        if (checksum is null) return;
        var h = req.Http.Response.Headers;
        h[ChecksumAlgorithms.HeaderName(checksum.Algorithm)] = checksum.Value;
        h["x-amz-checksum-type"] = checksum.Type;
    }

    /// <summary>
    /// GET/HEAD: the checksum of what is returned, when the client asked for it and it is known (whole object or one
    /// part). A part's answer carries that part's checksum with the object's x-amz-checksum-type (COMPOSITE or
    /// FULL_OBJECT: how the parts' checksums make the object's, as S3 answers it for either type).
    /// </summary>
    public static void WriteForRead(S3Request req, ObjectRecord obj, int? partNumber, bool ranged)
    {
        if (obj.Checksum is not { } checksum || ranged) return;
        if (!string.Equals(req.Header("x-amz-checksum-mode"), "ENABLED", StringComparison.OrdinalIgnoreCase)) return;
        if (partNumber is { } n && obj.Segments is { Count: > 0 } segments && obj.PartsCount > 0)
        {
            if (segments[n - 1].Checksum is not { } partChecksum) return;
            WriteHeaders(req, checksum with { Value = partChecksum });
            return;
        }
        WriteHeaders(req, checksum);
    }
}
