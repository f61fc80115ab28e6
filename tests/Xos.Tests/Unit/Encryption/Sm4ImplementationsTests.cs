using System.Security.Cryptography;
using Xos.Server.Storage.Encryption;
using Xos.Server.Storage.Encryption.Sm4;

namespace Xos.Tests.Unit.Encryption;

/// <summary>
/// The four SM4-GCM implementations (GFNI on AVX-512, GFNI on AVX2, libgcrypt, BouncyCastle) against the standard
/// vectors and against each other, byte for byte, on random keys, nonces, associated data and lengths.
/// </summary>
public sealed class Sm4ImplementationsTests
{
    private static readonly byte[] GbtKey = Convert.FromHexString("0123456789abcdeffedcba9876543210");

    private static readonly Sm4Implementation[] All = Enum.GetValues<Sm4Implementation>();

    /// <summary>The implementations this machine runs; on this project's CI machine (GFNI, AVX-512, libgcrypt 1.10) all four.</summary>
    private static List<(Sm4Implementation Kind, ISm4Gcm Gcm)> Available(byte[] key)
    {
        var list = All.Where(Sm4Gcm.IsAvailable).Select(k => (Kind: k, Gcm: Sm4Gcm.Create(k, key)!)).ToList();
        if (File.Exists("/usr/lib/x86_64-linux-gnu/libgcrypt.so.20")) Assert.Contains(list, i => i.Kind == Sm4Implementation.Libgcrypt);
        if (System.Runtime.Intrinsics.X86.Gfni.V512.IsSupported && System.Runtime.Intrinsics.X86.Pclmulqdq.V512.IsSupported)
            Assert.Contains(list, i => i.Kind == Sm4Implementation.Gfni512);
        if (System.Runtime.Intrinsics.X86.Gfni.V256.IsSupported) Assert.Contains(list, i => i.Kind == Sm4Implementation.Gfni256);
        return list;
    }

    private static IEnumerable<GfniSm4Gcm> GfniKernels(byte[] key)
    {
        if (Sm4Gcm.IsAvailable(Sm4Implementation.Gfni512)) yield return new GfniSm4Gcm(key, wide: true);
        if (Sm4Gcm.IsAvailable(Sm4Implementation.Gfni256)) yield return new GfniSm4Gcm(key, wide: false);
    }

    [Fact]
    public void GfniKernelsMatchTheGbT32907Vectors()
    {
        var kernels = GfniKernels(GbtKey).ToList();
        Assert.True(kernels.Count > 0 || !System.Runtime.Intrinsics.X86.Gfni.IsSupported);
        foreach (var kernel in kernels)
        {
            var block = new byte[16];
            kernel.EncryptBlock(GbtKey, block);
            Assert.Equal("681edf34d206965e86b3e94f536e4246", Convert.ToHexStringLower(block));
            block = (byte[])GbtKey.Clone();
            for (var i = 0; i < 1_000_000; i++) kernel.EncryptBlock(block, block);
            Assert.Equal("595298c7c6fd271f0402f804c33d3f66", Convert.ToHexStringLower(block));
        }
    }

    /// <summary>The counter is the block's last word and wraps modulo 2^32 (GCM's inc32): each kernel, across the wrap, against BouncyCastle's SM4 on the same counter blocks.</summary>
    [Fact]
    public unsafe void KernelCountersWrapAsInc32AndEveryLaneIsItsOwnBlock()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        var rk = Sm4Gfni.ExpandKey(key);
        var engine = new Org.BouncyCastle.Crypto.Engines.SM4Engine();
        engine.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key));
        var kernels = new List<(string Name, int Blocks, Action<uint, IntPtr> Run)>();
        if (Sm4Ctr512.IsSupported) kernels.Add(("512", Sm4Ctr512.Blocks, (c, d) => { fixed (uint* r = rk) Sm4Ctr512.Xor(r, 0x01020304, 0x05060708, 0x090A0B0C, c, null, (byte*)d); }));
        if (Sm4Ctr256.IsSupported) kernels.Add(("256", Sm4Ctr256.Blocks, (c, d) => { fixed (uint* r = rk) Sm4Ctr256.Xor(r, 0x01020304, 0x05060708, 0x090A0B0C, c, null, (byte*)d); }));
        foreach (var (name, blocks, run) in kernels)
        {
            var keystream = new byte[blocks * 16];
            var start = uint.MaxValue - (uint)blocks / 2;
            fixed (byte* k = keystream) run(start, (IntPtr)k);
            var counterBlock = Convert.FromHexString("0102030405060708090A0B0C00000000");
            var expected = new byte[16];
            for (var i = 0; i < blocks; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(counterBlock.AsSpan(12), unchecked(start + (uint)i));
                engine.ProcessBlock(counterBlock, 0, expected, 0);
                Assert.True(expected.AsSpan().SequenceEqual(keystream.AsSpan(16 * i, 16)), $"kernel {name}, block {i} (counter {unchecked(start + (uint)i):x8})");
            }
        }
    }

    [Fact]
    public void EveryImplementationMatchesTheRfc8998VectorAndRejectsTampering()
    {
        // RFC 8998, appendix A.1 (SM4-GCM).
        var key = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");
        var iv = Convert.FromHexString("00001234567800000000ABCD");
        var aad = Convert.FromHexString("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        var plaintext = Convert.FromHexString(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        const string expected =
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D" +
            "83DE3541E4C2B58177E065A9BF7B62EC";
        foreach (var (kind, gcm) in Available(key))
        {
            using var _ = gcm;
            var sealedChunk = new byte[plaintext.Length + 16];
            gcm.Seal(iv, aad, plaintext, sealedChunk);
            Assert.Equal($"{kind}:{expected}", $"{kind}:{Convert.ToHexString(sealedChunk)}");
            var opened = new byte[plaintext.Length];
            gcm.Open(iv, aad, sealedChunk, opened);
            Assert.Equal(plaintext, opened);
        }
    }

    private static readonly int[] Lengths =
        [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 4095, 4096, 4097, 65535, 65536, 65537];

    [Fact]
    public void AllImplementationsSealAndOpenEachOthersMessages()
    {
        var random = new Random(20);
        var lengths = Lengths.Concat(Enumerable.Range(0, 40).Select(_ => random.Next(0, 70_000) | 1)).ToList();
        var data = RandomNumberGenerator.GetBytes(lengths.Max());
        foreach (var length in lengths)
        {
            var key = RandomNumberGenerator.GetBytes(16);
            // Mostly the 96-bit nonces XOS uses; some of other lengths (J0 from GHASH, any starting counter).
            var nonce = RandomNumberGenerator.GetBytes(random.Next(4) == 0 ? random.Next(1, 40) : 12);
            var aad = RandomNumberGenerator.GetBytes(random.Next(3) == 0 ? random.Next(0, 600) : 9);
            var implementations = Available(key);
            var reference = new byte[length + 16];
            implementations.Single(i => i.Kind == Sm4Implementation.BouncyCastle).Gcm.Seal(nonce, aad, data.AsSpan(0, length), reference);
            foreach (var (kind, gcm) in implementations)
            {
                var sealedChunk = new byte[length + 16];
                gcm.Seal(nonce, aad, data.AsSpan(0, length), sealedChunk);
                Assert.True(reference.AsSpan().SequenceEqual(sealedChunk), $"{kind}, length {length}, nonce {nonce.Length}, aad {aad.Length}: differs from BouncyCastle");
                var opened = new byte[length];
                gcm.Open(nonce, aad, reference, opened);
                Assert.True(opened.AsSpan().SequenceEqual(data.AsSpan(0, length)), $"{kind}, length {length}: opened wrongly");
            }
            foreach (var (_, gcm) in implementations) gcm.Dispose();
        }
    }

    [Fact]
    public void EveryImplementationRejectsAlteredCiphertextTagOrAssociatedDataAndClearsThePlaintext()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var aad = RandomNumberGenerator.GetBytes(9);
        foreach (var length in new[] { 0, 17, 4096, 65536 })
        {
            var plaintext = RandomNumberGenerator.GetBytes(length);
            foreach (var (kind, gcm) in Available(key))
            {
                using var _ = gcm;
                var sealedChunk = new byte[length + 16];
                gcm.Seal(nonce, aad, plaintext, sealedChunk);
                var positions = new[] { 0, length / 2, length + 15 }.Where(p => p < sealedChunk.Length).Distinct();
                foreach (var position in positions)
                {
                    var altered = (byte[])sealedChunk.Clone();
                    altered[position] ^= 0x80;
                    var opened = new byte[length];
                    Assert.Throws<CryptographicException>(() => gcm.Open(nonce, aad, altered, opened));
                    Assert.True(opened.All(b => b == 0), $"{kind}: plaintext left behind after a failed tag");
                }
                var otherAad = (byte[])aad.Clone();
                otherAad[8] ^= 1;
                Assert.Throws<CryptographicException>(() => gcm.Open(nonce, otherAad, sealedChunk, new byte[length]));
                var otherNonce = (byte[])nonce.Clone();
                otherNonce[11] ^= 1;
                Assert.Throws<CryptographicException>(() => gcm.Open(otherNonce, aad, sealedChunk, new byte[length]));
                Assert.Throws<CryptographicException>(() => gcm.Open(nonce, aad, sealedChunk.AsSpan(0, sealedChunk.Length - 1), new byte[length]));
            }
        }
    }
}
