using System.Security.Cryptography;
using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>
/// Passes a request body through while hashing it; at the end of the body the SHA-256 must equal the signed
/// x-amz-content-sha256, else XAmzContentSHA256Mismatch is thrown before the consumer can commit anything.
/// </summary>
public sealed class PayloadHashStream(Stream inner, string expectedHex) : ReadOnlyStream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _verified;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct);
        if (n > 0) _sha.AppendData(buffer.Span[..n]);
        else Verify();
        return n;
    }

    private void Verify()
    {
        if (_verified) return;
        _verified = true;
        var actual = Convert.ToHexStringLower(_sha.GetHashAndReset());
        if (!string.Equals(actual, expectedHex, StringComparison.OrdinalIgnoreCase))
            throw new S3Exception("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ("ClientComputedContentSHA256", expectedHex), ("S3ComputedContentSHA256", actual));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sha.Dispose();
        base.Dispose(disposing);
    }
}
