using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;
using System.Xml.Linq;
using Xos.Server.Protocol;

namespace Xos.Server.Notifications;

/// <summary>
/// One rule of a bucket's notification configuration: which element it came in (TopicConfiguration,
/// QueueConfiguration or CloudFunctionConfiguration), its Id, the target's ARN, the events it asks for
/// ("s3:ObjectCreated:*") and its key filter.
/// </summary>
public sealed record NotificationRule(string Element, string Id, string Arn, IReadOnlyList<string> Events, string Prefix = "", string Suffix = "")
{
    /// <summary>Whether the rule asks for <paramref name="eventName"/> ("ObjectCreated:Put") on <paramref name="key"/>.</summary>
    public bool Matches(string eventName, string key) =>
        key.StartsWith(Prefix, StringComparison.Ordinal) && key.EndsWith(Suffix, StringComparison.Ordinal)
        && Events.Any(e => EventTypes.Covers(e, eventName));
}

/// <summary>A bucket's notification configuration, stored as JSON in the bucket setting "notification".</summary>
public sealed record NotificationConfiguration(IReadOnlyList<NotificationRule> Rules)
{
    public const string SettingName = "notification";

    /// <summary>Parsed configurations by their stored text: every write to the bucket reads its rules.</summary>
    private static readonly Caching.ParsedByText<NotificationConfiguration> Parsed =
        new(static j => JsonSerializer.Deserialize(j, NotificationJson.Default.NotificationConfiguration)!);

    public string ToJson() => JsonSerializer.Serialize(this, NotificationJson.Default.NotificationConfiguration);

    public static NotificationConfiguration? FromJson(string? json) =>
        json is null ? null : Parsed.Get(json);

    private static readonly (string Element, string ArnElement)[] Elements =
        [("TopicConfiguration", "Topic"), ("QueueConfiguration", "Queue"), ("CloudFunctionConfiguration", "CloudFunction")];

    /// <summary>
    /// Reads a NotificationConfiguration document (PutBucketNotificationConfiguration, or the older PutBucketNotification,
    /// whose elements are the same) and checks it as S3 does, except for its destinations (see <see cref="Arns"/>).
    /// </summary>
    public static NotificationConfiguration Parse(XElement doc)
    {
        if (doc.Name.LocalName != "NotificationConfiguration") throw S3Errors.MalformedXml();
        var rules = new List<NotificationRule>();
        foreach (var child in doc.Elements())
        {
            var name = child.Name.LocalName;
            if (name == "EventBridgeConfiguration")
                throw S3Errors.InvalidArgument("EventBridge is not a destination this server can send to", "EventBridgeConfiguration", "");
            var kind = Array.FindIndex(Elements, e => e.Element == name);
            if (kind < 0) throw S3Errors.MalformedXml();
            var arn = child.ChildValue(Elements[kind].ArnElement)?.Trim();
            if (string.IsNullOrEmpty(arn)) throw S3Errors.MalformedXml();
            var events = child.Children("Event").Select(e => e.Value.Trim()).ToList();
            if (events.Count == 0) throw S3Errors.MalformedXml();
            foreach (var e in events)
                if (!EventTypes.IsSupported(e)) throw S3Errors.InvalidArgument("The event is not supported for notifications", "Event", e);
            var (prefix, suffix) = ParseFilter(child.Child("Filter"));
            var id = child.ChildValue("Id")?.Trim();
            if (string.IsNullOrEmpty(id)) id = NewId();
            if (id.Length > 255) throw S3Errors.InvalidArgument("The ID of a notification configuration must be at most 255 characters", "Id", id);
            rules.Add(new NotificationRule(name, id, arn, events.Distinct().ToList(), prefix, suffix));
        }
        if (rules.GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw S3Errors.InvalidArgument("Configuration IDs must be unique within a notification configuration", "Id", twice.Key);
        for (var i = 0; i < rules.Count; i++)
            for (var j = i + 1; j < rules.Count; j++)
                if (Overlap(rules[i], rules[j]))
                    throw S3Errors.InvalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                        "Event", rules[j].Events.First(e => rules[i].Events.Any(o => EventTypes.Overlap(e, o))));
        return new NotificationConfiguration(rules);
    }

    private static (string Prefix, string Suffix) ParseFilter(XElement? filter)
    {
        if (filter is null) return ("", "");
        if (filter.Child("S3Key") is not { } s3Key) throw S3Errors.MalformedXml();
        string? prefix = null, suffix = null;
        foreach (var rule in s3Key.Children("FilterRule"))
        {
            var name = rule.ChildValue("Name")?.Trim() ?? "";
            var value = rule.ChildValue("Value") ?? "";
            if (value.Length > 1024) throw S3Errors.InvalidArgument("The filter rule value must be at most 1024 characters", "FilterRule", name);
            switch (name.ToLowerInvariant())
            {
                case "prefix" when prefix is null: prefix = value; break;
                case "suffix" when suffix is null: suffix = value; break;
                case "prefix" or "suffix":
                    throw S3Errors.InvalidArgument($"Cannot specify more than one {name.ToLowerInvariant()} rule in a filter.", "FilterRule", name);
                default:
                    throw S3Errors.InvalidArgument("filter rule name must be either prefix or suffix", "FilterRule", name);
            }
        }
        return (prefix ?? "", suffix ?? "");
    }

    /// <summary>
    /// Two rules overlap, as S3 refuses them, when they share an event type and a key could pass both filters: one
    /// prefix starts the other, and one suffix ends the other.
    /// </summary>
    public static bool Overlap(NotificationRule a, NotificationRule b) =>
        a.Events.Any(x => b.Events.Any(y => EventTypes.Overlap(x, y)))
        && (a.Prefix.StartsWith(b.Prefix, StringComparison.Ordinal) || b.Prefix.StartsWith(a.Prefix, StringComparison.Ordinal))
        && (a.Suffix.EndsWith(b.Suffix, StringComparison.Ordinal) || b.Suffix.EndsWith(a.Suffix, StringComparison.Ordinal));

    /// <summary>The distinct target ARNs the rules name.</summary>
    public IEnumerable<string> Arns => Rules.Select(r => r.Arn).Distinct(StringComparer.Ordinal);

    /// <summary>GetBucketNotificationConfiguration's document: the rules in the elements they came in.</summary>
    public void Write(XmlWriter w)
    {
        foreach (var (element, arnElement) in Elements)
            foreach (var rule in Rules.Where(r => r.Element == element))
            {
                w.WriteStartElement(element);
                w.Element("Id", rule.Id);
                w.Element(arnElement, rule.Arn);
                foreach (var e in rule.Events) w.Element("Event", e);
                if (rule.Prefix.Length > 0 || rule.Suffix.Length > 0)
                {
                    w.WriteStartElement("Filter");
                    w.WriteStartElement("S3Key");
                    foreach (var (name, value) in new[] { ("prefix", rule.Prefix), ("suffix", rule.Suffix) })
                    {
                        if (value.Length == 0) continue;
                        w.WriteStartElement("FilterRule");
                        w.Element("Name", name);
                        w.Element("Value", value);
                        w.WriteEndElement();
                    }
                    w.WriteEndElement();
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
    }

    /// <summary>S3 names a rule sent without an Id with a random one.</summary>
    private static string NewId() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).TrimEnd('=');
}

[JsonSerializable(typeof(NotificationConfiguration))]
internal sealed partial class NotificationJson : JsonSerializerContext;
