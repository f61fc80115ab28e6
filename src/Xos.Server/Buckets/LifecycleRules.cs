using System.Globalization;
using System.Text.Json.Serialization;
using System.Xml;
using System.Xml.Linq;
using Xos.Server.Objects;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>Which objects a lifecycle rule applies to: a key prefix, tags that must all be present, and size bounds.</summary>
public sealed record LifecycleFilter(string Prefix, List<ObjectTagging.Tag> Tags, long? SizeGreaterThan, long? SizeLessThan, bool UsesAnd, bool LegacyPrefix)
{
    public bool Matches(string key, IReadOnlyList<ObjectTagging.Tag> tags, long size) =>
        key.StartsWith(Prefix, StringComparison.Ordinal)
        && Tags.All(t => tags.Any(o => o.Key == t.Key && o.Value == t.Value))
        && (SizeGreaterThan is not { } gt || size > gt)
        && (SizeLessThan is not { } lt || size < lt);
}

public sealed record LifecycleTransition(int? Days, DateTimeOffset? Date, string StorageClass);
public sealed record NoncurrentTransition(int NoncurrentDays, string StorageClass, int? NewerNoncurrentVersions);

public sealed record LifecycleRule(
    string Id,
    bool Enabled,
    LifecycleFilter Filter,
    int? ExpirationDays,
    DateTimeOffset? ExpirationDate,
    bool ExpiredObjectDeleteMarker,
    List<LifecycleTransition> Transitions,
    int? NoncurrentExpirationDays,
    int? NewerNoncurrentVersions,
    List<NoncurrentTransition> NoncurrentTransitions,
    int? AbortIncompleteUploadDays);

/// <summary>Lifecycle configuration documents: S3's validation on the way in, the same XML on the way out.</summary>
public static class LifecycleRules
{
    public const int MaxRules = 1000;
    private static readonly string[] TransitionClasses = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"];

    private static S3Exception Invalid(string message) => S3Errors.InvalidArgument(message);

    private static int PositiveInt(string? text, string field)
    {
        if (!int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw Invalid($"{field} must be a positive integer");
        return n;
    }

    private static DateTimeOffset MidnightDate(string text)
    {
        if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)
            || d.TimeOfDay != TimeSpan.Zero)
            throw Invalid("'Date' must be at midnight GMT");
        return d;
    }

    public static List<LifecycleRule> Parse(XElement doc)
    {
        if (doc.Name.LocalName != "LifecycleConfiguration") throw S3Errors.MalformedXml();
        var rules = doc.Children("Rule").Select(ParseRule).ToList();
        if (rules.Count == 0) throw S3Errors.MalformedXml();
        if (rules.Count > MaxRules) throw Invalid("The number of lifecycle rules must not exceed the allowed limit of 1000 rules");
        var duplicate = rules.GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw Invalid("Rule ID must be unique. Found same ID for more than one rule");
        return rules;
    }

    private static LifecycleRule ParseRule(XElement r)
    {
        var id = r.ChildValue("ID") ?? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        if (id.Length > 255) throw Invalid("ID length should not exceed allowed limit of 255");
        var status = r.ChildValue("Status");
        if (status is not ("Enabled" or "Disabled")) throw S3Errors.MalformedXml();
        var filter = ParseFilter(r);

        int? expDays = null;
        DateTimeOffset? expDate = null;
        var expiredMarker = false;
        if (r.Child("Expiration") is { } exp)
        {
            if (exp.ChildValue("Days") is { } d) expDays = PositiveInt(d, "'Days' for Expiration action");
            if (exp.ChildValue("Date") is { } date) expDate = MidnightDate(date);
            if (exp.ChildValue("ExpiredObjectDeleteMarker") is { } m) expiredMarker = m.Trim() == "true";
            if (expDays is not null && expDate is not null) throw S3Errors.MalformedXml();
            if (expiredMarker && (expDays is not null || expDate is not null))
                throw Invalid("ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy");
            if (expDays is null && expDate is null && exp.ChildValue("ExpiredObjectDeleteMarker") is null) throw S3Errors.MalformedXml();
            if (expiredMarker && filter.Tags.Count > 0) throw Invalid("ExpiredObjectDeleteMarker cannot be specified with a Tag filter");
        }

        var transitions = new List<LifecycleTransition>();
        foreach (var t in r.Children("Transition"))
        {
            var sc = t.ChildValue("StorageClass") ?? throw S3Errors.MalformedXml();
            if (!TransitionClasses.Contains(sc)) throw Invalid($"'StorageClass' must be one of {string.Join(", ", TransitionClasses)}");
            int? days = t.ChildValue("Days") is { } d ? int.TryParse(d, out var n) && n >= 0 ? n : throw Invalid("'Days' in Transition action must be a non-negative integer") : null;
            DateTimeOffset? date = t.ChildValue("Date") is { } ds ? MidnightDate(ds) : null;
            if ((days is null) == (date is null)) throw S3Errors.MalformedXml();
            transitions.Add(new LifecycleTransition(days, date, sc));
        }
        if (transitions.Select(t => t.StorageClass).Distinct().Count() != transitions.Count)
            throw Invalid("'StorageClass' must be different for 'Transition' actions in same 'Rule'");
        if (expDays is { } ed && transitions.Any(t => t.Days >= ed))
            throw Invalid("'Days' in the Expiration action must be greater than 'Days' in the Transition action");

        int? ncDays = null, newer = null;
        if (r.Child("NoncurrentVersionExpiration") is { } nce)
        {
            ncDays = PositiveInt(nce.ChildValue("NoncurrentDays"), "'NoncurrentDays' for NoncurrentVersionExpiration action");
            if (nce.ChildValue("NewerNoncurrentVersions") is { } nv) newer = PositiveInt(nv, "'NewerNoncurrentVersions'");
        }
        var ncTransitions = new List<NoncurrentTransition>();
        foreach (var t in r.Children("NoncurrentVersionTransition"))
        {
            var sc = t.ChildValue("StorageClass") ?? throw S3Errors.MalformedXml();
            if (!TransitionClasses.Contains(sc)) throw Invalid($"'StorageClass' must be one of {string.Join(", ", TransitionClasses)}");
            var days = int.TryParse(t.ChildValue("NoncurrentDays"), out var n) && n >= 0 ? n : throw Invalid("'NoncurrentDays' in NoncurrentVersionTransition action must be a non-negative integer");
            int? nv = t.ChildValue("NewerNoncurrentVersions") is { } nvs ? PositiveInt(nvs, "'NewerNoncurrentVersions'") : null;
            ncTransitions.Add(new NoncurrentTransition(days, sc, nv));
        }

        int? abortDays = null;
        if (r.Child("AbortIncompleteMultipartUpload") is { } abort)
        {
            abortDays = PositiveInt(abort.ChildValue("DaysAfterInitiation"), "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action");
            if (filter.Tags.Count > 0) throw Invalid("Tag-based filter cannot be used with AbortIncompleteMultipartUpload action");
        }

        if (expDays is null && expDate is null && !expiredMarker && r.Child("Expiration") is null && transitions.Count == 0 && ncDays is null
            && ncTransitions.Count == 0 && abortDays is null)
            throw S3Errors.InvalidRequest("At least one action needs to be specified in a rule");
        return new LifecycleRule(id, status == "Enabled", filter, expDays, expDate, expiredMarker, transitions, ncDays, newer, ncTransitions, abortDays);
    }

    private static LifecycleFilter ParseFilter(XElement r)
    {
        var legacyPrefix = r.ChildValue("Prefix");
        var filter = r.Child("Filter");
        if (filter is not null && legacyPrefix is not null) throw S3Errors.MalformedXml();
        if (filter is null) return new LifecycleFilter(legacyPrefix ?? "", [], null, null, false, legacyPrefix is not null);
        var and = filter.Child("And");
        var source = and ?? filter;
        var direct = filter.Elements().Count();
        if (and is null && direct > 1) throw S3Errors.MalformedXml();
        var tags = source.Children("Tag").Select(t => new ObjectTagging.Tag(t.ChildValue("Key") ?? throw S3Errors.MalformedXml(), t.ChildValue("Value") ?? "")).ToList();
        if (tags.Select(t => t.Key).Distinct().Count() != tags.Count) throw Invalid("Duplicate Tag Keys are not allowed.");
        long? gt = source.ChildValue("ObjectSizeGreaterThan") is { } g ? long.Parse(g) : null;
        long? lt = source.ChildValue("ObjectSizeLessThan") is { } l ? long.Parse(l) : null;
        if (gt is not null && lt is not null && gt >= lt) throw Invalid("ObjectSizeGreaterThan must be less than ObjectSizeLessThan");
        return new LifecycleFilter(source.ChildValue("Prefix") ?? "", tags, gt, lt, and is not null, false);
    }

    public static void Write(XmlWriter w, IEnumerable<LifecycleRule> rules)
    {
        foreach (var r in rules)
        {
            w.WriteStartElement("Rule");
            w.Element("ID", r.Id);
            if (r.Filter.LegacyPrefix) w.Element("Prefix", r.Filter.Prefix);
            else WriteFilter(w, r.Filter);
            w.Element("Status", r.Enabled ? "Enabled" : "Disabled");
            foreach (var t in r.Transitions)
            {
                w.WriteStartElement("Transition");
                if (t.Days is { } d) w.Element("Days", d);
                if (t.Date is { } date) w.Element("Date", Iso(date));
                w.Element("StorageClass", t.StorageClass);
                w.WriteEndElement();
            }
            if (r.ExpirationDays is not null || r.ExpirationDate is not null || r.ExpiredObjectDeleteMarker)
            {
                w.WriteStartElement("Expiration");
                if (r.ExpirationDays is { } d) w.Element("Days", d);
                if (r.ExpirationDate is { } date) w.Element("Date", Iso(date));
                if (r.ExpiredObjectDeleteMarker) w.Element("ExpiredObjectDeleteMarker", true);
                w.WriteEndElement();
            }
            foreach (var t in r.NoncurrentTransitions)
            {
                w.WriteStartElement("NoncurrentVersionTransition");
                w.Element("NoncurrentDays", t.NoncurrentDays);
                w.Element("StorageClass", t.StorageClass);
                if (t.NewerNoncurrentVersions is { } nv) w.Element("NewerNoncurrentVersions", nv);
                w.WriteEndElement();
            }
            if (r.NoncurrentExpirationDays is { } nc)
            {
                w.WriteStartElement("NoncurrentVersionExpiration");
                w.Element("NoncurrentDays", nc);
                if (r.NewerNoncurrentVersions is { } nv) w.Element("NewerNoncurrentVersions", nv);
                w.WriteEndElement();
            }
            if (r.AbortIncompleteUploadDays is { } a)
            {
                w.WriteStartElement("AbortIncompleteMultipartUpload");
                w.Element("DaysAfterInitiation", a);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
    }

    private static void WriteFilter(XmlWriter w, LifecycleFilter f)
    {
        w.WriteStartElement("Filter");
        if (f.UsesAnd) w.WriteStartElement("And");
        if (f.Prefix.Length > 0 || (!f.UsesAnd && f.Tags.Count == 0 && f.SizeGreaterThan is null && f.SizeLessThan is null)) w.Element("Prefix", f.Prefix);
        foreach (var t in f.Tags)
        {
            w.WriteStartElement("Tag");
            w.Element("Key", t.Key);
            w.Element("Value", t.Value);
            w.WriteEndElement();
        }
        if (f.SizeGreaterThan is { } gt) w.Element("ObjectSizeGreaterThan", gt);
        if (f.SizeLessThan is { } lt) w.Element("ObjectSizeLessThan", lt);
        if (f.UsesAnd) w.WriteEndElement();
        w.WriteEndElement();
    }

    private static string Iso(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

[JsonSerializable(typeof(List<LifecycleRule>))]
internal sealed partial class LifecycleJson : JsonSerializerContext;
