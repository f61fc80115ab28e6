using System.Buffers;
using System.Text;
using System.Text.Json;
using Xos.Server.Storage;

namespace Xos.Server.Notifications;

/// <summary>An event waiting in the outbox for one target: the target's ARN and the message (the Records JSON).</summary>
public sealed record OutboxEvent(string Target, string Payload);

/// <summary>
/// Who and what is changing objects in a bucket that has notification rules: handed to the metadata store with the
/// change, so that the store writes the events the rules ask for in the same transaction as the change itself.
/// </summary>
/// <param name="Action">
/// The event a write causes ("ObjectCreated:Put"), or for deletions the family ("ObjectRemoved", "LifecycleExpiration")
/// that the store completes with ":Delete" or ":DeleteMarkerCreated" once it knows which happened.
/// </param>
public sealed record EventOrigin(BucketRecord Bucket, NotificationConfiguration Rules, string Action, string PrincipalId, string SourceIp,
    string RequestId, string Region)
{
    /// <summary>
    /// The sequencer is written into the message when it is sent (<see cref="EventMessage.Compose"/>), from the outbox
    /// row's id: ids grow in the order the key lock lets the writes of one key commit, so they order the events of a key
    /// as S3's sequencer does. A whole message in the outbox (the s3:TestEvent, or one queued by an older server) has this empty slot.
    /// </summary>
    public const string SequencerSlot = "\"sequencer\":\"\"";

    /// <summary>The events the rules ask for when <paramref name="eventName"/> happens to <paramref name="key"/>; none usually.</summary>
    public List<OutboxEvent>? Render(string eventName, string key, long size, string? eTag, string? versionId, DateTimeOffset time)
    {
        List<OutboxEvent>? events = null;
        foreach (var rule in Rules.Rules)
        {
            if (!rule.Matches(eventName, key)) continue;
            (events ??= []).Add(new OutboxEvent(rule.Arn,
                EventMessage.Compact(eventName, time, Region, PrincipalId, SourceIp, RequestId, rule.Id, Bucket.Name, Bucket.OwnerId, key, size, eTag, versionId)));
        }
        return events;
    }

    /// <summary>The message as sent: <see cref="SequencerSlot"/> filled with the outbox id, 16 upper-case hex digits.</summary>
    public static string WithSequencer(string payload, long id)
    {
        var at = payload.IndexOf(SequencerSlot, StringComparison.Ordinal);
        return at < 0 ? payload : payload[..at] + "\"sequencer\":\"" + EventMessage.Sequencer(id) + "\"" + payload[(at + SequencerSlot.Length)..];
    }

    private const string BucketSlot = "\"bucket\":{\"name\":\"";
    private const string KeySlot = "\"object\":{\"key\":\"";

    /// <summary>
    /// What orders a whole message among the others: its bucket and key (as the message spells them), which the
    /// servers that queued whole messages wrote in a fixed shape. Events of one bucket and key must reach a target in outbox order;
    /// those of different keys may travel side by side. A message without them (s3:TestEvent) gets "".
    /// </summary>
    public static string OrderKey(string payload)
    {
        var bucket = payload.IndexOf(BucketSlot, StringComparison.Ordinal);
        var key = bucket < 0 ? -1 : payload.IndexOf(KeySlot, bucket, StringComparison.Ordinal);
        if (key < 0) return "";
        bucket += BucketSlot.Length;
        key += KeySlot.Length;
        var bucketEnd = payload.IndexOf('"', bucket);
        var keyEnd = payload.IndexOf('"', key);
        if (bucketEnd < 0 || keyEnd < 0) return "";
        // As the message spells it, JSON-escaped ("+" is \u002B); unescaped, the key is as EncodeKey wrote it.
        return string.Concat(Unescape(payload.AsSpan(bucket, bucketEnd - bucket)), "/", Unescape(payload.AsSpan(key, keyEnd - key)));
    }

    private static string Unescape(ReadOnlySpan<char> json)
    {
        if (!json.Contains('\\')) return json.ToString();
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes("\"" + json.ToString() + "\""));
            return reader.Read() ? reader.GetString() ?? "" : json.ToString();
        }
        catch (JsonException)
        {
            return json.ToString();
        }
    }

    /// <summary>
    /// The key as S3 writes it in event messages: URL-encoded as an HTML form encodes it (a space is '+'), except '/'.
    /// Unreserved characters (letters, digits, '-', '_', '.', '*') stay; every other UTF-8 byte is %XX.
    /// </summary>
    public static string EncodeKey(string key)
    {
        var sb = new StringBuilder(key.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*' or '/') sb.Append(c);
            else if (c == ' ') sb.Append('+');
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>The s3:TestEvent S3 sends to each destination when a configuration is saved.</summary>
    public static string TestEvent(string bucket, string requestId, DateTimeOffset time)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("Service", "Amazon S3");
            w.WriteString("Event", "s3:TestEvent");
            w.WriteString("Time", Protocol.S3Xml.Timestamp(time));
            w.WriteString("Bucket", bucket);
            w.WriteString("RequestId", requestId);
            w.WriteString("HostId", requestId);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
