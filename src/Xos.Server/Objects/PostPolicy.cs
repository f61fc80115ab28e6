using System.Globalization;
using System.Text;
using System.Text.Json;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>
/// The policy document of a browser POST upload: an expiration and conditions (exact matches, "starts-with",
/// "content-length-range") that every form field must satisfy.
/// </summary>
public sealed class PostPolicy
{
    private readonly List<(string Kind, string Field, string Value)> _conditions = [];

    public DateTimeOffset Expiration { get; }
    public long MinLength { get; private set; }
    public long MaxLength { get; private set; } = long.MaxValue;

    /// <summary>Fields that are never covered by conditions.</summary>
    private static readonly string[] Exempt = ["policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"];

    private PostPolicy(DateTimeOffset expiration) => Expiration = expiration;

    private static S3Exception Denied(string why) => S3Errors.AccessDenied("Invalid according to Policy: " + why);

    private static S3Exception Invalid(string why) => new("InvalidPolicyDocument", 400, "Invalid Policy: " + why);

    /// <summary>ISO 8601 in UTC or with an offset, as AWS requires of "expiration" ("2007-12-01T12:00:00.000Z").</summary>
    private static readonly string[] ExpirationFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
    ];

    public static PostPolicy Parse(string base64)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid("Invalid JSON.");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("Invalid JSON.");
            if (!root.TryGetProperty("expiration", out var exp) || exp.ValueKind != JsonValueKind.String) throw Invalid("Policy missing expiration.");
            if (!DateTimeOffset.TryParseExact(exp.GetString(), ExpirationFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiration))
                throw Invalid($"Invalid 'expiration' value: '{exp.GetString()}'");
            var policy = new PostPolicy(expiration);
            if (!root.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array) throw Invalid("Policy missing conditions.");
            foreach (var c in conditions.EnumerateArray())
            {
                if (c.ValueKind == JsonValueKind.Object)
                {
                    var properties = c.EnumerateObject().ToList();
                    if (properties.Count != 1) throw Invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.");
                    policy._conditions.Add(("eq", properties[0].Name.ToLowerInvariant(), properties[0].Value.ToString()));
                    continue;
                }
                if (c.ValueKind != JsonValueKind.Array || c.GetArrayLength() != 3) throw Invalid("Invalid Condition.");
                var op = Text(c[0]).ToLowerInvariant();
                if (op == "content-length-range")
                {
                    policy.MinLength = Length(c[1]);
                    policy.MaxLength = Length(c[2]);
                    continue;
                }
                if (op is not ("eq" or "starts-with")) throw Invalid($"Invalid condition operator {op}.");
                var field = Text(c[1]);
                if (!field.StartsWith('$')) throw Invalid("Condition field must start with '$'.");
                policy._conditions.Add((op, field[1..].ToLowerInvariant(), Text(c[2])));
            }
            return policy;
        }
    }

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Invalid("Invalid Condition.");

    private static long Length(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n) ? n
        : e.ValueKind == JsonValueKind.String && long.TryParse(e.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n) ? n
        : throw Invalid("Invalid content-length-range.");

    /// <summary>Checks expiration and every condition against the form fields (names lowercased), and that no field goes unmentioned.</summary>
    public void Check(IReadOnlyDictionary<string, string> fields, string bucket, DateTimeOffset now)
    {
        if (now > Expiration) throw Denied("Policy expired.");
        string Value(string field) => field == "bucket" ? bucket : fields.GetValueOrDefault(field) ?? "";
        foreach (var (kind, field, value) in _conditions)
        {
            var actual = Value(field);
            var ok = kind == "eq" ? actual == value : actual.StartsWith(value, StringComparison.Ordinal);
            if (!ok) throw Denied($"Policy Condition failed: [\"{kind}\", \"${field}\", \"{value}\"]");
        }
        foreach (var field in fields.Keys)
        {
            // The body's checksum describes the file, not the form, and is verified against it; S3 exempts it too.
            if (Exempt.Contains(field) || field.StartsWith("x-ignore-", StringComparison.Ordinal)
                || field.StartsWith("x-amz-checksum-", StringComparison.Ordinal)) continue;
            if (!_conditions.Any(c => c.Field == field)) throw Denied($"Extra input fields: {field}");
        }
    }
}
