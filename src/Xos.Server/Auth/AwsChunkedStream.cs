using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>Verifies the chained chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies.</summary>
public sealed class ChunkSignatureChain(byte[] signingKey, string amzDate, string scope, string seedSignature)
{
    private string _previous = seedSignature;

    public void Verify(string chunkDataSha256Hex, string provided)
    {
        var toSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{amzDate}\n{scope}\n{_previous}\n{SigV4.EmptyPayloadHash}\n{chunkDataSha256Hex}";
        Check(toSign, provided);
    }

    public void VerifyTrailer(string trailerText, string provided) =>
        Check($"AWS4-HMAC-SHA256-TRAILER\n{amzDate}\n{scope}\n{_previous}\n{SigV4.Sha256Hex(trailerText)}", provided);

    private void Check(string toSign, string provided)
    {
        var expected = SigV4.Sign(signingKey, toSign);
        if (!SigV4.SignaturesEqual(expected, provided)) throw RequestAuthenticator.SignatureDoesNotMatch();
        _previous = expected;
    }
}

/// <summary>
/// Decodes an aws-chunked request body ("size;chunk-signature=...\r\n data \r\n ... 0\r\n trailers \r\n\r\n") as it streams,
/// verifying each chunk's signature when signed and collecting its trailers (a checksum trailer is verified by the
/// ChecksumStream reading from this one). A bad chunk fails the read that reaches its end, so the consumer never sees the
/// end of a body that did not verify.
/// </summary>
public sealed class AwsChunkedStream : ReadOnlyStream
{
    private const int BufferSize = 64 * 1024;
    private const int MaxLine = 4096;
    private readonly Stream _inner;
    private readonly ChunkSignatureChain? _signatures;
    private readonly string? _trailerChecksum;
    private readonly long? _expectedLength;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start, _end;
    private long _chunkRemaining;
    private long _total;
    private string? _chunkSignature;
    private IncrementalHash? _chunkHash;
    private readonly Dictionary<string, string> _trailers = new(StringComparer.OrdinalIgnoreCase);
    private State _state = State.Header;

    private enum State { Header, Data, DataEnd, Done }

    /// <param name="trailerChecksum">The x-amz-trailer value (e.g. x-amz-checksum-crc32) when the body ends with a checksum trailer.</param>
    public AwsChunkedStream(Stream inner, ChunkSignatureChain? signatures, string? trailerChecksum, long? expectedLength)
    {
        _inner = inner;
        _signatures = signatures;
        _trailerChecksum = trailerChecksum?.Trim().ToLowerInvariant();
        _expectedLength = expectedLength;
        if (signatures is not null) _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    /// <summary>The trailers that followed the last chunk (names lower-case), complete once the body has been read to its end.</summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers;

    private static S3Exception Malformed() => new("IncompleteBody", 400, "The request body is not a valid aws-chunked encoding.");

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Done:
                    return 0;
                case State.Header:
                    await ReadChunkHeaderAsync(ct);
                    continue;
                case State.DataEnd:
                    if ((await ReadLineAsync(ct)).Length != 0) throw Malformed();
                    if (_signatures is not null) _signatures.Verify(Convert.ToHexStringLower(_chunkHash!.GetHashAndReset()), _chunkSignature!);
                    _state = State.Header;
                    continue;
                case State.Data:
                    if (destination.Length == 0) return 0;
                    var want = (int)Math.Min(destination.Length, _chunkRemaining);
                    int n;
                    if (_end > _start)
                    {
                        n = Math.Min(want, _end - _start);
                        _buffer.AsSpan(_start, n).CopyTo(destination.Span);
                        _start += n;
                    }
                    else
                    {
                        n = await _inner.ReadAsync(destination[..want], ct);
                        if (n == 0) throw S3Errors.IncompleteBody();
                    }
                    var data = destination.Span[..n];
                    _chunkHash?.AppendData(data);
                    _chunkRemaining -= n;
                    _total += n;
                    if (_chunkRemaining == 0) _state = State.DataEnd;
                    return n;
            }
        }
    }

    private async Task ReadChunkHeaderAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct);
        var semi = line.IndexOf(';');
        var sizeText = semi < 0 ? line : line[..semi];
        if (!long.TryParse(sizeText.Trim(), System.Globalization.NumberStyles.HexNumber, null, out var size) || size < 0) throw Malformed();
        _chunkSignature = null;
        if (semi >= 0)
        {
            var ext = line[(semi + 1)..];
            const string prefix = "chunk-signature=";
            if (ext.StartsWith(prefix, StringComparison.Ordinal)) _chunkSignature = ext[prefix.Length..].Trim();
        }
        if (_signatures is not null && _chunkSignature is null) throw RequestAuthenticator.SignatureDoesNotMatch();
        if (size > 0)
        {
            _chunkRemaining = size;
            _state = State.Data;
            return;
        }
        if (_signatures is not null) _signatures.Verify(SigV4.EmptyPayloadHash, _chunkSignature!);
        await ReadTrailersAsync(ct);
        if (_expectedLength is { } expected && expected != _total) throw S3Errors.IncompleteBody();
        _state = State.Done;
    }

    private async Task ReadTrailersAsync(CancellationToken ct)
    {
        var trailers = new List<(string Name, string Value)>();
        string? trailerSignature = null;
        while (true)
        {
            string line;
            try
            {
                line = await ReadLineAsync(ct);
            }
            catch (S3Exception) when (trailers.Count == 0 && _trailerChecksum is null)
            {
                return; // some clients end the body right after the last chunk's CRLF
            }
            if (line.Length == 0) break;
            var colon = line.IndexOf(':');
            if (colon <= 0) throw Malformed();
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature") trailerSignature = value;
            else trailers.Add((name, value));
        }
        if (_signatures is not null && trailers.Count > 0)
        {
            if (trailerSignature is null) throw RequestAuthenticator.SignatureDoesNotMatch();
            _signatures.VerifyTrailer(string.Concat(trailers.Select(t => $"{t.Name}:{t.Value}\n")), trailerSignature);
        }
        foreach (var (name, value) in trailers) _trailers[name] = value;
        if (_trailerChecksum is not null && !_trailers.ContainsKey(_trailerChecksum))
            throw S3Errors.InvalidRequest($"The trailer {_trailerChecksum} was announced but not sent.");
    }

    /// <summary>Reads one CRLF-terminated line (without the CRLF) from the buffered input.</summary>
    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var crlf = span.IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                var line = Encoding.ASCII.GetString(span[..crlf]);
                _start += crlf + 2;
                return line;
            }
            if (_end - _start > MaxLine) throw Malformed();
            if (_start > 0)
            {
                span.CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            var n = await _inner.ReadAsync(_buffer.AsMemory(_end, BufferSize - _end), ct);
            if (n == 0) throw S3Errors.IncompleteBody();
            _end += n;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _chunkHash?.Dispose();
        }
        base.Dispose(disposing);
    }
}
