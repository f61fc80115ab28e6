using System.Text.Json.Serialization;

namespace Xos.Server.WebConsole;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(SessionInfo))]
[JsonSerializable(typeof(ShareRequest))]
[JsonSerializable(typeof(SharedLink))]
[JsonSerializable(typeof(Storage.StorageUsage))]
[JsonSerializable(typeof(ConsoleError))]
internal sealed partial class ConsoleJson : JsonSerializerContext;

/// <summary>The only time the secret travels: the sign-in form, to the server, once.</summary>
public sealed record SignInRequest(string? AccessKey, string? SecretKey, string? SessionToken);

/// <summary>Who the session acts as, what the console may offer (admin pages for root's own key), and its CSRF token.</summary>
public sealed record SessionInfo(string User, string CanonicalId, string AccessKey, bool Admin, bool Temporary, string? Role, string CsrfToken,
    DateTimeOffset Expires, long IdleSeconds);

/// <summary>A share link to make: the object (or one version), how long it lasts, and whether browsers should save it.</summary>
public sealed record ShareRequest(string? Bucket, string? Key, string? VersionId, long? ExpiresSeconds, bool Download = false);

public sealed record SharedLink(string Url, DateTimeOffset Expires);

public sealed record ConsoleError(string Code, string Message);
