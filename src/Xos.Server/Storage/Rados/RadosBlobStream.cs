using System.Buffers;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// A committed blob read from its stripes, seekable, so a ranged GET reads only the stripes its range touches. The first
/// reads go straight into the caller's buffer (a short range reads no more than it asked for); once reading is
/// sequential, the next chunk (up to 1 MiB, never across a stripe) is fetched while the caller sends the current one.
/// Opened by <see cref="RadosBlobStore.OpenReadAsync"/>, it usually starts with its first chunk already fetched.
/// </summary>
internal sealed class RadosBlobStream(RadosPool pool, string id, long size, int stripeSize, Func<Exception, Exception> translate) : ReadOnlyStream
{
    private long _position;
    private int _sequentialReads;
    // The chunk fetched ahead: its buffer, where it starts, and the read filling it.
    private byte[]? _ahead;
    private long _aheadStart = -1;
    private Task<int>? _aheadRead;
    // What is left of a fetched chunk the caller has not taken yet.
    private byte[]? _ready;
    private long _readyStart;
    private int _readyLength;

    public override bool CanSeek => true;
    public override long Length => size;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => size + offset,
        };
        if (target < 0) throw new IOException("cannot seek before the start of the blob");
        if (target != _position) _sequentialReads = 0;
        _position = target;
        return target;
    }

    /// <summary>
    /// Hands over the chunk <see cref="RadosBlobStore.OpenReadAsync"/> fetched with the layout check (<paramref name="buffer"/>,
    /// now the stream's, holding <paramref name="length"/> bytes from <paramref name="at"/>), and when the caller wants more
    /// (up to <paramref name="wantedEnd"/>) fetches the next chunk while it sends this one.
    /// </summary>
    internal void Prefetched(byte[] buffer, long at, int length, long wantedEnd)
    {
        _ready = buffer;
        _readyStart = at;
        _readyLength = length;
        _position = at;
        _sequentialReads = 1;
        if (at + length < wantedEnd && length > 0) StartReadAhead(at + length);
    }

    /// <summary>How much of the body one read at <paramref name="at"/> may take: up to <paramref name="most"/>, within one stripe.</summary>
    private int ChunkAt(long at, int most) => (int)Math.Min(Math.Min(most, stripeSize - at % stripeSize), size - at);

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (_position >= size || destination.Length == 0) return 0;
        try
        {
            if (_ready is not null && _position >= _readyStart && _position < _readyStart + _readyLength) return TakeReady(destination);
            if (_aheadRead is not null && _aheadStart == _position)
            {
                var got = await _aheadRead;
                (_ready, _ahead) = (_ahead, _ready);
                _readyStart = _aheadStart;
                _readyLength = got;
                _aheadRead = null;
                if (got == 0) throw new IOException($"blob {id} ends before its recorded size");
                StartReadAhead(_readyStart + got);
                return TakeReady(destination);
            }
            await AbandonReadAheadAsync();
            var want = ChunkAt(_position, destination.Length);
            var n = await pool.ReadAsync(RadosBlobStore.StripeName(id, _position / stripeSize), destination[..want], _position % stripeSize);
            if (n == 0) throw new IOException($"blob {id} ends before its recorded size");
            _position += n;
            if (++_sequentialReads >= 2) StartReadAhead(_position);
            return n;
        }
        catch (RadosException e)
        {
            throw translate(e);
        }
    }

    private int TakeReady(Memory<byte> destination)
    {
        var from = (int)(_position - _readyStart);
        var n = Math.Min(destination.Length, _readyLength - from);
        _ready.AsSpan(from, n).CopyTo(destination.Span);
        _position += n;
        return n;
    }

    private void StartReadAhead(long at)
    {
        if (at >= size) return;
        _ahead ??= ArrayPool<byte>.Shared.Rent(RadosStripeWriter.ChunkSize);
        _aheadStart = at;
        _aheadRead = pool.ReadAsync(RadosBlobStore.StripeName(id, at / stripeSize), _ahead.AsMemory(0, ChunkAt(at, RadosStripeWriter.ChunkSize)), at % stripeSize);
    }

    /// <summary>Waits out a fetch that is no longer wanted: librados writes into its buffer until it completes.</summary>
    private async Task AbandonReadAheadAsync()
    {
        if (_aheadRead is { } pending)
        {
            _aheadRead = null;
            try { await pending; }
            catch (Exception) { }
        }
        _readyLength = 0;
    }

    public override async ValueTask DisposeAsync()
    {
        await AbandonReadAheadAsync();
        ReturnBuffers();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            AbandonReadAheadAsync().GetAwaiter().GetResult();
            ReturnBuffers();
        }
        base.Dispose(disposing);
    }

    private void ReturnBuffers()
    {
        if (_ahead is not null) ArrayPool<byte>.Shared.Return(_ahead);
        if (_ready is not null) ArrayPool<byte>.Shared.Return(_ready);
        _ahead = _ready = null;
    }

    public override void Flush() { }
}
