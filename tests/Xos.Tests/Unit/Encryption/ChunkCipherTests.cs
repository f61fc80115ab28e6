using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Xos.Server.Storage.Encryption;

namespace Xos.Tests.Unit.Encryption;

public sealed class ChunkCipherTests
{
    private static readonly byte[] Key = Convert.FromHexString("0123456789abcdeffedcba9876543210");

    [Fact]
    public void Sm4MatchesTheGbT32907SingleBlockVector()
    {
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(Key));
        var block = new byte[16];
        engine.ProcessBlock(Key, 0, block, 0);
        Assert.Equal("681edf34d206965e86b3e94f536e4246", Convert.ToHexStringLower(block));
    }

    [Fact]
    public void Sm4MatchesTheGbT32907MillionIterationVector()
    {
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(Key));
        var block = (byte[])Key.Clone();
        var next = new byte[16];
        for (var i = 0; i < 1_000_000; i++)
        {
            engine.ProcessBlock(block, 0, next, 0);
            (block, next) = (next, block);
        }
        Assert.Equal("595298c7c6fd271f0402f804c33d3f66", Convert.ToHexStringLower(block));
    }

    [Fact]
    public void AesGcmMatchesNistTestCase14()
    {
        // GCM specification test case 14: AES-256, zero key, zero IV, one zero block.
        using var aes = new AesGcm(new byte[32], 16);
        var ciphertext = new byte[16];
        var tag = new byte[16];
        aes.Encrypt(new byte[12], new byte[16], ciphertext, tag);
        Assert.Equal("cea7403d4d606b6e074ec5d3baf39d18", Convert.ToHexStringLower(ciphertext));
        Assert.Equal("d0d1c8a799996bf0265b98b5d48ab919", Convert.ToHexStringLower(tag));
    }

    public static TheoryData<string, int> Sizes => new()
    {
        { EncryptionInfo.Aes256, 0 }, { EncryptionInfo.Aes256, 1 }, { EncryptionInfo.Aes256, 65535 }, { EncryptionInfo.Aes256, 65536 },
        { EncryptionInfo.Aes256, 65537 }, { EncryptionInfo.Aes256, 3 * 65536 + 5 },
        { EncryptionInfo.Sm4, 0 }, { EncryptionInfo.Sm4, 65536 }, { EncryptionInfo.Sm4, 3 * 65536 + 5 },
    };

    private static async Task<(byte[] Sealed, byte[] Md5)> SealAsync(ChunkCipher cipher, byte[] plaintext, uint stream = 7)
    {
        await using var sealing = new EncryptingStream(new MemoryStream(plaintext), cipher, stream);
        var output = new MemoryStream();
        await sealing.CopyToAsync(output);
        return (output.ToArray(), sealing.PlaintextMd5);
    }

    private static async Task<byte[]> OpenAsync(ChunkCipher cipher, byte[] sealedData, long plainSize, long offset, long length, uint stream = 7)
    {
        await using var opening = new DecryptingStream([new EncryptedSegment(new MemoryStream(sealedData), plainSize, stream)], cipher, offset, length);
        var output = new MemoryStream();
        await opening.CopyToAsync(output);
        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task RoundTripsAndRangesDecryptOnlyWhatIsAsked(string algorithm, int size)
    {
        using var cipher = new ChunkCipher(algorithm, RandomNumberGenerator.GetBytes(32));
        var plaintext = RandomNumberGenerator.GetBytes(size);
        var (sealedData, md5) = await SealAsync(cipher, plaintext);
        Assert.Equal(ChunkCipher.CiphertextLength(size), sealedData.Length);
        Assert.Equal(MD5.HashData(plaintext), md5);
        Assert.Equal(plaintext, await OpenAsync(cipher, sealedData, size, 0, size));
        if (size > 10)
        {
            var offset = size / 3;
            var length = Math.Min(size - offset, 70000);
            Assert.Equal(plaintext.AsSpan(offset, length).ToArray(), await OpenAsync(cipher, sealedData, size, offset, length));
        }
    }

    [Fact]
    public async Task TamperingIsDetected()
    {
        using var cipher = new ChunkCipher(EncryptionInfo.Aes256, RandomNumberGenerator.GetBytes(32));
        var plaintext = RandomNumberGenerator.GetBytes(3 * 65536);
        var (sealedData, _) = await SealAsync(cipher, plaintext);

        var flipped = (byte[])sealedData.Clone();
        flipped[70000] ^= 1;
        await Assert.ThrowsAnyAsync<CryptographicException>(() => OpenAsync(cipher, flipped, plaintext.Length, 0, plaintext.Length));

        var swapped = (byte[])sealedData.Clone();
        Array.Copy(sealedData, 0, swapped, ChunkCipher.SealedChunkSize, ChunkCipher.SealedChunkSize);
        Array.Copy(sealedData, ChunkCipher.SealedChunkSize, swapped, 0, ChunkCipher.SealedChunkSize);
        await Assert.ThrowsAnyAsync<CryptographicException>(() => OpenAsync(cipher, swapped, plaintext.Length, 0, plaintext.Length));

        // Dropping the last chunk makes the new last chunk fail: it was sealed as "not last".
        var truncated = sealedData[..(2 * ChunkCipher.SealedChunkSize)];
        await Assert.ThrowsAnyAsync<CryptographicException>(() => OpenAsync(cipher, truncated, 2 * 65536, 0, 2 * 65536));

        using var otherKey = new ChunkCipher(EncryptionInfo.Aes256, RandomNumberGenerator.GetBytes(32));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => OpenAsync(otherKey, sealedData, plaintext.Length, 0, 10));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => OpenAsync(cipher, sealedData, plaintext.Length, 0, 10, stream: 8));
    }

    [Fact]
    public void MasterKeyWrapsDataKeysAndIsCreatedOnce()
    {
        var dir = Directory.CreateTempSubdirectory("xos-master-").FullName;
        try
        {
            var first = MasterKey.LoadOrCreate(dir, null);
            var again = MasterKey.LoadOrCreate(dir, null);
            Assert.Equal(first.Id, again.Id);
            var info = EncryptionInfo.Create(EncryptionInfo.Sm4, first);
            Assert.Equal(32, again.Unwrap(info.WrappedKey, info.MasterKeyId).Length);
            var other = new MasterKey(RandomNumberGenerator.GetBytes(32));
            Assert.Throws<CryptographicException>(() => other.Unwrap(info.WrappedKey, info.MasterKeyId));
            Assert.Throws<ArgumentException>(() => MasterKey.LoadOrCreate(dir, Convert.ToBase64String(new byte[16])));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "master.key")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
