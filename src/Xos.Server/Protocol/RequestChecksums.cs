using Xos.Server.Auth;
using Xos.Server.Checksums;

namespace Xos.Server.Protocol;

/// <summary>
/// The flexible checksum a request declares for its body: one x-amz-checksum-ALGORITHM header, or an aws-chunked trailer
/// announced by x-amz-trailer, optionally named again by x-amz-sdk-checksum-algorithm. The body is verified as it streams.
/// </summary>
public static class RequestChecksums
{
    private const string SdkAlgorithmHeader = "x-amz-sdk-checksum-algorithm";

    /// <summary>Validates the checksum headers and, when a checksum is declared, wraps the body in a verifying <see cref="ChecksumStream"/>.</summary>
    public static void Attach(S3Request req)
    {
        if (!HttpMethods.IsPut(req.Method) && !HttpMethods.IsPost(req.Method)) return;
        // CompleteMultipartUpload's checksum header describes the object it assembles, not its XML body.
        if (HttpMethods.IsPost(req.Method) && req.Key is not null && req.HasQuery("uploadId")) return;
        string? headerAlgorithm = null, headerValue = null;
        foreach (var algorithm in ChecksumAlgorithms.All)
        {
            if (req.Header(ChecksumAlgorithms.HeaderName(algorithm)) is not { } value) continue;
            if (headerAlgorithm is not null) throw MultipleChecksums();
            (headerAlgorithm, headerValue) = (algorithm, value.Trim());
        }

        string? trailerAlgorithm = null;
        if (req.Header("x-amz-trailer") is { } trailer && trailer.Trim().StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase))
        {
            trailerAlgorithm = ChecksumAlgorithms.Normalize(trailer.Trim()["x-amz-checksum-".Length..])
                               ?? throw S3Errors.InvalidRequest("The value specified in the x-amz-trailer header is not supported");
            if (headerAlgorithm is not null) throw MultipleChecksums();
        }

        var declared = headerAlgorithm ?? trailerAlgorithm;
        if (req.Header(SdkAlgorithmHeader) is { } sdkText)
        {
            var sdk = ChecksumAlgorithms.Normalize(sdkText)
                      ?? throw S3Errors.InvalidArgument($"Value for {SdkAlgorithmHeader} header is invalid.", SdkAlgorithmHeader, sdkText);
            if (declared is null)
                throw S3Errors.InvalidRequest($"{SdkAlgorithmHeader} specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.");
            if (sdk != declared)
                throw S3Errors.InvalidRequest($"Value for {SdkAlgorithmHeader} header is invalid: the body's checksum is {declared}.");
        }
        if (declared is null) return;

        Func<string?> expected;
        if (headerAlgorithm is not null)
        {
            var value = headerValue!;
            expected = () => value;
        }
        else
        {
            var chunked = req.Body as AwsChunkedStream
                          ?? throw S3Errors.InvalidRequest("A checksum trailer needs an aws-chunked body (Content-Encoding: aws-chunked).");
            var name = ChecksumAlgorithms.HeaderName(declared);
            expected = () => chunked.Trailers.GetValueOrDefault(name);
        }
        var stream = new ChecksumStream(req.Body, declared, expected);
        req.Http.Response.RegisterForDispose(stream);
        req.Body = stream;
        req.BodyChecksum = stream;
    }

    /// <summary>
    /// The checksum of the body for a write that must have one in <paramref name="algorithm"/> (a part of an upload that
    /// chose an algorithm): the declared one when it is in that algorithm, else one the server computes while storing.
    /// </summary>
    public static ChecksumStream Require(S3Request req, string algorithm)
    {
        if (req.BodyChecksum is { } declared)
        {
            if (declared.Algorithm != algorithm)
                throw S3Errors.InvalidRequest($"Checksum Type mismatch occurred, expected checksum Type: {algorithm.ToLowerInvariant()}, actual checksum Type: {declared.Algorithm.ToLowerInvariant()}");
            return declared;
        }
        var computing = new ChecksumStream(req.Body, algorithm, null);
        req.Http.Response.RegisterForDispose(computing);
        req.Body = computing;
        req.BodyChecksum = computing;
        return computing;
    }

    private static S3Exception MultipleChecksums() =>
        S3Errors.InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
}
