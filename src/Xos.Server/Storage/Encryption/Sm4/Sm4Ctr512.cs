using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xos.Server.Storage.Encryption.Sm4;

/// <summary>
/// SM4 in counter mode on AVX-512 with GFNI: 32 counter blocks per call, as two independent groups of 16 so the CPU
/// always has work while one group waits on its S-boxes. A register holds one of the four state words of 16 blocks
/// (the counter blocks are built directly in that layout: three words of nonce, one word of counter), so a round is a
/// handful of whole-register instructions, and only the output is transposed back to blocks.
/// </summary>
internal static unsafe class Sm4Ctr512
{
    public const int Blocks = 32;
    public const int Bytes = Blocks * 16;

    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && Gfni.V512.IsSupported && Sm4Gfni.IsSupported;

    /// <summary>
    /// Counter block of each lane: lane 4k + m carries block 4m + k, so that after the 4x4 transpose at the end the
    /// 128-bit lanes of output register m are blocks 4m .. 4m + 3 in order.
    /// </summary>
    private static readonly Vector512<uint> LaneBlocks = Vector512.Create(0u, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

    private static readonly Vector512<byte> SwapWords = Vector512.Create(
        (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);

    /// <summary>
    /// XORs the keystream of the counter blocks (w0, w1, w2, counter + i), i = 0..31, into 512 bytes of
    /// <paramref name="source"/> and writes them to <paramref name="destination"/>; with a null source, writes the keystream.
    /// </summary>
    public static void Xor(uint* rk, uint w0, uint w1, uint w2, uint counter, byte* source, byte* destination)
    {
        var pre = Vector512.Create(Sm4Gfni.PreMatrix).AsByte();
        var post = Vector512.Create(Sm4Gfni.PostMatrix).AsByte();
        Vector512<uint> a0 = Vector512.Create(w0), a1 = Vector512.Create(w1), a2 = Vector512.Create(w2);
        var a3 = Vector512.Create(counter) + LaneBlocks;
        Vector512<uint> b0 = a0, b1 = a1, b2 = a2, b3 = a3 + Vector512.Create(16u);
        for (var r = 0; r < 32; r += 4)
        {
            var k = Vector512.Create(rk[r]);
            a0 = Round(a0, a1, a2, a3, k, pre, post);
            b0 = Round(b0, b1, b2, b3, k, pre, post);
            k = Vector512.Create(rk[r + 1]);
            a1 = Round(a1, a2, a3, a0, k, pre, post);
            b1 = Round(b1, b2, b3, b0, k, pre, post);
            k = Vector512.Create(rk[r + 2]);
            a2 = Round(a2, a3, a0, a1, k, pre, post);
            b2 = Round(b2, b3, b0, b1, k, pre, post);
            k = Vector512.Create(rk[r + 3]);
            a3 = Round(a3, a0, a1, a2, k, pre, post);
            b3 = Round(b3, b0, b1, b2, k, pre, post);
        }
        // The output block is (X35, X34, X33, X32).
        Store(a3, a2, a1, a0, source, destination);
        Store(b3, b2, b1, b0, source == null ? null : source + 256, destination + 256);
    }

    /// <summary>One round: x0 ^ L(S(x1 ^ x2 ^ x3 ^ rk)), L(s) = s ^ (s &lt;&lt;&lt; 2) ^ (s &lt;&lt;&lt; 10) ^ (s &lt;&lt;&lt; 18) ^ (s &lt;&lt;&lt; 24).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Round(Vector512<uint> x0, Vector512<uint> x1, Vector512<uint> x2, Vector512<uint> x3,
        Vector512<uint> rk, Vector512<byte> pre, Vector512<byte> post)
    {
        var t = Avx512F.TernaryLogic(x1, x2, x3, 0x96) ^ rk;
        var s = Gfni.V512.GaloisFieldAffineTransformInverse(
            Gfni.V512.GaloisFieldAffineTransform(t.AsByte(), pre, Sm4Gfni.PreConstant), post, Sm4Gfni.PostConstant).AsUInt32();
        var l = Avx512F.TernaryLogic(x0, s, Avx512F.RotateLeft(s, 2), 0x96);
        return Avx512F.TernaryLogic(l, Avx512F.RotateLeft(s, 10), Avx512F.RotateLeft(s, 18), 0x96) ^ Avx512F.RotateLeft(s, 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, byte* source, byte* destination)
    {
        var t0 = Avx512F.UnpackLow(a, b).AsUInt64();
        var t1 = Avx512F.UnpackHigh(a, b).AsUInt64();
        var t2 = Avx512F.UnpackLow(c, d).AsUInt64();
        var t3 = Avx512F.UnpackHigh(c, d).AsUInt64();
        var o0 = Avx512BW.Shuffle(Avx512F.UnpackLow(t0, t2).AsByte(), SwapWords);
        var o1 = Avx512BW.Shuffle(Avx512F.UnpackHigh(t0, t2).AsByte(), SwapWords);
        var o2 = Avx512BW.Shuffle(Avx512F.UnpackLow(t1, t3).AsByte(), SwapWords);
        var o3 = Avx512BW.Shuffle(Avx512F.UnpackHigh(t1, t3).AsByte(), SwapWords);
        if (source != null)
        {
            o0 ^= Vector512.Load(source);
            o1 ^= Vector512.Load(source + 64);
            o2 ^= Vector512.Load(source + 128);
            o3 ^= Vector512.Load(source + 192);
        }
        o0.Store(destination);
        o1.Store(destination + 64);
        o2.Store(destination + 128);
        o3.Store(destination + 192);
    }
}
