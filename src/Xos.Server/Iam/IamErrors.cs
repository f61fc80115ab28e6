using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xos.Server.Auth;
using Xos.Server.Auth.Policies;
using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>IAM's error codes with their HTTP statuses.</summary>
public static class IamErrors
{
    public static S3Exception Validation(string message) => new("ValidationError", 400, message);
    public static S3Exception InvalidInput(string message) => new("InvalidInput", 400, message);
    public static S3Exception NoSuchEntity(string message) => new("NoSuchEntity", 404, message);
    public static S3Exception Exists(string message) => new("EntityAlreadyExists", 409, message);
    public static S3Exception DeleteConflict(string message) => new("DeleteConflict", 409, message);
    public static S3Exception LimitExceeded(string message) => new("LimitExceeded", 409, message);
    public static S3Exception MalformedPolicy(string message) => new("MalformedPolicyDocument", 400, message);

    public static S3Exception AccessDenied(Identity caller, string action, string resource) =>
        new("AccessDenied", 403, $"User: {caller.Arn} is not authorized to perform: iam:{action} on resource: {resource}");
}

/// <summary>IAM's rules for names, paths, policy documents and paging.</summary>
public static partial class IamRules
{
    [GeneratedRegex(@"^[\w+=,.@-]+$")]
    private static partial Regex NameChars();

    [GeneratedRegex(@"^(/|/[\u0021-\u007E]+/)$")]
    private static partial Regex PathShape();

    [GeneratedRegex(@"^/[\u0021-\u007F]*$")]
    private static partial Regex PathPrefixShape();

    /// <summary>A user, group, role or policy name: 1-<paramref name="max"/> of letters, digits and +=,.@_-.</summary>
    public static string Name(IamCall call, string parameter, int max)
    {
        var value = call.Required(parameter);
        var field = char.ToLowerInvariant(parameter[0]) + parameter[1..];
        if (value.Length < 1 || value.Length > max)
            throw IamErrors.Validation($"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}");
        if (!NameChars().IsMatch(value))
            throw IamErrors.Validation($"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
        return value;
    }

    /// <summary>An optional Path: "/" or "/.../" of printable ASCII, at most 512 characters; "/" when absent.</summary>
    public static string Path(IamCall call, string parameter = "Path")
    {
        var value = call.Optional(parameter);
        if (value is null) return "/";
        if (value.Length > 512 || !PathShape().IsMatch(value))
            throw IamErrors.Validation($"The specified value for {char.ToLowerInvariant(parameter[0])}{parameter[1..]} is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.");
        return value;
    }

    public static string PathPrefix(IamCall call)
    {
        var value = call.Optional("PathPrefix") ?? "/";
        if (value.Length > 512 || !PathPrefixShape().IsMatch(value))
            throw IamErrors.Validation("The specified value for pathPrefix is invalid. It must begin with / and contain only printable ASCII characters.");
        return value;
    }

    public const int MaxInlinePolicyChars = 10240;
    public const int MaxManagedPolicyChars = 6144;

    /// <summary>A policy document that parses as an IAM identity policy (or, <paramref name="trust"/>, a role's trust policy).</summary>
    public static string PolicyDocument(IamCall call, string parameter, int maxChars, bool trust = false)
    {
        var text = call.Required(parameter);
        if (text.Length < 1) throw IamErrors.Validation($"1 validation error detected: Value at '{char.ToLowerInvariant(parameter[0])}{parameter[1..]}' failed to satisfy constraint: Member must have length greater than or equal to 1");
        if (text.Length > 131072) throw IamErrors.Validation($"1 validation error detected: Value at '{char.ToLowerInvariant(parameter[0])}{parameter[1..]}' failed to satisfy constraint: Member must have length less than or equal to 131072");
        try
        {
            if (trust) Auth.Policies.PolicyDocument.ParseTrust(text);
            else Auth.Policies.PolicyDocument.ParseIam(text);
        }
        catch (S3Exception e) when (e.Code == "MalformedPolicy")
        {
            throw IamErrors.MalformedPolicy(e.Message);
        }
        // Counted as IAM counts, without whitespace.
        if (text.Count(c => !char.IsWhiteSpace(c)) > maxChars)
            throw IamErrors.LimitExceeded($"Maximum policy size of {maxChars} bytes exceeded.");
        return text;
    }

    /// <summary>MaxItems (1-1000, default 100) and Marker: the page of <paramref name="items"/> to answer and the marker of the next.</summary>
    public static (IReadOnlyList<T> Page, string? NextMarker) Page<T>(IamCall call, IReadOnlyList<T> items)
    {
        var max = 100;
        if (call.Optional("MaxItems") is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > 1000))
            throw IamErrors.Validation($"1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000");
        var start = 0;
        if (call.Optional("Marker") is { } marker && (!int.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > items.Count))
            throw IamErrors.InvalidInput("Invalid Marker.");
        var page = items.Skip(start).Take(max).ToList();
        return (page, start + page.Count < items.Count ? (start + page.Count).ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>A unique id with IAM's prefix for its kind (AIDA users, AGPA groups, AROA roles, ANPA policies, AKIA keys).</summary>
    public static string NewId(string prefix) => prefix + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17);

}
