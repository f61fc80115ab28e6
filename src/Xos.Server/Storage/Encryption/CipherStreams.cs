using System.Buffers;
using System.Security.Cryptography;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Encryption;

/// <summary>
/// Reads plaintext from <paramref name="plaintext"/> and yields the sealed chunks, computing the plaintext's MD5
/// (the object's ETag) on the way. One chunk is read ahead so the last chunk can be marked as last.
/// </summary>
public sealed class EncryptingStream(Stream plaintext, ChunkCipher cipher, uint streamNumber) : ReadOnlyStream
{
    private readonly byte[] _current = ArrayPool<byte>.Shared.Rent(ChunkCipher.ChunkSize);
    private readonly byte[] _next = ArrayPool<byte>.Shared.Rent(ChunkCipher.ChunkSize);
    private readonly byte[] _sealed = ArrayPool<byte>.Shared.Rent(ChunkCipher.SealedChunkSize);
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private int _nextLength;
    private bool _sourceDone;
    private bool _finished;
    private long _chunk;
    private int _sealedStart, _sealedEnd;

    public long PlaintextLength { get; private set; }

    /// <summary>The MD5 of the plaintext; available once the stream has been read to its end.</summary>
    public byte[] PlaintextMd5 { get; private set; } = [];

    private async Task<int> FillAsync(byte[] buffer, int start, CancellationToken ct)
    {
        var filled = start;
        while (filled < ChunkCipher.ChunkSize && !_sourceDone)
        {
            var n = await plaintext.ReadAsync(buffer.AsMemory(filled, ChunkCipher.ChunkSize - filled), ct);
            if (n == 0) _sourceDone = true;
            filled += n;
        }
        return filled;
    }

    private async Task<bool> SealNextChunkAsync(CancellationToken ct)
    {
        if (_finished) return false;
        // The chunk read ahead last time becomes the current chunk.
        Buffer.BlockCopy(_next, 0, _current, 0, _nextLength);
        var length = await FillAsync(_current, _nextLength, ct);
        _nextLength = 0;
        if (length == ChunkCipher.ChunkSize) _nextLength = await FillAsync(_next, 0, ct);
        var last = _nextLength == 0 && _sourceDone;
        _md5.AppendData(_current, 0, length);
        PlaintextLength += length;
        cipher.Seal(streamNumber, _chunk++, last, _current.AsSpan(0, length), _sealed);
        _sealedStart = 0;
        _sealedEnd = length + ChunkCipher.TagSize;
        if (last)
        {
            _finished = true;
            PlaintextMd5 = _md5.GetHashAndReset();
        }
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (_sealedStart == _sealedEnd && !await SealNextChunkAsync(ct)) return 0;
        var n = Math.Min(destination.Length, _sealedEnd - _sealedStart);
        _sealed.AsSpan(_sealedStart, n).CopyTo(destination.Span);
        _sealedStart += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ArrayPool<byte>.Shared.Return(_current);
            ArrayPool<byte>.Shared.Return(_next);
            ArrayPool<byte>.Shared.Return(_sealed);
            _md5.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>One encrypted piece of an object: an open blob, its plaintext size and the nonce stream it was sealed with.</summary>
public readonly record struct EncryptedSegment(Stream Blob, long PlaintextSize, uint StreamNumber);

/// <summary>
/// Yields plaintext bytes [offset, offset + length) of an object stored as encrypted segments, reading and opening
/// only the chunks that range touches. Altered data fails with <see cref="CryptographicException"/>.
/// </summary>
public sealed class DecryptingStream : ReadOnlyStream
{
    private readonly IReadOnlyList<EncryptedSegment> _segments;
    private readonly ChunkCipher _cipher;
    private readonly byte[] _sealed = ArrayPool<byte>.Shared.Rent(ChunkCipher.SealedChunkSize);
    private readonly byte[] _plain = ArrayPool<byte>.Shared.Rent(ChunkCipher.ChunkSize);
    private long _remaining;
    private int _segment;
    private long _segmentOffset; // plaintext position inside the current segment
    private int _plainStart, _plainEnd;

    public DecryptingStream(IReadOnlyList<EncryptedSegment> segments, ChunkCipher cipher, long offset, long length)
    {
        _segments = segments;
        _cipher = cipher;
        _remaining = length;
        while (_segment < segments.Count && offset >= segments[_segment].PlaintextSize)
        {
            offset -= segments[_segment].PlaintextSize;
            _segment++;
        }
        _segmentOffset = offset;
    }

    private async Task<bool> OpenNextChunkAsync(CancellationToken ct)
    {
        while (_segment < _segments.Count && _segmentOffset >= _segments[_segment].PlaintextSize)
        {
            _segment++;
            _segmentOffset = 0;
        }
        if (_segment >= _segments.Count) return false;
        var s = _segments[_segment];
        var chunk = _segmentOffset / ChunkCipher.ChunkSize;
        var chunkStart = chunk * ChunkCipher.ChunkSize;
        var plainLength = (int)Math.Min(ChunkCipher.ChunkSize, s.PlaintextSize - chunkStart);
        var lastChunk = Math.Max(0, (s.PlaintextSize + ChunkCipher.ChunkSize - 1) / ChunkCipher.ChunkSize - 1);
        s.Blob.Seek(chunk * ChunkCipher.SealedChunkSize, SeekOrigin.Begin);
        var want = plainLength + ChunkCipher.TagSize;
        var read = 0;
        while (read < want)
        {
            var n = await s.Blob.ReadAsync(_sealed.AsMemory(read, want - read), ct);
            if (n == 0) throw new CryptographicException("encrypted blob is shorter than its metadata says");
            read += n;
        }
        _cipher.Open(s.StreamNumber, chunk, chunk == lastChunk, _sealed.AsSpan(0, want), _plain);
        _plainStart = (int)(_segmentOffset - chunkStart);
        _plainEnd = plainLength;
        _segmentOffset = chunkStart + plainLength;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (_remaining == 0) return 0;
        if (_plainStart == _plainEnd && !await OpenNextChunkAsync(ct)) return 0;
        var n = (int)Math.Min(Math.Min(destination.Length, _plainEnd - _plainStart), _remaining);
        _plain.AsSpan(_plainStart, n).CopyTo(destination.Span);
        _plainStart += n;
        _remaining -= n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ArrayPool<byte>.Shared.Return(_sealed);
            ArrayPool<byte>.Shared.Return(_plain);
            foreach (var s in _segments) s.Blob.Dispose();
        }
        base.Dispose(disposing);
    }
}
