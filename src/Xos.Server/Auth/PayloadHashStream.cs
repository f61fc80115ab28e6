using System.Security.Cryptography;
using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>
/// Passes a request body through while hashing it; at the end of the body the SHA-256 must equal the signed
/// x-amz-content-sha256, else XAmzContentSHA256Mismatch is thrown before the consumer can commit anything.
/// </summary>
public sealed class PayloadHashStream(Stream inner, string expectedHex) : Stream
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

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

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

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
