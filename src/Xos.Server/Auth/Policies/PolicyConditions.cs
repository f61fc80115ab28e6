using System.Globalization;
using System.Net;

namespace Xos.Server.Auth.Policies;

/// <summary>
/// The Condition operators of IAM policies. Values of one key are OR'ed; keys and operators are AND'ed by the caller.
/// A key missing from the request makes the condition false, except for the ...IfExists forms, the negated operators
/// (StringNotEquals, StringNotLike, ArnNotLike...: nothing to mismatch), ForAllValues (an empty set) and Null, as IAM documents.
/// </summary>
public static class PolicyConditions
{
    private static readonly string[] Operators =
    [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    ];

    private static (string Qualifier, string Operator, bool IfExists) Split(string name)
    {
        var qualifier = "";
        var colon = name.IndexOf(':');
        if (colon > 0)
        {
            qualifier = name[..colon];
            name = name[(colon + 1)..];
        }
        var ifExists = name.EndsWith("IfExists", StringComparison.Ordinal);
        return (qualifier, ifExists ? name[..^"IfExists".Length] : name, ifExists);
    }

    public static bool IsKnownOperator(string name)
    {
        if (name == "Null") return true;
        var (qualifier, op, _) = Split(name);
        return qualifier is "" or "ForAnyValue" or "ForAllValues" && Operators.Contains(op);
    }

    public static bool Holds(PolicyCondition condition, IReadOnlyDictionary<string, string[]> context)
    {
        var present = TryGet(context, condition.Key, out var actual);
        if (condition.Operator == "Null")
        {
            var wantsNull = condition.Values.Any(v => v.Equals("true", StringComparison.OrdinalIgnoreCase));
            return wantsNull != present;
        }
        var (qualifier, op, ifExists) = Split(condition.Operator);
        var negated = op.Contains("Not", StringComparison.Ordinal);
        if (!present) return ifExists || qualifier == "ForAllValues" || (negated && qualifier == "");
        var positive = negated ? op.Replace("Not", "", StringComparison.Ordinal) : op;
        bool AnyMatch(string value) => condition.Values.Any(expected => Compare(positive, value, expected));
        return qualifier switch
        {
            "ForAllValues" => actual.All(v => AnyMatch(v) != negated),
            _ => negated ? !actual.Any(AnyMatch) : actual.Any(AnyMatch),
        };
    }

    private static bool TryGet(IReadOnlyDictionary<string, string[]> context, string key, out string[] values)
    {
        foreach (var (k, v) in context)
            if (k.Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                values = v;
                return true;
            }
        values = [];
        return false;
    }

    private static bool Compare(string op, string actual, string expected) => op switch
    {
        "StringEquals" => actual == expected,
        "StringEqualsIgnoreCase" => actual.Equals(expected, StringComparison.OrdinalIgnoreCase),
        "StringLike" or "ArnLike" => Wildcard.Match(expected, actual, ignoreCase: false),
        "ArnEquals" => actual == expected,
        "Bool" => actual.Equals(expected, StringComparison.OrdinalIgnoreCase),
        "NumericEquals" => Numbers(actual, expected) is var (a, e) && a == e,
        "NumericLessThan" => Numbers(actual, expected) is var (a, e) && a < e,
        "NumericLessThanEquals" => Numbers(actual, expected) is var (a, e) && a <= e,
        "NumericGreaterThan" => Numbers(actual, expected) is var (a, e) && a > e,
        "NumericGreaterThanEquals" => Numbers(actual, expected) is var (a, e) && a >= e,
        "DateEquals" => Dates(actual, expected) is var (a, e) && a == e,
        "DateLessThan" => Dates(actual, expected) is var (a, e) && a < e,
        "DateLessThanEquals" => Dates(actual, expected) is var (a, e) && a <= e,
        "DateGreaterThan" => Dates(actual, expected) is var (a, e) && a > e,
        "DateGreaterThanEquals" => Dates(actual, expected) is var (a, e) && a >= e,
        "IpAddress" => InRange(actual, expected),
        _ => false,
    };

    private static (double, double) Numbers(string a, string e) =>
        double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(e, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            ? (x, y) : (double.NaN, double.NaN);

    private static (DateTimeOffset, DateTimeOffset) Dates(string a, string e) => (ParseDate(a), ParseDate(e));

    private static DateTimeOffset ParseDate(string s) =>
        long.TryParse(s, out var epoch) ? DateTimeOffset.FromUnixTimeSeconds(epoch)
        : DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : DateTimeOffset.MinValue;

    private static bool InRange(string address, string cidr)
    {
        if (!IPAddress.TryParse(address, out var ip)) return false;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return cidr.Contains('/') ? IPNetwork.TryParse(cidr, out var network) && network.Contains(ip)
            : IPAddress.TryParse(cidr, out var single) && single.Equals(ip);
    }
}
