using System.Security.Cryptography;
using Xos.Server.Storage.Encryption;

namespace Xos.Tests.Unit.Encryption;

/// <summary>SM4-GCM through libgcrypt and through BouncyCastle: the standard vector, and byte-for-byte agreement.</summary>
public sealed class Sm4GcmTests
{
    // RFC 8998, appendix A.1 (SM4-GCM).
    private static readonly byte[] Key = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");
    private static readonly byte[] Iv = Convert.FromHexString("00001234567800000000ABCD");
    private static readonly byte[] Aad = Convert.FromHexString("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
    private static readonly byte[] Plaintext = Convert.FromHexString(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
    private const string Expected =
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D" +
        "83DE3541E4C2B58177E065A9BF7B62EC";

    private static IEnumerable<ISm4Gcm> Implementations()
    {
        yield return Sm4Gcm.CreateManaged(Key);
        var native = Sm4Gcm.CreateNative(Key);
        Assert.True(native is not null || !File.Exists("/usr/lib/x86_64-linux-gnu/libgcrypt.so.20"), "libgcrypt is installed but was not used");
        if (native is not null) yield return native;
    }

    [Fact]
    public void BothImplementationsMatchTheRfc8998Vector()
    {
        foreach (var gcm in Implementations())
        {
            using var _ = gcm;
            var sealedChunk = new byte[Plaintext.Length + 16];
            gcm.Seal(Iv, Aad, Plaintext, sealedChunk);
            Assert.Equal(gcm.GetType().Name + ":" + Expected, gcm.GetType().Name + ":" + Convert.ToHexString(sealedChunk));
            var opened = new byte[Plaintext.Length];
            gcm.Open(Iv, Aad, sealedChunk, opened);
            Assert.Equal(Plaintext, opened);
            sealedChunk[5] ^= 1;
            Assert.Throws<CryptographicException>(() => gcm.Open(Iv, Aad, sealedChunk, opened));
        }
    }

    [Fact]
    public void LibgcryptAndBouncyCastleSealAndOpenEachOthersChunksOfEveryLength()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        using var managed = Sm4Gcm.CreateManaged(key);
        using var native = Sm4Gcm.CreateNative(key);
        Assert.True(native is not null || !File.Exists("/usr/lib/x86_64-linux-gnu/libgcrypt.so.20"), "libgcrypt is installed but was not used");
        if (native is null) return;
        var data = RandomNumberGenerator.GetBytes(ChunkCipher.ChunkSize);
        // Every length up to 4 KiB, then a stride through a whole chunk (chunks are at most 64 KiB; objects are chunk sequences).
        var lengths = Enumerable.Range(0, 4097).Concat(Enumerable.Range(0, 200).Select(i => 4097 + i * 307)).Append(ChunkCipher.ChunkSize).Where(l => l <= ChunkCipher.ChunkSize);
        var nonce = new byte[12];
        var aad = new byte[9];
        foreach (var length in lengths)
        {
            RandomNumberGenerator.Fill(nonce);
            aad[8] = (byte)(length & 1);
            var a = new byte[length + 16];
            var b = new byte[length + 16];
            managed.Seal(nonce, aad, data.AsSpan(0, length), a);
            native.Seal(nonce, aad, data.AsSpan(0, length), b);
            Assert.True(a.AsSpan().SequenceEqual(b), $"length {length}: the two implementations disagree");
            var opened = new byte[length];
            native.Open(nonce, aad, a, opened);
            Assert.True(opened.AsSpan().SequenceEqual(data.AsSpan(0, length)));
            managed.Open(nonce, aad, b, opened);
            Assert.True(opened.AsSpan().SequenceEqual(data.AsSpan(0, length)));
        }
    }

    [Fact]
    public async Task ObjectsSealedByOneImplementationAreReadByTheOther()
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var plaintext = RandomNumberGenerator.GetBytes(200 * 1024 + 123);
        using var cipher = new ChunkCipher(EncryptionInfo.Sm4, dataKey);
        var sealedStream = new MemoryStream();
        await using (var sealing = new EncryptingStream(new MemoryStream(plaintext), cipher, 3)) await sealing.CopyToAsync(sealedStream);
        using var managed = Sm4Gcm.CreateManaged(dataKey[..16]);
        // Open the whole-object ciphertext chunk by chunk with BouncyCastle: the chunk format is the same whichever library sealed it.
        var sealedBytes = sealedStream.ToArray();
        var opened = new MemoryStream();
        for (long chunk = 0, at = 0; at < sealedBytes.Length; chunk++)
        {
            var size = (int)Math.Min(ChunkCipher.SealedChunkSize, sealedBytes.Length - at);
            var nonce = new byte[12];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(nonce, 3);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), chunk);
            var aad = new byte[9];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(aad, chunk);
            aad[8] = at + size == sealedBytes.Length ? (byte)1 : (byte)0;
            var part = new byte[size - 16];
            managed.Open(nonce, aad, sealedBytes.AsSpan((int)at, size), part);
            opened.Write(part);
            at += size;
        }
        Assert.Equal(plaintext, opened.ToArray());
    }
}
