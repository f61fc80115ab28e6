using System.Buffers;
using System.Text;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// Writes one body as RADOS objects of <see cref="RadosBlobStore.StripeSize"/> bytes (stripe 0 is named by the blob id,
/// stripe N by <c>ID.N</c>) in chunks of 1 MiB, several in flight at once. Stripe 0 is acknowledged before any other is
/// sent, so every stripe a crash leaves behind has a head the orphan sweep finds. The body is committed by the layout
/// attribute on the head (<c>xos.layout</c> = size and stripe size), set only once every chunk is durable (for a body of
/// one stripe, in the same operation as its last chunk, which the OSD applies after the others); a head without it is a
/// write that never finished. Every write is at the end of what its object already holds, at a multiple of 1 MiB, so
/// erasure-coded pools without allow_ec_overwrites take them (they take only such appends).
/// </summary>
internal sealed class RadosStripeWriter(RadosPool pool, string id) : IAsyncDisposable
{
    public const int ChunkSize = 1 << 20;
    public const int ChunksInFlight = 4;
    private readonly byte[]?[] _buffers = new byte[ChunksInFlight][];
    private readonly Task[] _writes = [Task.CompletedTask, Task.CompletedTask, Task.CompletedTask, Task.CompletedTask];
    private int _current;
    private long _written;
    private bool _headDurable;

    /// <summary>The highest stripe a write was sent to: what to remove when the body is abandoned.</summary>
    public long HighestStripe { get; private set; } = -1;

    /// <summary>The buffer to fill next (1 MiB); the write that last used it has finished.</summary>
    public async Task<Memory<byte>> NextBufferAsync()
    {
        await _writes[_current];
        return _buffers[_current] ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
    }

    /// <summary>Sends the first <paramref name="count"/> bytes of the current buffer, a whole chunk, without waiting for it.</summary>
    public async Task WriteAsync(int count)
    {
        var stripe = _written / RadosBlobStore.StripeSize;
        if (stripe > 0 && !_headDurable)
        {
            await Task.WhenAll(_writes);
            _headDurable = true;
        }
        HighestStripe = Math.Max(HighestStripe, stripe);
        var data = _buffers[_current].AsMemory(0, count);
        _writes[_current] = pool.WriteAsync(RadosBlobStore.StripeName(id, stripe), data, _written % RadosBlobStore.StripeSize);
        _written += count;
        _current = (_current + 1) % ChunksInFlight;
    }

    /// <summary>
    /// Writes the last <paramref name="count"/> bytes (of the current buffer) and commits the body of <paramref name="size"/>
    /// bytes; a body that fits one chunk goes in one atomic operation with its layout.
    /// </summary>
    public async Task FinishAsync(int count, long size)
    {
        var layout = Layout(size);
        if (_written == 0)
        {
            HighestStripe = 0;
            var data = count == 0 ? ReadOnlyMemory<byte>.Empty : _buffers[_current].AsMemory(0, count);
            await pool.WriteFullWithXattrAsync(id, data, RadosBlobStore.LayoutAttribute, layout);
            return;
        }
        if (count > 0 && size <= RadosBlobStore.StripeSize)
        {
            // The last chunk of a body in one stripe carries the layout: the OSD applies one client's operations on an
            // object in order, so the layout lands after every chunk before it, in the same round trip as the last.
            var last = pool.WriteWithXattrAsync(id, _buffers[_current].AsMemory(0, count), _written, RadosBlobStore.LayoutAttribute, layout);
            _writes[_current] = last;
            _written += count;
            await Task.WhenAll(_writes);
            return;
        }
        if (count > 0) await WriteAsync(count);
        await Task.WhenAll(_writes);
        await pool.SetXattrAsync(id, RadosBlobStore.LayoutAttribute, layout);
    }

    public static byte[] Layout(long size) => Encoding.ASCII.GetBytes($"{size} {RadosBlobStore.StripeSize}");

    public async ValueTask DisposeAsync()
    {
        // The buffers go back to the pool only once librados is done with them, also after a failure.
        foreach (var write in _writes)
        {
            try { await write; }
            catch (Exception) { }
        }
        foreach (var b in _buffers)
            if (b is not null) ArrayPool<byte>.Shared.Return(b);
    }
}
