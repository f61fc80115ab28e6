using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Xos.Server.Storage.Encryption;

/// <summary>
/// Authenticated encryption of object data in fixed 64 KiB chunks: AES-256-GCM (platform) or SM4-GCM (GFNI kernels, libgcrypt or BouncyCastle: see <see cref="Sm4Gcm"/>).
/// Each chunk is sealed on its own, with a nonce made of the stream number (the part number; 0 for a single PUT) and
/// the chunk index, and with the chunk index and a "last chunk" flag as associated data, so a chunk cannot be
/// altered, moved, dropped or truncated unnoticed, and a range read decrypts only the chunks it touches.
/// </summary>
public sealed class ChunkCipher : IDisposable
{
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    public const int SealedChunkSize = ChunkSize + TagSize;

    private readonly string _algorithm;
    private readonly AesGcm? _aes;
    private readonly ISm4Gcm? _sm4;

    public ChunkCipher(string algorithm, byte[] dataKey)
    {
        _algorithm = algorithm;
        switch (algorithm)
        {
            case EncryptionInfo.Aes256:
                _aes = new AesGcm(dataKey, TagSize);
                break;
            case EncryptionInfo.Sm4:
                _sm4 = Sm4Gcm.Create(dataKey[..16]);
                break;
            default:
                throw new ArgumentException($"unknown algorithm {algorithm}");
        }
    }

    /// <summary>The stored size of <paramref name="plaintextLength"/> bytes: every chunk gains a tag; an empty stream is one empty chunk.</summary>
    public static long CiphertextLength(long plaintextLength) =>
        plaintextLength + TagSize * Math.Max(1, (plaintextLength + ChunkSize - 1) / ChunkSize);

    private static void Nonce(Span<byte> nonce, uint stream, long chunk)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, stream);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], chunk);
    }

    private static void Aad(Span<byte> aad, long chunk, bool last)
    {
        BinaryPrimitives.WriteInt64BigEndian(aad, chunk);
        aad[8] = last ? (byte)1 : (byte)0;
    }

    /// <summary>Seals one chunk: <paramref name="destination"/> receives ciphertext followed by the tag.</summary>
    public void Seal(uint stream, long chunk, bool last, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[9];
        Nonce(nonce, stream, chunk);
        Aad(aad, chunk, last);
        if (_aes is not null)
        {
            _aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagSize), aad);
            return;
        }
        _sm4!.Seal(nonce, aad, plaintext, destination[..(plaintext.Length + TagSize)]);
    }

    /// <summary>Opens one sealed chunk; throws <see cref="CryptographicException"/> when it was altered.</summary>
    public void Open(uint stream, long chunk, bool last, ReadOnlySpan<byte> sealedChunk, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[9];
        Nonce(nonce, stream, chunk);
        Aad(aad, chunk, last);
        var length = sealedChunk.Length - TagSize;
        if (length < 0) throw new CryptographicException("encrypted chunk is truncated");
        if (_aes is not null)
        {
            _aes.Decrypt(nonce, sealedChunk[..length], sealedChunk[length..], plaintext[..length], aad);
            return;
        }
        _sm4!.Open(nonce, aad, sealedChunk, plaintext[..length]);
    }

    public string Algorithm => _algorithm;

    public void Dispose()
    {
        _aes?.Dispose();
        _sm4?.Dispose();
    }
}
