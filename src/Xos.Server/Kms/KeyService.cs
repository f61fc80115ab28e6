using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Kms;

/// <summary>
/// The built-in key service behind SSE-KMS. Each key has versions of random key material, wrapped by the master key;
/// an object's data key is wrapped by the current version of its key, bound to the object's encryption context.
/// Disabling a key makes its objects unreadable until it is enabled again; rotating adds a version without re-encrypting.
/// </summary>
public sealed partial class KeyService(IMetadataStore store, MasterKey master)
{
    /// <summary>The key used when a request asks for aws:kms without naming one (S3's AWS-managed key is named so too).</summary>
    public const string DefaultKeyId = "aws/s3";

    [GeneratedRegex("^[A-Za-z0-9/_.:-]{1,256}$")]
    private static partial Regex KeyIdShape();

    private string MaterialContext(string keyId) => "xos-kms-key:" + keyId;

    public static string NormalizeAlgorithm(string? algorithm) => algorithm?.ToUpperInvariant() switch
    {
        null or "AES256" or "AES-256" => EncryptionInfo.Aes256,
        "SM4" => EncryptionInfo.Sm4,
        _ => throw new ArgumentException("a key's algorithm is AES256 or SM4"),
    };

    /// <summary>Creates a key; false when one with that id exists.</summary>
    public async Task<bool> CreateAsync(string keyId, string? algorithm, CancellationToken ct)
    {
        if (!KeyIdShape().IsMatch(keyId)) throw new ArgumentException("a key id is 1-256 letters, digits and /_.:-");
        var material = RandomNumberGenerator.GetBytes(32);
        try
        {
            return await store.CreateKmsKeyAsync(keyId, NormalizeAlgorithm(algorithm), master.Wrap(material, MaterialContext(keyId)), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    public async Task<int?> RotateAsync(string keyId, CancellationToken ct)
    {
        var material = RandomNumberGenerator.GetBytes(32);
        try
        {
            return await store.RotateKmsKeyAsync(keyId, master.Wrap(material, MaterialContext(keyId)), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    public Task<bool> SetEnabledAsync(string keyId, bool enabled, CancellationToken ct) => store.SetKmsKeyEnabledAsync(keyId, enabled, ct);

    public Task<IReadOnlyList<KmsKeyRecord>> ListAsync(CancellationToken ct) => store.ListKmsKeysAsync(ct);

    private static S3Exception NotFound(string keyId) => new("KMS.NotFoundException", 400, $"Invalid keyId '{keyId}'", ("KeyId", keyId));
    private static S3Exception Disabled(string keyId) => new("KMS.DisabledException", 403, $"The key '{keyId}' is disabled.", ("KeyId", keyId));

    /// <summary>A new object's encryption under <paramref name="keyId"/> (the default key when null, created on first use).</summary>
    public async Task<EncryptionInfo> NewDataKeyAsync(string? keyId, string context, bool bucketKey, CancellationToken ct)
    {
        var id = keyId ?? DefaultKeyId;
        var key = await store.GetKmsKeyAsync(id, ct);
        if (key is null && keyId is null)
        {
            await CreateAsync(DefaultKeyId, null, ct);
            key = await store.GetKmsKeyAsync(id, ct);
        }
        if (key is null) throw NotFound(id);
        if (!key.Enabled) throw Disabled(id);
        var material = master.Unwrap(key.WrappedMaterial[key.CurrentVersion], master.Id, MaterialContext(id));
        return EncryptionInfo.CreateForKms(key.Algorithm, material, id, key.CurrentVersion, context, bucketKey);
    }

    /// <summary>The object's encryption with the key material that unwraps its data key; refused while the key is disabled.</summary>
    public async Task<EncryptionInfo> UnlockAsync(EncryptionInfo info, CancellationToken ct)
    {
        var key = await store.GetKmsKeyAsync(info.KmsKeyId!, ct) ?? throw Disabled(info.KmsKeyId!);
        if (!key.Enabled) throw Disabled(key.Id);
        if (!key.WrappedMaterial.TryGetValue(info.KmsKeyVersion, out var wrapped)) throw Disabled(key.Id);
        return info with { UnwrappingKey = master.Unwrap(wrapped, master.Id, MaterialContext(key.Id)) };
    }
}
