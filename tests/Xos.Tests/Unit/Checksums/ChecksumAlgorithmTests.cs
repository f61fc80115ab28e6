using System.Security.Cryptography;
using System.Text;
using Xos.Server.Checksums;

namespace Xos.Tests.Unit.Checksums;

public sealed class ChecksumAlgorithmTests
{
    private static readonly byte[] Check = "123456789"u8.ToArray();

    [Theory]
    // The catalogue "check" values of each CRC (the CRC of "123456789"), and the digests of SHA-1/SHA-256.
    [InlineData(ChecksumAlgorithms.Crc32, "CBF43926")]
    [InlineData(ChecksumAlgorithms.Crc32C, "E3069283")]
    [InlineData(ChecksumAlgorithms.Crc64Nvme, "AE8B14860A799888")]
    [InlineData(ChecksumAlgorithms.Sha1, "F7C3BC1D808E04732ADF679965CCC34CA7AE3441")]
    [InlineData(ChecksumAlgorithms.Sha256, "15E2B0D3C33891EBB0F1EF609EC419420C20E320CE94C65FBC8C3312448EB225")]
    public void HashesMatchTheStandardCheckValues(string algorithm, string hex)
    {
        Assert.Equal(hex, Convert.ToHexString(ChecksumAlgorithms.Hash(algorithm, Check)));
        Assert.True(ChecksumAlgorithms.IsWellFormed(algorithm, Convert.ToBase64String(Convert.FromHexString(hex))));
        Assert.False(ChecksumAlgorithms.IsWellFormed(algorithm, "bad"));
    }

    [Fact]
    public void MatchesTheValuesS3GivesForKnownBodies()
    {
        // 1 KiB of 'A': the values ceph/s3-tests expects from S3 for SHA256 and CRC64NVME.
        var body = Encoding.ASCII.GetBytes(new string('A', 1024));
        Assert.Equal("arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0=", Convert.ToBase64String(ChecksumAlgorithms.Hash(ChecksumAlgorithms.Sha256, body)));
        Assert.Equal("Qeh8oXvGiSo=", Convert.ToBase64String(ChecksumAlgorithms.Hash(ChecksumAlgorithms.Crc64Nvme, body)));
    }

    [Theory]
    [InlineData(ChecksumAlgorithms.Crc32)]
    [InlineData(ChecksumAlgorithms.Crc32C)]
    [InlineData(ChecksumAlgorithms.Crc64Nvme)]
    public void CombinedCrcsEqualTheCrcOfTheConcatenation(string algorithm)
    {
        foreach (var (a, b) in new[] { (0, 1), (1, 0), (7, 13), (1000, 5 * 1024 * 1024 + 3), (65536, 1) })
        {
            var first = RandomNumberGenerator.GetBytes(a);
            var second = RandomNumberGenerator.GetBytes(b);
            var whole = ChecksumAlgorithms.Hash(algorithm, [.. first, .. second]);
            var combined = ChecksumAlgorithms.Combine(algorithm, ChecksumAlgorithms.Hash(algorithm, first), ChecksumAlgorithms.Hash(algorithm, second), b);
            Assert.Equal(Convert.ToHexString(whole), Convert.ToHexString(combined));
        }
    }

    [Fact]
    public void HashesCannotBeCombined() =>
        Assert.Throws<ArgumentException>(() => ChecksumAlgorithms.Combine(ChecksumAlgorithms.Sha256, new byte[32], new byte[32], 1));

    [Theory]
    [InlineData("crc32", ChecksumAlgorithms.Crc32)]
    [InlineData("CRC64NVME", ChecksumAlgorithms.Crc64Nvme)]
    [InlineData(" sha256 ", ChecksumAlgorithms.Sha256)]
    [InlineData("md5", null)]
    public void NormalizesAlgorithmNames(string name, string? expected) => Assert.Equal(expected, ChecksumAlgorithms.Normalize(name));
}
