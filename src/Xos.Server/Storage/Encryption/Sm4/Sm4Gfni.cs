using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xos.Server.Storage.Encryption.Sm4;

/// <summary>
/// The pieces of SM4 (GB/T 32907) shared by the vector kernels: its S-box as two GFNI instructions, and the key schedule.
/// SM4's S-box is an affine map, an inversion in GF(2^8) and another affine map (eprint 2022/1154, section 3.3); the first
/// map also changes the field representation to the AES one that GF2P8AFFINEINVQB inverts in, so one
/// GaloisFieldAffineTransform and one GaloisFieldAffineTransformInverse give all 16, 32 or 64 S-box lookups of a vector.
/// </summary>
internal static class Sm4Gfni
{
    // Rows of the 8x8 bit matrices, first row in the most significant byte; bit c of a row multiplies input bit c.
    public const ulong PreMatrix = 0x4C287DB91A22505D;
    public const byte PreConstant = 0x3E;
    public const ulong PostMatrix = 0xF3AB34A974A6B589;
    public const byte PostConstant = 0xD3;

    private static readonly uint[] Fk = [0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC];

    /// <summary>Whether this CPU has what the 128-bit S-box (used by the key schedule) needs.</summary>
    public static bool IsSupported => Gfni.IsSupported && Ssse3.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SBoxes(uint word)
    {
        var x = Vector128.CreateScalar(word).AsByte();
        x = Gfni.GaloisFieldAffineTransform(x, Vector128.Create(PreMatrix).AsByte(), PreConstant);
        x = Gfni.GaloisFieldAffineTransformInverse(x, Vector128.Create(PostMatrix).AsByte(), PostConstant);
        return x.AsUInt32().ToScalar();
    }

    /// <summary>The 32 round keys of a 16-byte key (encryption order; CTR and GCM never decrypt a block).</summary>
    public static uint[] ExpandKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != 16) throw new ArgumentException("an SM4 key is 16 bytes", nameof(key));
        Span<uint> k = stackalloc uint[36];
        for (var i = 0; i < 4; i++) k[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(key[(4 * i)..]) ^ Fk[i];
        var rk = new uint[32];
        for (var i = 0; i < 32; i++)
        {
            // CK_i: byte j is (4i + j) * 7 mod 256.
            uint ck = 0;
            for (var j = 0; j < 4; j++) ck = (ck << 8) | (byte)((4 * i + j) * 7);
            var b = SBoxes(k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ ck);
            k[i + 4] = k[i] ^ b ^ uint.RotateLeft(b, 13) ^ uint.RotateLeft(b, 23);
            rk[i] = k[i + 4];
        }
        return rk;
    }
}
