using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xos.Server.Storage.Encryption.Sm4;

/// <summary>
/// SM4 in counter mode on AVX2 with GFNI (CPUs without AVX-512): 16 counter blocks per call as two groups of 8, laid
/// out like <see cref="Sm4Ctr512"/>. Without VPROLD, L is computed as s ^ (s &lt;&lt;&lt; 24) ^ ((s ^ (s &lt;&lt;&lt; 8) ^ (s &lt;&lt;&lt; 16)) &lt;&lt;&lt; 2),
/// the byte rotations being byte shuffles.
/// </summary>
internal static unsafe class Sm4Ctr256
{
    public const int Blocks = 16;
    public const int Bytes = Blocks * 16;

    public static bool IsSupported => Avx2.IsSupported && Gfni.V256.IsSupported && Sm4Gfni.IsSupported;

    /// <summary>Lane 4k + m carries block 2m + k: after the transpose, output register m holds blocks 2m and 2m + 1.</summary>
    private static readonly Vector256<uint> LaneBlocks = Vector256.Create(0u, 2, 4, 6, 1, 3, 5, 7);

    private static readonly Vector256<byte> SwapWords = Vector256.Create(
        (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    private static readonly Vector256<byte> Rotate8 = Vector256.Create(
        (byte)3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
    private static readonly Vector256<byte> Rotate16 = Vector256.Create(
        (byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    private static readonly Vector256<byte> Rotate24 = Vector256.Create(
        (byte)1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);

    /// <summary>As <see cref="Sm4Ctr512.Xor"/>, for 16 blocks (256 bytes).</summary>
    public static void Xor(uint* rk, uint w0, uint w1, uint w2, uint counter, byte* source, byte* destination)
    {
        var pre = Vector256.Create(Sm4Gfni.PreMatrix).AsByte();
        var post = Vector256.Create(Sm4Gfni.PostMatrix).AsByte();
        Vector256<uint> a0 = Vector256.Create(w0), a1 = Vector256.Create(w1), a2 = Vector256.Create(w2);
        var a3 = Vector256.Create(counter) + LaneBlocks;
        Vector256<uint> b0 = a0, b1 = a1, b2 = a2, b3 = a3 + Vector256.Create(8u);
        for (var r = 0; r < 32; r += 4)
        {
            var k = Vector256.Create(rk[r]);
            a0 = Round(a0, a1, a2, a3, k, pre, post);
            b0 = Round(b0, b1, b2, b3, k, pre, post);
            k = Vector256.Create(rk[r + 1]);
            a1 = Round(a1, a2, a3, a0, k, pre, post);
            b1 = Round(b1, b2, b3, b0, k, pre, post);
            k = Vector256.Create(rk[r + 2]);
            a2 = Round(a2, a3, a0, a1, k, pre, post);
            b2 = Round(b2, b3, b0, b1, k, pre, post);
            k = Vector256.Create(rk[r + 3]);
            a3 = Round(a3, a0, a1, a2, k, pre, post);
            b3 = Round(b3, b0, b1, b2, k, pre, post);
        }
        Store(a3, a2, a1, a0, source, destination);
        Store(b3, b2, b1, b0, source == null ? null : source + 128, destination + 128);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Round(Vector256<uint> x0, Vector256<uint> x1, Vector256<uint> x2, Vector256<uint> x3,
        Vector256<uint> rk, Vector256<byte> pre, Vector256<byte> post)
    {
        var t = x1 ^ x2 ^ x3 ^ rk;
        var s = Gfni.V256.GaloisFieldAffineTransformInverse(
            Gfni.V256.GaloisFieldAffineTransform(t.AsByte(), pre, Sm4Gfni.PreConstant), post, Sm4Gfni.PostConstant);
        var u = (s ^ Avx2.Shuffle(s, Rotate8) ^ Avx2.Shuffle(s, Rotate16)).AsUInt32();
        var rotated = Avx2.ShiftLeftLogical(u, 2) | Avx2.ShiftRightLogical(u, 30);
        return x0 ^ s.AsUInt32() ^ Avx2.Shuffle(s, Rotate24).AsUInt32() ^ rotated;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, byte* source, byte* destination)
    {
        var t0 = Avx2.UnpackLow(a, b).AsUInt64();
        var t1 = Avx2.UnpackHigh(a, b).AsUInt64();
        var t2 = Avx2.UnpackLow(c, d).AsUInt64();
        var t3 = Avx2.UnpackHigh(c, d).AsUInt64();
        var o0 = Avx2.Shuffle(Avx2.UnpackLow(t0, t2).AsByte(), SwapWords);
        var o1 = Avx2.Shuffle(Avx2.UnpackHigh(t0, t2).AsByte(), SwapWords);
        var o2 = Avx2.Shuffle(Avx2.UnpackLow(t1, t3).AsByte(), SwapWords);
        var o3 = Avx2.Shuffle(Avx2.UnpackHigh(t1, t3).AsByte(), SwapWords);
        if (source != null)
        {
            o0 ^= Vector256.Load(source);
            o1 ^= Vector256.Load(source + 32);
            o2 ^= Vector256.Load(source + 64);
            o3 ^= Vector256.Load(source + 96);
        }
        o0.Store(destination);
        o1.Store(destination + 32);
        o2.Store(destination + 64);
        o3.Store(destination + 96);
    }
}
