using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Xos.Server.Storage.Files;

/// <summary>
/// Buffers of native memory aligned to 4 KiB, as O_DIRECT writes need them, kept in a small pool: a PUT takes its few buffers
/// and gives them back, so no request allocates in proportion to its body.
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    public const int Alignment = 4096;
    private const int PoolLimit = 64;
    private static readonly ConcurrentBag<AlignedBuffer> Pool = [];
    private static int _pooled;

    private readonly byte* _pointer;

    private AlignedBuffer(int length)
    {
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, Alignment);
    }

    public int Length { get; }

    public static AlignedBuffer Rent(int length)
    {
        while (Pool.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref _pooled);
            if (buffer.Length == length) return buffer;
            buffer.Free();
        }
        return new AlignedBuffer(length);
    }

    public static void Return(AlignedBuffer buffer)
    {
        if (Interlocked.Increment(ref _pooled) <= PoolLimit)
        {
            Pool.Add(buffer);
            return;
        }
        Interlocked.Decrement(ref _pooled);
        buffer.Free();
    }

    private void Free() => NativeMemory.AlignedFree(_pointer);

    public static long RoundUp(long count) => (count + Alignment - 1) & ~(long)(Alignment - 1);

    public override Span<byte> GetSpan() => new(_pointer, Length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin() { }

    // Freed through Return only: a pooled buffer outlives the requests that used it.
    protected override void Dispose(bool disposing) { }
}
