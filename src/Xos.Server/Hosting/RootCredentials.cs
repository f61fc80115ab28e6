using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xos.Server.Hosting;

/// <summary>
/// The administrator account. Its canonical id is created once and kept in the data folder; its keys come from
/// XOS_ROOT_ACCESS_KEY / XOS_ROOT_SECRET_KEY, or are generated on first start and kept beside it (mode 0600).
/// </summary>
public sealed record RootCredentials(string UserId, string AccessKey, string SecretKey, bool FromEnvironment)
{
    public const string DisplayName = "root";
    private const string FileName = "root-credentials.json";

    internal sealed record Stored(
        [property: JsonPropertyName("userId")] string UserId,
        [property: JsonPropertyName("accessKey")] string? AccessKey,
        [property: JsonPropertyName("secretKey")] string? SecretKey);

    public static RootCredentials LoadOrCreate(ServerOptions options)
    {
        var path = Path.Combine(options.DataDirectory, FileName);
        Stored? stored = File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), RootJson.Default.Stored) : null;
        var userId = stored?.UserId ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var fromEnv = options.RootAccessKey is not null && options.RootSecretKey is not null;
        var accessKey = fromEnv ? options.RootAccessKey! : stored?.AccessKey ?? NewAccessKey();
        var secretKey = fromEnv ? options.RootSecretKey! : stored?.SecretKey ?? NewSecretKey();
        var next = new Stored(userId, fromEnv ? stored?.AccessKey : accessKey, fromEnv ? stored?.SecretKey : secretKey);
        if (stored != next)
        {
            var tmp = path + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(next, RootJson.Default.Stored));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(tmp, path, overwrite: true);
        }
        return new RootCredentials(userId, accessKey, secretKey, fromEnv);
    }

    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string NewAccessKey() => "XOS" + RandomNumberGenerator.GetString(KeyAlphabet, 17);

    public static string NewSecretKey() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}

[JsonSerializable(typeof(RootCredentials.Stored))]
internal sealed partial class RootJson : JsonSerializerContext;
