using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xos.Server.Storage.Encryption.Sm4;

/// <summary>
/// GCM's GHASH with carry-less multiplication. Blocks are byte-reflected on load and the hash key is multiplied by x^-1
/// once, so that each product is reduced with two multiplications by the constant 0xc2 &lt;&lt; 56 (the method of the
/// Linux kernel's AES-GCM code). Many blocks are hashed against precomputed powers of H and reduced once: 8 per reduction
/// with 128-bit PCLMULQDQ, 16 per reduction (4 per register) with 512-bit VPCLMULQDQ.
/// </summary>
internal sealed unsafe class Ghash
{
    private const int Powers = 16;

    private static readonly Vector128<ulong> Poly = Vector128.Create(1UL, 0xC200000000000000UL);
    private static readonly Vector128<byte> Reflect = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

    public static bool IsSupported => Pclmulqdq.IsSupported && Ssse3.IsSupported;

    public static bool IsSupported512 => Pclmulqdq.V512.IsSupported && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>H^1 .. H^16, H^k at index k - 1.</summary>
    private readonly Vector128<ulong>[] _powers = new Vector128<ulong>[Powers];

    /// <summary>For 16 blocks at once: [H^16, H^15, H^14, H^13], [H^12 .. H^9], [H^8 .. H^5], [H^4 .. H^1], when VPCLMULQDQ is used.</summary>
    private readonly Vector512<ulong>[]? _powers512;

    public Ghash(ReadOnlySpan<byte> hashKey, bool wide)
    {
        // Reflect the bytes (a big-endian read), then multiply by x^-1: a left shift by one that folds the carry back.
        var h = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(hashKey);
        var carry = h >> 127 != 0;
        h <<= 1;
        if (carry) h ^= new UInt128(0xC200000000000000UL, 1);
        _powers[0] = Vector128.Create((ulong)h, (ulong)(h >> 64));
        for (var k = 1; k < Powers; k++) _powers[k] = Multiply(_powers[k - 1], _powers[0]);
        if (!wide) return;
        _powers512 = new Vector512<ulong>[4];
        for (var r = 0; r < 4; r++)
        {
            var top = Powers - 4 * r; // H^top is block 4r's power
            _powers512[r] = Vector512.Create(
                Vector256.Create(_powers[top - 1], _powers[top - 2]), Vector256.Create(_powers[top - 3], _powers[top - 4]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Swap(Vector128<ulong> x) => Sse2.Shuffle(x.AsUInt32(), 0x4E).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> mid, Vector128<ulong> hi)
    {
        mid ^= Pclmulqdq.CarrylessMultiply(Poly, lo, 0x01) ^ Swap(lo);
        return hi ^ Pclmulqdq.CarrylessMultiply(Poly, mid, 0x01) ^ Swap(mid);
    }

    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> b) => Reduce(
        Pclmulqdq.CarrylessMultiply(a, b, 0x00),
        Pclmulqdq.CarrylessMultiply(a, b, 0x01) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x10),
        Pclmulqdq.CarrylessMultiply(a, b, 0x11));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load(byte* block) => Ssse3.Shuffle(Vector128.Load(block), Reflect).AsUInt64();

    /// <summary>Hashes <paramref name="length"/> bytes into <paramref name="state"/>, the last block padded with zeros.</summary>
    public Vector128<ulong> Update(Vector128<ulong> state, byte* data, int length)
    {
        var blocks = length / 16;
        if (_powers512 is not null && blocks >= 16)
        {
            state = Update512(state, data, blocks / 16);
            data += blocks / 16 * 256;
            blocks %= 16;
        }
        state = Update128(state, data, blocks);
        var rest = length % 16;
        if (rest == 0) return state;
        var last = stackalloc byte[16];
        new Span<byte>(last, 16).Clear();
        new ReadOnlySpan<byte>(data + blocks * 16, rest).CopyTo(new Span<byte>(last, 16));
        return Update128(state, last, 1);
    }

    /// <summary>Hashes the closing block of lengths (in bits) of the associated data and the ciphertext.</summary>
    public Vector128<ulong> Finish(Vector128<ulong> state, long aadLength, long textLength) =>
        Multiply(state ^ Vector128.Create((ulong)textLength * 8, (ulong)aadLength * 8), _powers[0]);

    /// <summary>The 16-byte GHASH value of a state (reflected back).</summary>
    public static void Write(Vector128<ulong> state, byte* destination) => Ssse3.Shuffle(state.AsByte(), Reflect).Store(destination);

    private Vector128<ulong> Update128(Vector128<ulong> state, byte* data, int blocks)
    {
        while (blocks > 0)
        {
            var group = Math.Min(blocks, 8);
            Vector128<ulong> lo = default, mid = default, hi = default;
            for (var j = 0; j < group; j++)
            {
                var x = Load(data + 16 * j);
                if (j == 0) x ^= state;
                var h = _powers[group - 1 - j];
                lo ^= Pclmulqdq.CarrylessMultiply(x, h, 0x00);
                mid ^= Pclmulqdq.CarrylessMultiply(x, h, 0x01) ^ Pclmulqdq.CarrylessMultiply(x, h, 0x10);
                hi ^= Pclmulqdq.CarrylessMultiply(x, h, 0x11);
            }
            state = Reduce(lo, mid, hi);
            data += 16 * group;
            blocks -= group;
        }
        return state;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<ulong> Product(Vector512<ulong> x, int r, [System.Diagnostics.CodeAnalysis.ConstantExpected] byte which) => Pclmulqdq.V512.CarrylessMultiply(x, _powers512![r], which);

    private Vector128<ulong> Update512(Vector128<ulong> state, byte* data, int groups)
    {
        var reflect = Vector512.Create(Vector256.Create(Reflect, Reflect), Vector256.Create(Reflect, Reflect));
        var poly = Vector512.Create(Vector256.Create(Poly, Poly), Vector256.Create(Poly, Poly));
        for (var g = 0; g < groups; g++, data += 256)
        {
            var d0 = Avx512BW.Shuffle(Vector512.Load(data), reflect).AsUInt64() ^ state.ToVector256().ToVector512();
            var d1 = Avx512BW.Shuffle(Vector512.Load(data + 64), reflect).AsUInt64();
            var d2 = Avx512BW.Shuffle(Vector512.Load(data + 128), reflect).AsUInt64();
            var d3 = Avx512BW.Shuffle(Vector512.Load(data + 192), reflect).AsUInt64();
            var lo = Avx512F.TernaryLogic(Product(d0, 0, 0x00), Product(d1, 1, 0x00), Product(d2, 2, 0x00), 0x96) ^ Product(d3, 3, 0x00);
            var hi = Avx512F.TernaryLogic(Product(d0, 0, 0x11), Product(d1, 1, 0x11), Product(d2, 2, 0x11), 0x96) ^ Product(d3, 3, 0x11);
            var mid = Avx512F.TernaryLogic(Product(d0, 0, 0x01), Product(d0, 0, 0x10), Product(d1, 1, 0x01), 0x96);
            mid = Avx512F.TernaryLogic(mid, Product(d1, 1, 0x10), Product(d2, 2, 0x01), 0x96);
            mid = Avx512F.TernaryLogic(mid, Product(d2, 2, 0x10), Product(d3, 3, 0x01), 0x96) ^ Product(d3, 3, 0x10);
            // Reduce the four lanes at once (reduction is linear), then add them up.
            mid = Avx512F.TernaryLogic(mid, Pclmulqdq.V512.CarrylessMultiply(poly, lo, 0x01), Avx512F.Shuffle(lo.AsUInt32(), 0x4E).AsUInt64(), 0x96);
            var r = Avx512F.TernaryLogic(hi, Pclmulqdq.V512.CarrylessMultiply(poly, mid, 0x01), Avx512F.Shuffle(mid.AsUInt32(), 0x4E).AsUInt64(), 0x96);
            var half = r.GetLower() ^ r.GetUpper();
            state = half.GetLower() ^ half.GetUpper();
        }
        return state;
    }
}
