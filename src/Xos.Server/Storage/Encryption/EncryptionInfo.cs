using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xos.Server.Storage.Encryption;

/// <summary>
/// How an object's data is encrypted, kept in its metadata: the algorithm and the object's random data key,
/// wrapped (AES-256-GCM) by the server's master key. The data key never exists unwrapped at rest.
/// </summary>
public sealed record EncryptionInfo(
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("key")] string WrappedKey,
    [property: JsonPropertyName("kid")] string MasterKeyId)
{
    /// <summary>
    /// SSE-C: the data key is wrapped by the customer's key, which is never stored; only this salted HMAC of it
    /// ("salt.hmac", base64), to tell a wrong key from a right one.
    /// </summary>
    [JsonPropertyName("ckc")]
    public string? CustomerKeyCheck { get; init; }

    /// <summary>SSE-KMS: the key of the key service, and the version of it, that wrapped the data key.</summary>
    [JsonPropertyName("kms")]
    public string? KmsKeyId { get; init; }
    [JsonPropertyName("kv")]
    public int KmsKeyVersion { get; init; }
    /// <summary>SSE-KMS: the encryption context (JSON), bound to the wrapped data key as associated data.</summary>
    [JsonPropertyName("ctx")]
    public string? KmsContext { get; init; }
    [JsonPropertyName("bke")]
    public bool BucketKeyEnabled { get; init; }

    /// <summary>
    /// The key that unwraps the data key for this request, when it is not the master key: the customer's key (once checked
    /// against <see cref="CustomerKeyCheck"/>) or the key service's key material. Never serialized.
    /// </summary>
    [JsonIgnore]
    public byte[]? UnwrappingKey { get; init; }

    public bool IsCustomerKey => CustomerKeyCheck is not null;
    public bool IsKms => KmsKeyId is not null;

    /// <summary>The associated data the data key is wrapped with.</summary>
    private string WrapContext => IsKms ? "xos-kms:" + KmsContext : MasterKey.DataKeyContext;

    /// <summary>A fresh data key wrapped by a version of a key service key (SSE-KMS).</summary>
    public static EncryptionInfo CreateForKms(string algorithm, byte[] keyMaterial, string keyId, int keyVersion, string context, bool bucketKey)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var info = new EncryptionInfo(algorithm, "", "")
            {
                KmsKeyId = keyId, KmsKeyVersion = keyVersion, KmsContext = context, BucketKeyEnabled = bucketKey, UnwrappingKey = keyMaterial,
            };
            return info with { WrappedKey = new MasterKey(keyMaterial).Wrap(dataKey, info.WrapContext) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>A fresh data key wrapped by a customer-provided key (SSE-C, always AES-256).</summary>
    public static EncryptionInfo CreateForCustomer(byte[] customerKey)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var salt = RandomNumberGenerator.GetBytes(16);
            var check = Convert.ToBase64String(salt) + "." + Convert.ToBase64String(HMACSHA256.HashData(salt, customerKey));
            return new EncryptionInfo(Aes256, new MasterKey(customerKey).Wrap(dataKey), "") { CustomerKeyCheck = check, UnwrappingKey = customerKey };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>True when <paramref name="customerKey"/> is the key this object was written with.</summary>
    public bool IsCustomerKeyFor(byte[] customerKey)
    {
        if (CustomerKeyCheck?.Split('.') is not [var salt, var mac]) return false;
        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Convert.FromBase64String(salt), customerKey), Convert.FromBase64String(mac));
    }

    public const string Aes256 = "AES256";
    public const string Sm4 = "SM4";

    public static bool IsSupported(string algorithm) => algorithm is Aes256 or Sm4;

    /// <summary>A fresh data key for a new object (or multipart upload), wrapped by the master key.</summary>
    public static EncryptionInfo Create(string algorithm, MasterKey master)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            return new EncryptionInfo(algorithm, master.Wrap(dataKey), master.Id);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public ChunkCipher OpenCipher(MasterKey master)
    {
        if (!IsCustomerKey && !IsKms) return new ChunkCipher(Algorithm, master.Unwrap(WrappedKey, MasterKeyId));
        if (UnwrappingKey is not { } key) throw new InvalidOperationException("the key that unwraps this object's data key was not supplied");
        var wrapping = new MasterKey(key);
        return new ChunkCipher(Algorithm, wrapping.Unwrap(WrappedKey, wrapping.Id, WrapContext));
    }

    public string ToJson() => JsonSerializer.Serialize(this, EncryptionJson.Default.EncryptionInfo);

    public static EncryptionInfo? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize(json, EncryptionJson.Default.EncryptionInfo);
}

[JsonSerializable(typeof(EncryptionInfo))]
internal sealed partial class EncryptionJson : JsonSerializerContext;

/// <summary>
/// The master key that wraps every object's data key: XOS_MASTER_KEY (base64 of 32 bytes), or a key file created in the
/// data folder on first start (mode 0600). Its id is a hash of the key, so a wrong key is detected instead of misused.
/// </summary>
public sealed class MasterKey
{
    private const string FileName = "master.key";
    private readonly byte[] _key;

    public string Id { get; }

    public MasterKey(byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("the master key must be 32 bytes (base64 of 32 random bytes)");
        _key = key;
        Id = Convert.ToHexStringLower(SHA256.HashData(key))[..16];
    }

    public static MasterKey LoadOrCreate(string dataDirectory, string? base64FromEnvironment)
    {
        if (base64FromEnvironment is not null)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64FromEnvironment.Trim());
            }
            catch (FormatException)
            {
                throw new ArgumentException("XOS_MASTER_KEY must be base64 of 32 bytes");
            }
            return new MasterKey(bytes);
        }
        // Processes starting together on a new data folder must all end up with the one key that was kept.
        var text = Files.DataFolderFiles.ReadOrCreate(Path.Combine(dataDirectory, FileName), () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return new MasterKey(Convert.FromBase64String(text.Trim()));
    }

    public const string DataKeyContext = "xos-data-key";

    /// <summary>Seals <paramref name="dataKey"/> with AES-256-GCM under this key, bound to <paramref name="context"/>.</summary>
    public string Wrap(byte[] dataKey, string context = DataKeyContext)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var sealedKey = new byte[12 + dataKey.Length + 16];
        nonce.CopyTo(sealedKey, 0);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, dataKey, sealedKey.AsSpan(12, dataKey.Length), sealedKey.AsSpan(12 + dataKey.Length, 16), System.Text.Encoding.UTF8.GetBytes(context));
        return Convert.ToBase64String(sealedKey);
    }

    public byte[] Unwrap(string wrapped, string keyId, string context = DataKeyContext)
    {
        if (keyId != Id) throw new CryptographicException($"object was encrypted under master key {keyId}, not the configured {Id}");
        var sealedKey = Convert.FromBase64String(wrapped);
        var dataKey = new byte[sealedKey.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(sealedKey.AsSpan(0, 12), sealedKey.AsSpan(12, dataKey.Length), sealedKey.AsSpan(12 + dataKey.Length, 16), dataKey, System.Text.Encoding.UTF8.GetBytes(context));
        return dataKey;
    }
}
