using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Xos.Server.Storage.Encryption.Sm4;

/// <summary>
/// SM4-GCM in managed code at the CPU's speed: counter mode through <see cref="Sm4Ctr512"/> (AVX-512 + GFNI) or
/// <see cref="Sm4Ctr256"/> (AVX2 + GFNI), GHASH through <see cref="Ghash"/>. Seal encrypts a group of blocks and hashes
/// the ciphertext while it is still in the cache; open hashes a group, then decrypts it, and checks the tag in constant
/// time at the end (clearing the plaintext when it does not match).
/// </summary>
internal sealed unsafe class GfniSm4Gcm : ISm4Gcm
{
    private const int TagSize = 16;

    private readonly uint[] _rk;
    private readonly bool _wide;
    private readonly Ghash _ghash;

    /// <param name="wide">512-bit kernels (AVX-512) rather than 256-bit ones.</param>
    public GfniSm4Gcm(ReadOnlySpan<byte> key, bool wide)
    {
        if (wide ? !Sm4Ctr512.IsSupported || !Ghash.IsSupported512 : !Sm4Ctr256.IsSupported || !Ghash.IsSupported)
            throw new PlatformNotSupportedException($"this CPU lacks the instructions of the {(wide ? "AVX-512" : "AVX2")} GFNI SM4");
        _rk = Sm4Gfni.ExpandKey(key);
        _wide = wide;
        var hashKey = stackalloc byte[16];
        EncryptBlock(default, new Span<byte>(hashKey, 16)); // H = E(0)
        _ghash = new Ghash(new ReadOnlySpan<byte>(hashKey, 16), wide);
    }

    private int GroupBytes => _wide ? Sm4Ctr512.Bytes : Sm4Ctr256.Bytes;

    private void Ctr(in CounterBlock j, uint counter, byte* source, byte* destination)
    {
        fixed (uint* rk = _rk)
        {
            if (_wide) Sm4Ctr512.Xor(rk, j.W0, j.W1, j.W2, counter, source, destination);
            else Sm4Ctr256.Xor(rk, j.W0, j.W1, j.W2, counter, source, destination);
        }
    }

    /// <summary>Encrypts one block (the first three words stay, the fourth is the counter): for H, E(J0) and the tests.</summary>
    internal void EncryptBlock(ReadOnlySpan<byte> block, Span<byte> output)
    {
        Span<byte> input = stackalloc byte[16];
        block.CopyTo(input);
        var keystream = stackalloc byte[Sm4Ctr512.Bytes];
        var j = new CounterBlock(input);
        Ctr(j, j.W3, null, keystream);
        new ReadOnlySpan<byte>(keystream, 16).CopyTo(output);
    }

    /// <summary>The pre-counter block J0: the nonce and 1 for a 96-bit nonce, else GHASH of the nonce.</summary>
    private CounterBlock PreCounter(ReadOnlySpan<byte> nonce)
    {
        Span<byte> j0 = stackalloc byte[16];
        if (nonce.Length == 12)
        {
            nonce.CopyTo(j0);
            j0[15] = 1;
            return new CounterBlock(j0);
        }
        fixed (byte* n = nonce)
        fixed (byte* j = j0)
        {
            var state = _ghash.Finish(_ghash.Update(default, n, nonce.Length), 0, nonce.Length);
            Ghash.Write(state, j);
        }
        return new CounterBlock(j0);
    }

    private void Tag(CounterBlock j0, Vector128<ulong> state, Span<byte> tag)
    {
        Span<byte> mask = stackalloc byte[16];
        Span<byte> block = stackalloc byte[16];
        j0.Write(block);
        EncryptBlock(block, mask);
        fixed (byte* t = tag) Ghash.Write(state, t);
        for (var i = 0; i < TagSize; i++) tag[i] ^= mask[i];
    }

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> sealedChunk)
    {
        if (sealedChunk.Length < plaintext.Length + TagSize) throw new ArgumentException("the destination is too short", nameof(sealedChunk));
        var j0 = PreCounter(nonce);
        var counter = j0.W3 + 1;
        var group = GroupBytes;
        var keystream = stackalloc byte[Sm4Ctr512.Bytes];
        Vector128<ulong> state;
        fixed (byte* a = aad)
        fixed (byte* input = plaintext)
        fixed (byte* output = sealedChunk)
        {
            state = _ghash.Update(default, a, aad.Length);
            var done = 0;
            for (; plaintext.Length - done >= group; done += group, counter += (uint)(group / 16))
            {
                Ctr(j0, counter, input + done, output + done);
                state = _ghash.Update(state, output + done, group);
            }
            var rest = plaintext.Length - done;
            if (rest > 0)
            {
                Ctr(j0, counter, null, keystream);
                for (var i = 0; i < rest; i++) output[done + i] = (byte)(input[done + i] ^ keystream[i]);
                state = _ghash.Update(state, output + done, rest);
            }
        }
        Tag(j0, _ghash.Finish(state, aad.Length, plaintext.Length), sealedChunk.Slice(plaintext.Length, TagSize));
    }

    public void Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedChunk, Span<byte> plaintext)
    {
        var length = sealedChunk.Length - TagSize;
        if (length < 0) throw new CryptographicException("encrypted chunk is truncated");
        if (plaintext.Length < length) throw new ArgumentException("the destination is too short", nameof(plaintext));
        var j0 = PreCounter(nonce);
        var counter = j0.W3 + 1;
        var group = GroupBytes;
        var keystream = stackalloc byte[Sm4Ctr512.Bytes];
        Vector128<ulong> state;
        fixed (byte* a = aad)
        fixed (byte* input = sealedChunk)
        fixed (byte* output = plaintext)
        {
            state = _ghash.Update(default, a, aad.Length);
            var done = 0;
            for (; length - done >= group; done += group, counter += (uint)(group / 16))
            {
                state = _ghash.Update(state, input + done, group);
                Ctr(j0, counter, input + done, output + done);
            }
            var rest = length - done;
            if (rest > 0)
            {
                state = _ghash.Update(state, input + done, rest);
                Ctr(j0, counter, null, keystream);
                for (var i = 0; i < rest; i++) output[done + i] = (byte)(input[done + i] ^ keystream[i]);
            }
        }
        Span<byte> tag = stackalloc byte[TagSize];
        Tag(j0, _ghash.Finish(state, aad.Length, length), tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, sealedChunk[length..]))
        {
            plaintext[..length].Clear();
            throw new CryptographicException("encrypted chunk failed authentication");
        }
    }

    public void Dispose() => Array.Clear(_rk);

    /// <summary>A counter block as SM4 reads it: four big-endian words, the last one the 32-bit counter.</summary>
    private readonly struct CounterBlock(ReadOnlySpan<byte> block)
    {
        public readonly uint W0 = BinaryPrimitives.ReadUInt32BigEndian(block);
        public readonly uint W1 = BinaryPrimitives.ReadUInt32BigEndian(block[4..]);
        public readonly uint W2 = BinaryPrimitives.ReadUInt32BigEndian(block[8..]);
        public readonly uint W3 = BinaryPrimitives.ReadUInt32BigEndian(block[12..]);

        public void Write(Span<byte> block)
        {
            BinaryPrimitives.WriteUInt32BigEndian(block, W0);
            BinaryPrimitives.WriteUInt32BigEndian(block[4..], W1);
            BinaryPrimitives.WriteUInt32BigEndian(block[8..], W2);
            BinaryPrimitives.WriteUInt32BigEndian(block[12..], W3);
        }
    }
}
