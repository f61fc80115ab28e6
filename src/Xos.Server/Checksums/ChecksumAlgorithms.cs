using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace Xos.Server.Checksums;

/// <summary>
/// S3's flexible checksum algorithms. CRCs are given as their big-endian bytes, as S3 encodes them in base64;
/// CRCs of concatenated data are combined arithmetically, so a full-object CRC of a multipart upload needs no re-read.
/// </summary>
public static class ChecksumAlgorithms
{
    public const string Crc32 = "CRC32", Crc32C = "CRC32C", Crc64Nvme = "CRC64NVME", Sha1 = "SHA1", Sha256 = "SHA256";
    public static readonly string[] All = [Crc32, Crc32C, Crc64Nvme, Sha1, Sha256];

    /// <summary>The algorithm's canonical name for a case-insensitive one; null when it is not an S3 checksum algorithm.</summary>
    public static string? Normalize(string? name) =>
        name is null ? null : All.FirstOrDefault(a => a.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    public static bool IsCrc(string algorithm) => algorithm is Crc32 or Crc32C or Crc64Nvme;

    /// <summary>The header (and XML element suffix) that carries the algorithm's value: x-amz-checksum-crc32 / ChecksumCRC32.</summary>
    public static string HeaderName(string algorithm) => "x-amz-checksum-" + algorithm.ToLowerInvariant();
    public static string ElementName(string algorithm) => "Checksum" + algorithm;

    public static int DigestLength(string algorithm) => algorithm switch
    {
        Crc32 or Crc32C => 4,
        Crc64Nvme => 8,
        Sha1 => 20,
        Sha256 => 32,
        _ => throw new ArgumentException("unknown checksum algorithm " + algorithm),
    };

    /// <summary>True when <paramref name="base64"/> decodes to a digest of the algorithm's length.</summary>
    public static bool IsWellFormed(string algorithm, string base64)
    {
        Span<byte> bytes = stackalloc byte[64];
        return Convert.TryFromBase64String(base64, bytes, out var n) && n == DigestLength(algorithm);
    }

    public static byte[] Hash(string algorithm, ReadOnlySpan<byte> data)
    {
        using var h = new ChecksumHasher(algorithm);
        h.Append(data);
        return h.GetHashAndReset();
    }

    /// <summary>The checksum of A followed by B from the checksums of A and B and the length of B (CRC algorithms only).</summary>
    public static byte[] Combine(string algorithm, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, long secondLength)
    {
        if (algorithm == Crc64Nvme)
        {
            var combined = CrcMath.Combine(BinaryPrimitives.ReadUInt64BigEndian(first), BinaryPrimitives.ReadUInt64BigEndian(second), secondLength,
                CrcMath.Reflect(Crc64ParameterSet.Nvme.Polynomial, 64), 64);
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, combined);
            return bytes;
        }
        var poly = algorithm switch
        {
            Crc32 => Crc32ParameterSet.Crc32.Polynomial,
            Crc32C => Crc32ParameterSet.Crc32C.Polynomial,
            _ => throw new ArgumentException(algorithm + " checksums cannot be combined"),
        };
        var value = (uint)CrcMath.Combine(BinaryPrimitives.ReadUInt32BigEndian(first), BinaryPrimitives.ReadUInt32BigEndian(second), secondLength,
            CrcMath.Reflect(poly, 32), 32);
        var result = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(result, value);
        return result;
    }

    /// <summary>
    /// GF(2) polynomial arithmetic for reflected CRCs whose initial value and final XOR are all ones (CRC32, CRC32C,
    /// CRC64/NVME): crc(A || B) = crc(A) * x^(8 * |B|) mod P  xor  crc(B).
    /// </summary>
    private static class CrcMath
    {
        public static ulong Reflect(ulong value, int width)
        {
            ulong r = 0;
            for (var i = 0; i < width; i++)
                if ((value & (1UL << i)) != 0) r |= 1UL << (width - 1 - i);
            return r;
        }

        private static ulong MultiplyModP(ulong a, ulong b, ulong poly, int width)
        {
            var m = 1UL << (width - 1);
            ulong product = 0;
            while (m != 0)
            {
                if ((a & m) != 0) product ^= b;
                m >>= 1;
                b = (b & 1) != 0 ? (b >> 1) ^ poly : b >> 1;
            }
            return product;
        }

        /// <summary>x^(8n) mod P, by squaring: x^(2^k) for each set bit of 8n.</summary>
        private static ulong XPow8N(long n, ulong poly, int width)
        {
            var result = 1UL << (width - 1); // x^0
            var square = 1UL << (width - 2); // x^1
            var bits = (ulong)n << 3;
            while (bits != 0)
            {
                if ((bits & 1) != 0) result = MultiplyModP(square, result, poly, width);
                square = MultiplyModP(square, square, poly, width);
                bits >>= 1;
            }
            return result;
        }

        public static ulong Combine(ulong first, ulong second, long secondLength, ulong reflectedPoly, int width) =>
            secondLength == 0 ? first : MultiplyModP(XPow8N(secondLength, reflectedPoly, width), first, reflectedPoly, width) ^ second;
    }
}

/// <summary>An incremental hash in any of S3's checksum algorithms.</summary>
public sealed class ChecksumHasher(string algorithm) : IDisposable
{
    public string Algorithm { get; } = algorithm;

    private readonly System.IO.Hashing.Crc32? _crc32 = algorithm switch
    {
        ChecksumAlgorithms.Crc32 => new System.IO.Hashing.Crc32(Crc32ParameterSet.Crc32),
        ChecksumAlgorithms.Crc32C => new System.IO.Hashing.Crc32(Crc32ParameterSet.Crc32C),
        _ => null,
    };
    private readonly Crc64? _crc64 = algorithm == ChecksumAlgorithms.Crc64Nvme ? new Crc64(Crc64ParameterSet.Nvme) : null;
    private readonly IncrementalHash? _sha = algorithm switch
    {
        ChecksumAlgorithms.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        ChecksumAlgorithms.Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        _ => null,
    };

    public void Append(ReadOnlySpan<byte> data)
    {
        _crc32?.Append(data);
        _crc64?.Append(data);
        _sha?.AppendData(data);
    }

    /// <summary>The digest so far (big-endian for CRCs), and a fresh start.</summary>
    public byte[] GetHashAndReset()
    {
        if (_sha is not null) return _sha.GetHashAndReset();
        if (_crc64 is not null)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, _crc64.GetCurrentHashAsUInt64());
            _crc64.Reset();
            return bytes;
        }
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, _crc32!.GetCurrentHashAsUInt32());
        _crc32.Reset();
        return crc;
    }

    public void Dispose() => _sha?.Dispose();
}
