using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Xos.Server.Hosting;

/// <summary>
/// The memory Kestrel's connections read and write through, in 64 KiB blocks instead of its default 4 KiB: a socket
/// read fills at most one block, so an upload arrived in 4 KiB reads (a system call each, 16,000 for 64 MiB), which
/// capped PUTs at a third of the disk's speed on this machine. Idle connections hold no block (Kestrel waits for data
/// before it asks for one), and at most <see cref="MaxRetained"/> free blocks are kept.
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;
    private const int MaxRetained = 1024;
    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize) return Shared.Rent(minBufferSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Lease();
            return block;
        }
        var fresh = new Block(this);
        fresh.Lease();
        return fresh;
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _freeCount) > MaxRetained)
        {
            Interlocked.Decrement(ref _freeCount);
            return;
        }
        _free.Enqueue(block);
    }

    protected override void Dispose(bool disposing) => _free.Clear();

    private sealed class Block(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private int _leased;
        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public void Lease() => Volatile.Write(ref _leased, 1);

        /// <summary>Only the first Dispose gives the block back: a second must not hand it to two renters.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1) pool.Return(this);
        }
    }
}
