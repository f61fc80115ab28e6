using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Xos.Server.Storage.Encryption;

/// <summary>SM4-GCM with a 16-byte tag, one message (chunk) at a time: seal to ciphertext + tag, open and verify.</summary>
internal interface ISm4Gcm : IDisposable
{
    void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> sealedChunk);
    void Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedChunk, Span<byte> plaintext);
}

/// <summary>The SM4-GCM implementations, fastest first: the order in which start-up tries them.</summary>
internal enum Sm4Implementation
{
    /// <summary>Managed, AVX-512 + GFNI S-boxes, 32 blocks at a time, VPCLMULQDQ GHASH (<see cref="Sm4.GfniSm4Gcm"/>).</summary>
    Gfni512,
    /// <summary>Managed, AVX2 + GFNI S-boxes, 16 blocks at a time, PCLMULQDQ GHASH.</summary>
    Gfni256,
    /// <summary>Debian's libgcrypt20 (1.9+) through P/Invoke.</summary>
    Libgcrypt,
    /// <summary>BouncyCastle's portable managed SM4 and GCM.</summary>
    BouncyCastle,
}

/// <summary>
/// Picks the SM4-GCM implementation at start-up from what the CPU and the system have: the GFNI kernels on AVX-512, then on
/// AVX2, then libgcrypt, then BouncyCastle. All produce the same bytes (tests cross-check them), so objects stay readable
/// whichever one wrote them. XOS_SM4=gfni512|gfni256|libgcrypt|bouncycastle (or the older "managed") asks for one; when
/// this machine cannot run it, the next one in that order is used and the banner says so.
/// </summary>
internal static partial class Sm4Gcm
{
    public const int TagSize = 16;

    private static readonly Lazy<(Sm4Implementation Kind, string Note)> Chosen = new(Choose);

    /// <summary>Which implementation seals SM4 data in this process, for the start-up banner.</summary>
    public static string Implementation => Describe(Chosen.Value.Kind) + Chosen.Value.Note;

    public static ISm4Gcm Create(byte[] key) => Create(Chosen.Value.Kind, key)!;

    internal static ISm4Gcm CreateManaged(byte[] key) => new ManagedSm4Gcm(key);

    internal static ISm4Gcm? CreateNative(byte[] key) => Create(Sm4Implementation.Libgcrypt, key);

    /// <summary>An instance of one implementation, or null when this machine cannot run it.</summary>
    internal static ISm4Gcm? Create(Sm4Implementation kind, byte[] key) => !IsAvailable(kind) ? null : kind switch
    {
        Sm4Implementation.Gfni512 => new Sm4.GfniSm4Gcm(key, wide: true),
        Sm4Implementation.Gfni256 => new Sm4.GfniSm4Gcm(key, wide: false),
        Sm4Implementation.Libgcrypt => new LibgcryptSm4Gcm(key),
        _ => new ManagedSm4Gcm(key),
    };

    internal static bool IsAvailable(Sm4Implementation kind) => kind switch
    {
        Sm4Implementation.Gfni512 => Sm4.Sm4Ctr512.IsSupported && Sm4.Ghash.IsSupported512 && Sm4.Ghash.IsSupported,
        Sm4Implementation.Gfni256 => Sm4.Sm4Ctr256.IsSupported && Sm4.Ghash.IsSupported,
        Sm4Implementation.Libgcrypt => Libgcrypt.TryInitialize(),
        _ => true,
    };

    internal static string Describe(Sm4Implementation kind) => kind switch
    {
        Sm4Implementation.Gfni512 => "GFNI + AVX-512 (XOS, VPCLMULQDQ GHASH)",
        Sm4Implementation.Gfni256 => "GFNI + AVX2 (XOS, PCLMULQDQ GHASH)",
        Sm4Implementation.Libgcrypt => $"libgcrypt {Libgcrypt.Version}",
        _ => "BouncyCastle (managed)",
    };

    private static (Sm4Implementation, string) Choose()
    {
        var wanted = Environment.GetEnvironmentVariable("XOS_SM4")?.Trim().ToLowerInvariant();
        Sm4Implementation? forced = wanted switch
        {
            "gfni512" => Sm4Implementation.Gfni512,
            "gfni256" => Sm4Implementation.Gfni256,
            "libgcrypt" => Sm4Implementation.Libgcrypt,
            "bouncycastle" or "managed" => Sm4Implementation.BouncyCastle,
            _ => null,
        };
        var note = forced is null && wanted is not (null or "" or "auto") ? $" (XOS_SM4={wanted} is not one of auto, gfni512, gfni256, libgcrypt, bouncycastle)" : "";
        for (var kind = forced ?? Sm4Implementation.Gfni512; ; kind++)
        {
            if (IsAvailable(kind)) return (kind, note);
            if (kind == forced) note = $" (XOS_SM4={wanted}: not available on this machine)";
        }
    }

    private sealed class ManagedSm4Gcm(byte[] key) : ISm4Gcm
    {
        private GcmBlockCipher Init(bool encrypt, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad)
        {
            var gcm = new GcmBlockCipher(new SM4Engine());
            gcm.Init(encrypt, new AeadParameters(new KeyParameter(key), TagSize * 8, nonce.ToArray(), aad.ToArray()));
            return gcm;
        }

        public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> sealedChunk)
        {
            var gcm = Init(true, nonce, aad);
            var output = new byte[plaintext.Length + TagSize];
            var n = gcm.ProcessBytes(plaintext.ToArray(), 0, plaintext.Length, output, 0);
            gcm.DoFinal(output, n);
            output.CopyTo(sealedChunk);
        }

        public void Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedChunk, Span<byte> plaintext)
        {
            if (sealedChunk.Length < TagSize) throw new CryptographicException("encrypted chunk is truncated");
            var gcm = Init(false, nonce, aad);
            var output = new byte[sealedChunk.Length - TagSize];
            try
            {
                var n = gcm.ProcessBytes(sealedChunk.ToArray(), 0, sealedChunk.Length, output, 0);
                gcm.DoFinal(output, n);
            }
            catch (Org.BouncyCastle.Crypto.InvalidCipherTextException e)
            {
                throw new CryptographicException("encrypted chunk failed authentication", e);
            }
            output.CopyTo(plaintext);
        }

        public void Dispose() { }
    }

    private sealed class LibgcryptSm4Gcm : ISm4Gcm
    {
        private IntPtr _handle;

        public LibgcryptSm4Gcm(byte[] key)
        {
            Libgcrypt.Check(Libgcrypt.gcry_cipher_open(out _handle, Libgcrypt.CipherSm4, Libgcrypt.ModeGcm, 0), "open");
            unsafe
            {
                fixed (byte* k = key) Libgcrypt.Check(Libgcrypt.gcry_cipher_setkey(_handle, k, (nuint)key.Length), "setkey");
            }
        }

        private unsafe void Start(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad)
        {
            Libgcrypt.Check(Libgcrypt.gcry_cipher_ctl(_handle, Libgcrypt.CtlReset, IntPtr.Zero, 0), "reset");
            fixed (byte* iv = nonce) Libgcrypt.Check(Libgcrypt.gcry_cipher_setiv(_handle, iv, (nuint)nonce.Length), "setiv");
            fixed (byte* a = aad) Libgcrypt.Check(Libgcrypt.gcry_cipher_authenticate(_handle, a, (nuint)aad.Length), "authenticate");
        }

        public unsafe void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> sealedChunk)
        {
            Start(nonce, aad);
            fixed (byte* input = plaintext)
            fixed (byte* output = sealedChunk)
            {
                Libgcrypt.Check(Libgcrypt.gcry_cipher_encrypt(_handle, output, (nuint)plaintext.Length, input, (nuint)plaintext.Length), "encrypt");
                Libgcrypt.Check(Libgcrypt.gcry_cipher_gettag(_handle, output + plaintext.Length, TagSize), "gettag");
            }
        }

        public unsafe void Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedChunk, Span<byte> plaintext)
        {
            var length = sealedChunk.Length - TagSize;
            if (length < 0) throw new CryptographicException("encrypted chunk is truncated");
            Start(nonce, aad);
            fixed (byte* input = sealedChunk)
            fixed (byte* output = plaintext)
            {
                Libgcrypt.Check(Libgcrypt.gcry_cipher_decrypt(_handle, output, (nuint)length, input, (nuint)length), "decrypt");
                if (Libgcrypt.gcry_cipher_checktag(_handle, input + length, TagSize) != 0)
                {
                    plaintext[..length].Clear();
                    throw new CryptographicException("encrypted chunk failed authentication");
                }
            }
        }

        public void Dispose()
        {
            if (_handle == IntPtr.Zero) return;
            Libgcrypt.gcry_cipher_close(_handle);
            _handle = IntPtr.Zero;
        }
    }

    /// <summary>The few libgcrypt calls SM4-GCM needs (gcrypt.h of libgcrypt 1.9+).</summary>
    private static unsafe partial class Libgcrypt
    {
        private const string Library = "libgcrypt.so.20";
        public const int CipherSm4 = 318;
        public const int ModeGcm = 9;
        public const int CtlReset = 4;

        public static string? Version { get; private set; }

        private static readonly object Gate = new();
        private static bool? _initialized;

        public static bool TryInitialize()
        {
            lock (Gate)
            {
                if (_initialized is { } done) return done;
                try
                {
                    // Initializes the library; null when it is older than SM4 support.
                    var version = gcry_check_version("1.9.0");
                    Version = version == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(version);
                    _initialized = Version is not null && gcry_cipher_open(out var probe, CipherSm4, ModeGcm, 0) == 0 && Close(probe);
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
                {
                    _initialized = false;
                }
                return _initialized.Value;
            }
        }

        private static bool Close(IntPtr handle)
        {
            gcry_cipher_close(handle);
            return true;
        }

        public static void Check(uint error, string what)
        {
            if (error != 0) throw new CryptographicException($"libgcrypt {what} failed (error {error & 0xffff})");
        }

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        private static partial IntPtr gcry_check_version(string requiredVersion);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_open(out IntPtr handle, int algorithm, int mode, uint flags);

        [LibraryImport(Library)]
        public static partial void gcry_cipher_close(IntPtr handle);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_ctl(IntPtr handle, int command, IntPtr buffer, nuint length);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_setkey(IntPtr handle, byte* key, nuint length);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_setiv(IntPtr handle, byte* iv, nuint length);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_authenticate(IntPtr handle, byte* aad, nuint length);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_encrypt(IntPtr handle, byte* output, nuint outputLength, byte* input, nuint inputLength);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_decrypt(IntPtr handle, byte* output, nuint outputLength, byte* input, nuint inputLength);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_gettag(IntPtr handle, byte* tag, nuint length);

        [LibraryImport(Library)]
        public static partial uint gcry_cipher_checktag(IntPtr handle, byte* tag, nuint length);
    }
}
