using Xos.Server.Protocol;

namespace Xos.Server.Checksums;

/// <summary>
/// Hashes a request body as it streams and, at its end, checks the checksum the client declared (in a header or, for
/// aws-chunked bodies, in a trailer that is only known once the body has been read). A mismatch fails the read that
/// reaches the end, so nothing built from the body is ever committed.
/// </summary>
public sealed class ChecksumStream(Stream inner, string algorithm, Func<string?>? expected) : ReadOnlyStream
{
    private readonly ChecksumHasher _hasher = new(algorithm);
    private string? _value;

    public string Algorithm => algorithm;
    /// <summary>True when the client declared the value (so it was verified), false when the server only computes it.</summary>
    public bool Declared => expected is not null;
    /// <summary>The base64 checksum of the whole body; available once the body has been read to its end.</summary>
    public string Value => _value ?? throw new InvalidOperationException("the body has not been read to its end");

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(destination, ct);
        if (n > 0)
        {
            _hasher.Append(destination.Span[..n]);
            return n;
        }
        if (_value is null && destination.Length > 0) Finish();
        return 0;
    }

    private void Finish()
    {
        var actual = Convert.ToBase64String(_hasher.GetHashAndReset());
        if (expected is not null)
        {
            var declared = expected() ?? throw S3Errors.InvalidRequest($"The trailer {ChecksumAlgorithms.HeaderName(algorithm)} was announced but not sent.");
            if (declared != actual) throw BadDigest(algorithm);
        }
        _value = actual;
    }

    public static S3Exception BadDigest(string algorithm) =>
        new("BadDigest", 400, $"The {algorithm} you specified did not match the calculated checksum.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hasher.Dispose();
        base.Dispose(disposing);
    }
}
