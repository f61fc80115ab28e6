using System.Text.Json;
using Xos.Server.Protocol;

namespace Xos.Server.Auth.Policies;

public enum PolicyDecision { NotApplicable, Allow, Deny }

/// <summary>
/// Who is asking, as a policy's Principal element sees it: a user, the anonymous public, or (with <paramref name="Service"/>)
/// one of XOS's own services acting as the AWS service principal of that name (logging.s3.amazonaws.com).
/// </summary>
/// <remarks><paramref name="Arn"/> is the caller's IAM ARN (an IAM user's, or an account's :root), matched by ARN principals.</remarks>
/// <paramref name="RoleArn"/> is, for a session of a role, the role's ARN, which names its sessions.
public sealed record PolicyCaller(bool Anonymous, string? UserName, string? CanonicalId, string? Service = null, string? Arn = null, string? RoleArn = null);

/// <summary>One request to evaluate: the caller, the IAM action, the resource ARN and the condition context.</summary>
public sealed record PolicyRequest(PolicyCaller Caller, string Action, string Resource, IReadOnlyDictionary<string, string[]> Context);

public sealed record PolicyCondition(string Operator, string Key, string[] Values);

public sealed record PolicyStatement(
    string? Sid,
    bool Allow,
    IReadOnlyList<string>? Principals,
    bool NotPrincipal,
    IReadOnlyList<string> Actions,
    bool NotAction,
    IReadOnlyList<string> Resources,
    bool NotResource,
    IReadOnlyList<PolicyCondition> Conditions);

/// <summary>
/// A bucket policy (JSON, Version 2012-10-17): parsed and validated as S3 does, then evaluated per request.
/// Explicit Deny wins over Allow; a policy that says nothing about the request is NotApplicable.
/// </summary>
public sealed class PolicyDocument
{
    public const int MaxBytes = 20 * 1024;
    public IReadOnlyList<PolicyStatement> Statements { get; }

    private PolicyDocument(IReadOnlyList<PolicyStatement> statements) => Statements = statements;

    private static S3Exception Malformed(string message) => S3Errors.MalformedPolicy(message);

    /// <summary>Parses a bucket policy for <paramref name="bucket"/>; MalformedPolicy with AWS's wording when it is not valid.</summary>
    public static PolicyDocument Parse(string json, string bucket) => ParseFor(json, bucket);

    /// <summary>Parses an identity policy (a role's or an STS session's): no Principal, resources in any bucket.</summary>
    public static PolicyDocument ParseIdentity(string json) => ParseFor(json, null);

    /// <summary>What kind of document is parsed: which elements it must have and which actions and resources it may name.</summary>
    private enum Kind { Bucket, S3Identity, IamIdentity, Trust }

    /// <summary>An IAM identity policy (of an IAM user, group or role, or a managed policy): actions of any service, resources of any ARN.</summary>
    public static PolicyDocument ParseIam(string json) => ParseFor(json, null, Kind.IamIdentity);

    /// <summary>A role's trust policy: principals, sts: actions, no resources.</summary>
    public static PolicyDocument ParseTrust(string json) => ParseFor(json, null, Kind.Trust);

    private static PolicyDocument ParseFor(string json, string? bucket) => ParseFor(json, bucket, bucket is null ? Kind.S3Identity : Kind.Bucket);

    private static PolicyDocument ParseFor(string json, string? bucket, Kind kind)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxBytes) throw Malformed("Policies must be less than 20 KB");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw Malformed("Policies must be valid JSON and the first byte must be '{'");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Malformed("Policies must be valid JSON and the first byte must be '{'");
            if (root.TryGetProperty("Version", out var version) && version.GetString() is not ("2012-10-17" or "2008-10-17"))
                throw Malformed("The policy must contain a valid version string");
            if (!root.TryGetProperty("Statement", out var statement)) throw Malformed("Missing required field Statement");
            var list = statement.ValueKind switch
            {
                JsonValueKind.Array => statement.EnumerateArray().Select(s => ParseStatement(s, bucket, kind)).ToList(),
                JsonValueKind.Object => [ParseStatement(statement, bucket, kind)],
                _ => throw Malformed("Statement must be an object or an array"),
            };
            if (list.Count == 0) throw Malformed("Could not parse the policy: Statement is empty!");
            // IAM's policy grammar: a Sid names one statement of the document.
            if (kind is Kind.IamIdentity or Kind.Trust
                && list.Where(st => st.Sid is not null).GroupBy(st => st.Sid, StringComparer.Ordinal).Any(g => g.Count() > 1))
                throw Malformed("Statement IDs (SID) in a single policy must be unique.");
            return new PolicyDocument(list);
        }
    }

    private static IReadOnlyList<string> Strings(JsonElement e, string field)
    {
        return e.ValueKind switch
        {
            JsonValueKind.String => [e.GetString()!],
            JsonValueKind.Array => e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Malformed($"{field} must be a string or an array of strings")).ToList(),
            _ => throw Malformed($"{field} must be a string or an array of strings"),
        };
    }

    private static PolicyStatement ParseStatement(JsonElement s, string? bucket, Kind kind)
    {
        if (s.ValueKind != JsonValueKind.Object) throw Malformed("Statement must be an object");
        string? sid = s.TryGetProperty("Sid", out var sidElement) ? sidElement.GetString() : null;
        var effect = s.TryGetProperty("Effect", out var e) ? e.GetString() : throw Malformed("Missing required field Effect");
        if (effect is not ("Allow" or "Deny")) throw Malformed("Invalid effect: " + effect);

        IReadOnlyList<string>? principals = null;
        var notPrincipal = false;
        if (kind is Kind.S3Identity or Kind.IamIdentity)
        {
            if (s.TryGetProperty("Principal", out _) || s.TryGetProperty("NotPrincipal", out _)) throw Malformed("Policy document should not specify a principal.");
        }
        else if (s.TryGetProperty("Principal", out var p)) principals = ParsePrincipal(p);
        else if (s.TryGetProperty("NotPrincipal", out var np))
        {
            // "Allow everyone except X" grants access to every principal nobody listed, anonymous included: refused as RGW does.
            if (effect == "Allow") throw Malformed("Invalid principal in policy: NotPrincipal can only be used with Deny");
            principals = ParsePrincipal(np);
            notPrincipal = true;
        }
        else throw Malformed("Missing required field Principal");

        var (actions, notAction) = s.TryGetProperty("Action", out var a) ? (Strings(a, "Action"), false)
            : s.TryGetProperty("NotAction", out var na) ? (Strings(na, "NotAction"), true) : throw Malformed("Missing required field Action");
        var anyService = kind is Kind.IamIdentity or Kind.Trust;
        foreach (var action in actions)
            if (action != "*" && !(anyService ? IsServiceAction(action) : action.StartsWith("s3:", StringComparison.OrdinalIgnoreCase)))
                throw Malformed("Policy has invalid action");

        var (resources, notResource) = s.TryGetProperty("Resource", out var r) ? (Strings(r, "Resource"), false)
            : s.TryGetProperty("NotResource", out var nr) ? (Strings(nr, "NotResource"), true)
            : kind == Kind.Trust ? (["*"], false) : throw Malformed("Missing required field Resource");
        resources = resources.Select(NormalizeResource).ToList();
        foreach (var resource in resources)
            if (!(anyService ? resource == "*" || resource.StartsWith("arn:", StringComparison.Ordinal) : RefersTo(resource, bucket)))
                throw Malformed("Policy has invalid resource");

        var conditions = new List<PolicyCondition>();
        if (s.TryGetProperty("Condition", out var c))
        {
            if (c.ValueKind != JsonValueKind.Object) throw Malformed("Condition must be an object");
            foreach (var op in c.EnumerateObject())
            {
                if (!PolicyConditions.IsKnownOperator(op.Name)) throw Malformed($"Invalid Condition type : {op.Name}");
                if (op.Value.ValueKind != JsonValueKind.Object) throw Malformed("Condition block must be an object");
                foreach (var key in op.Value.EnumerateObject())
                    conditions.Add(new PolicyCondition(op.Name, key.Name, key.Value.ValueKind == JsonValueKind.Array
                        ? key.Value.EnumerateArray().Select(v => v.ToString()).ToArray()
                        : [key.Value.ToString()]));
            }
        }
        return new PolicyStatement(sid, effect == "Allow", principals, notPrincipal, actions, notAction, resources, notResource, conditions);
    }

    private static IReadOnlyList<string> ParsePrincipal(JsonElement p)
    {
        if (p.ValueKind == JsonValueKind.String)
            return p.GetString() == "*" ? ["*"] : throw Malformed("Invalid principal in policy");
        if (p.ValueKind != JsonValueKind.Object) throw Malformed("Invalid principal in policy");
        var list = new List<string>();
        foreach (var kind in p.EnumerateObject())
        {
            // Service principals name no XOS user; logging.s3.amazonaws.com is XOS's log delivery (see Authorizer.AllowsLogDelivery).
            var prefix = kind.Name switch
            {
                "AWS" => "",
                "CanonicalUser" => "canonical:",
                "Service" => "service:",
                _ => throw Malformed("Invalid principal in policy"),
            };
            list.AddRange(Strings(kind.Value, "Principal").Select(v => prefix + v));
        }
        return list;
    }

    /// <summary>"service:Action" with a service prefix of letters, digits and '-', the action possibly a wildcard.</summary>
    private static bool IsServiceAction(string action)
    {
        var colon = action.IndexOf(':');
        return colon > 0 && colon < action.Length - 1 && action[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
    }

    /// <summary>"arn:aws:s3:::bucket//*" (as the SDK guide writes it) means "arn:aws:s3:::bucket/*".</summary>
    private static string NormalizeResource(string resource)
    {
        const string prefix = "arn:aws:s3:::";
        if (!resource.StartsWith(prefix, StringComparison.Ordinal)) return resource;
        var slash = resource.IndexOf('/', prefix.Length);
        while (slash > 0 && slash + 1 < resource.Length && resource[slash + 1] == '/') resource = resource.Remove(slash + 1, 1);
        return resource;
    }

    private static bool RefersTo(string resource, string? bucket)
    {
        const string prefix = "arn:aws:s3:::";
        if (resource == "*") return true;
        if (!resource.StartsWith(prefix, StringComparison.Ordinal)) return false;
        if (bucket is null) return true;
        var rest = resource[prefix.Length..];
        var slash = rest.IndexOf('/');
        var bucketPart = slash < 0 ? rest : rest[..slash];
        return Wildcard.Match(bucketPart, bucket, ignoreCase: false);
    }

    /// <summary>Condition keys that tie a statement to fixed callers or networks, so that a "*" principal is not the public.</summary>
    private static readonly string[] RestrictingKeys =
    [
        "aws:SourceIp", "aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceVpc", "aws:SourceVpce",
        "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:userid", "aws:username",
    ];

    /// <summary>
    /// Whether the policy grants anything to everyone, as S3's PolicyStatus judges it: an Allow for the "*" principal
    /// whose conditions, if any, do not pin the caller with one of <see cref="RestrictingKeys"/>.
    /// </summary>
    public bool IsPublic => Statements.Any(s =>
        s.Allow && !s.NotPrincipal && s.Principals is { } principals && principals.Contains("*")
        && !s.Conditions.Any(c => c.Operator != "Null" && !c.Operator.Contains("Not", StringComparison.Ordinal)
                                  && RestrictingKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)));

    /// <summary>Several identity policies together: a Deny in any wins, else an Allow in any allows.</summary>
    public static PolicyDecision EvaluateAll(IEnumerable<PolicyDocument> documents, PolicyRequest request)
    {
        var decision = PolicyDecision.NotApplicable;
        foreach (var document in documents)
            switch (document.Evaluate(request))
            {
                case PolicyDecision.Deny:
                    return PolicyDecision.Deny;
                case PolicyDecision.Allow:
                    decision = PolicyDecision.Allow;
                    break;
            }
        return decision;
    }

    public PolicyDecision Evaluate(PolicyRequest request)
    {
        var allowed = false;
        foreach (var s in Statements)
        {
            if (!Applies(s, request)) continue;
            if (!s.Allow) return PolicyDecision.Deny;
            allowed = true;
        }
        return allowed ? PolicyDecision.Allow : PolicyDecision.NotApplicable;
    }

    private static bool Applies(PolicyStatement s, PolicyRequest r)
    {
        if (s.Principals is not null && MatchesPrincipal(s.Principals, r.Caller) == s.NotPrincipal) return false;
        if (s.Actions.Any(a => Wildcard.Match(a, r.Action, ignoreCase: true)) == s.NotAction) return false;
        if (s.Resources.Any(p => Wildcard.Match(p, r.Resource, ignoreCase: false)) == s.NotResource) return false;
        return s.Conditions.All(c => PolicyConditions.Holds(c, r.Context));
    }

    private static bool MatchesPrincipal(IReadOnlyList<string> principals, PolicyCaller caller) =>
        principals.Any(p => PrincipalMatches(p, caller));

    private static bool PrincipalMatches(string principal, PolicyCaller caller)
    {
        // A service is named only by its own principal: "*" ({"AWS": "*"}) means every account, not every service.
        if (caller.Service is not null) return principal == "service:" + caller.Service;
        if (principal == "*") return true;
        if (caller.Anonymous || principal.StartsWith("service:", StringComparison.Ordinal)) return false;
        if (principal.StartsWith("canonical:", StringComparison.Ordinal)) return principal["canonical:".Length..] == caller.CanonicalId;
        if (principal == caller.CanonicalId) return true;
        // The account (arn:aws:iam::ACCOUNT:root) stands for its root and its IAM users; an IAM user's own ARN for that user.
        if (caller.CanonicalId is not null && principal == $"arn:aws:iam::{caller.CanonicalId}:root") return true;
        if (caller.Arn is not null && principal.Contains(":user/", StringComparison.Ordinal) && Wildcard.Match(principal, caller.Arn, ignoreCase: false)) return true;
        if (principal == caller.RoleArn || (caller.RoleArn is not null && principal == caller.Arn)) return true;
        // XOS accounts by name: arn:aws:iam::user/NAME, arn:aws:iam:::user/NAME, arn:aws:iam::ACCOUNT:user/NAME; NAME may be "*".
        var at = principal.IndexOf(":user/", StringComparison.Ordinal);
        if (!principal.StartsWith("arn:aws:iam:", StringComparison.Ordinal) || at < 0 || caller.UserName is null) return false;
        var name = principal[(at + ":user/".Length)..];
        return name == "*" || name == caller.UserName;
    }
}

/// <summary>IAM wildcards: '*' any run of characters, '?' any one character.</summary>
public static class Wildcard
{
    public static bool Match(string pattern, string value, bool ignoreCase)
    {
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], value[v], ignoreCase)))
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) => ignoreCase ? char.ToLowerInvariant(a) == char.ToLowerInvariant(b) : a == b;
}
