using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Xos.Server.Storage.Files;

namespace Xos.Server.Hosting;

/// <summary>
/// The administrator account and the key the server uses for it. The account's canonical id is created once and kept
/// in the data folder (root-credentials.json, mode 0600, created race-free so that processes starting together agree).
/// Its key comes from XOS_ROOT_ACCESS_KEY / XOS_ROOT_SECRET_KEY when set, else is the one the metadata store already
/// holds, else one generated on first start and kept in the same file. See <see cref="MetadataBootstrap"/>.
/// </summary>
public sealed record RootCredentials(string UserId, string AccessKey, string SecretKey, bool FromEnvironment)
{
    public const string DisplayName = "root";
    public const string FileName = "root-credentials.json";

    /// <summary>What root-credentials.json holds: the account id, and the generated key when the server made one.</summary>
    public sealed record Stored(
        [property: JsonPropertyName("userId")] string UserId,
        [property: JsonPropertyName("accessKey")] string? AccessKey,
        [property: JsonPropertyName("secretKey")] string? SecretKey);

    private static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>
    /// Reads the data folder's root identity, creating it on first use. A new identity gets a generated key unless the
    /// environment names one, so that even processes racing on a new folder all use the same key.
    /// </summary>
    public static Stored LoadIdentity(ServerOptions options)
    {
        var fromEnv = options.RootAccessKey is not null && options.RootSecretKey is not null;
        var text = DataFolderFiles.ReadOrCreate(PathIn(options.DataDirectory), () => JsonSerializer.Serialize(
            new Stored(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), fromEnv ? null : NewAccessKey(), fromEnv ? null : NewSecretKey()),
            RootJson.Default.Stored));
        return JsonSerializer.Deserialize(text, RootJson.Default.Stored) ?? throw new InvalidDataException($"{PathIn(options.DataDirectory)} is not valid");
    }

    /// <summary>Replaces the folder's identity (a gateway on RADOS taking its shared database's root account).</summary>
    public static void SaveIdentity(ServerOptions options, Stored identity) =>
        DataFolderFiles.Replace(PathIn(options.DataDirectory), JsonSerializer.Serialize(identity, RootJson.Default.Stored));

    /// <summary>Keeps a key the server generated (or `xos admin root rotate` made) beside the identity, for the administrator to read.</summary>
    public static void SaveGeneratedKey(ServerOptions options, Stored identity, string accessKey, string secretKey) =>
        DataFolderFiles.Replace(PathIn(options.DataDirectory), JsonSerializer.Serialize(identity with { AccessKey = accessKey, SecretKey = secretKey }, RootJson.Default.Stored));

    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string NewAccessKey() => "XOS" + RandomNumberGenerator.GetString(KeyAlphabet, 17);

    public static string NewSecretKey() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}

[JsonSerializable(typeof(RootCredentials.Stored))]
internal sealed partial class RootJson : JsonSerializerContext;
