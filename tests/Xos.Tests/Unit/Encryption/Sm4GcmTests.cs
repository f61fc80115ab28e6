using System.Security.Cryptography;
using Xos.Server.Storage.Encryption;

namespace Xos.Tests.Unit.Encryption;

/// <summary>SM4-GCM: every implementation against BouncyCastle at every length, and the chunk format across implementations.</summary>
public sealed class Sm4GcmTests
{
    [Fact]
    public void EveryImplementationSealsAndOpensLikeBouncyCastleAtEveryLength()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        using var managed = Sm4Gcm.CreateManaged(key);
        var others = Enum.GetValues<Sm4Implementation>().Where(k => k != Sm4Implementation.BouncyCastle && Sm4Gcm.IsAvailable(k))
            .Select(k => (Kind: k, Gcm: Sm4Gcm.Create(k, key)!)).ToList();
        Assert.True(Sm4Gcm.IsAvailable(Sm4Implementation.Libgcrypt) || !File.Exists("/usr/lib/x86_64-linux-gnu/libgcrypt.so.20"), "libgcrypt is installed but was not used");
        var data = RandomNumberGenerator.GetBytes(ChunkCipher.ChunkSize);
        // Every length up to 4 KiB (every tail of the 1 KiB and 256-byte block groups), then a stride through a whole chunk.
        var lengths = Enumerable.Range(0, 4097).Concat(Enumerable.Range(0, 200).Select(i => 4097 + i * 307)).Append(ChunkCipher.ChunkSize).Where(l => l <= ChunkCipher.ChunkSize);
        var nonce = new byte[12];
        var aad = new byte[9];
        foreach (var length in lengths)
        {
            RandomNumberGenerator.Fill(nonce);
            aad[8] = (byte)(length & 1);
            var a = new byte[length + 16];
            managed.Seal(nonce, aad, data.AsSpan(0, length), a);
            foreach (var (kind, gcm) in others)
            {
                var b = new byte[length + 16];
                gcm.Seal(nonce, aad, data.AsSpan(0, length), b);
                Assert.True(a.AsSpan().SequenceEqual(b), $"length {length}: {kind} and BouncyCastle disagree");
                var opened = new byte[length];
                gcm.Open(nonce, aad, a, opened);
                Assert.True(opened.AsSpan().SequenceEqual(data.AsSpan(0, length)));
                managed.Open(nonce, aad, b, opened);
                Assert.True(opened.AsSpan().SequenceEqual(data.AsSpan(0, length)));
            }
        }
        foreach (var (_, gcm) in others) gcm.Dispose();
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
