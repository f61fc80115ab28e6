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

    public static PostPolicy Parse(string base64)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw S3Errors.InvalidArgument("Invalid Policy: Invalid JSON.", "policy", "");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("expiration", out var exp) || exp.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(exp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiration))
                throw S3Errors.InvalidArgument("Invalid Policy: Policy missing expiration.", "policy", "");
            var policy = new PostPolicy(expiration);
            if (!root.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
                throw S3Errors.InvalidArgument("Invalid Policy: Policy missing conditions.", "policy", "");
            foreach (var c in conditions.EnumerateArray())
            {
                if (c.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in c.EnumerateObject()) policy._conditions.Add(("eq", p.Name.ToLowerInvariant(), p.Value.ToString()));
                    continue;
                }
                if (c.ValueKind != JsonValueKind.Array || c.GetArrayLength() != 3) throw S3Errors.InvalidArgument("Invalid Policy: Invalid Condition.", "policy", "");
                var op = c[0].GetString()?.ToLowerInvariant();
                if (op == "content-length-range")
                {
                    policy.MinLength = c[1].ValueKind == JsonValueKind.Number ? c[1].GetInt64() : long.Parse(c[1].GetString()!, CultureInfo.InvariantCulture);
                    policy.MaxLength = c[2].ValueKind == JsonValueKind.Number ? c[2].GetInt64() : long.Parse(c[2].GetString()!, CultureInfo.InvariantCulture);
                    continue;
                }
                if (op is not ("eq" or "starts-with")) throw S3Errors.InvalidArgument($"Invalid Policy: Invalid condition operator {op}.", "policy", "");
                var field = c[1].GetString() ?? "";
                if (!field.StartsWith('$')) throw S3Errors.InvalidArgument("Invalid Policy: Condition field must start with '$'.", "policy", "");
                policy._conditions.Add((op, field[1..].ToLowerInvariant(), c[2].GetString() ?? ""));
            }
            return policy;
        }
    }

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
            if (Exempt.Contains(field) || field.StartsWith("x-ignore-", StringComparison.Ordinal)) continue;
            if (!_conditions.Any(c => c.Field == field)) throw Denied($"Extra input fields: {field}");
        }
    }
}
