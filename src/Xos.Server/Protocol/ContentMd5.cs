using System.Security.Cryptography;

namespace Xos.Server.Protocol;

/// <summary>The Content-MD5 request header: base64 of the body's 16-byte MD5.</summary>
public static class ContentMd5
{
    /// <summary>Parses the header; InvalidDigest when it is not base64 of 16 bytes. Null when absent.</summary>
    public static byte[]? Parse(string? header)
    {
        if (header is null) return null;
        var bytes = new byte[16];
        if (!Convert.TryFromBase64String(header.Trim(), bytes, out var written) || written != 16) throw S3Errors.InvalidDigest();
        return bytes;
    }

    /// <summary>Throws BadDigest when the header is present and does not match <paramref name="actualMd5"/>.</summary>
    public static void Verify(string? header, ReadOnlySpan<byte> actualMd5) => Verify(Parse(header), actualMd5);

    public static void Verify(byte[]? expected, ReadOnlySpan<byte> actualMd5)
    {
        if (expected is not null && !CryptographicOperations.FixedTimeEquals(expected, actualMd5)) throw S3Errors.BadDigest();
    }
}
