using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Xos.Server.Notifications;

/// <summary>
/// An object event as the outbox keeps it, and the Records message it becomes when it is sent. The outbox row holds
/// only what varies from event to event, as a JSON array: [1, eventName, time (ms), region, principalId, sourceIp,
/// requestId, configurationId, bucket, bucketOwner, key, size, eTag, versionId] (size and eTag null for removals,
/// versionId null when unversioned). About a third of the message (310 bytes against some 950 for a PUT), it costs the write's transaction fewer pages; the
/// message, with its sequencer, is written by the delivery worker. Rows that hold a whole message (the s3:TestEvent,
/// and events queued by servers before this form) start with '{' and are sent as they are, with their sequencer filled in.
/// </summary>
public static class EventMessage
{
    private const int Form = 1;

    /// <summary>An event's sequencer, and the id senders give receivers to drop repeats by: its outbox id in 16 upper-case hex digits.</summary>
    public static string Sequencer(long id) => id.ToString("X16", CultureInfo.InvariantCulture);

    /// <summary>The outbox row of an object event.</summary>
    public static string Compact(string eventName, DateTimeOffset time, string region, string principalId, string sourceIp, string requestId,
        string configurationId, string bucket, string bucketOwner, string key, long size, string? eTag, string? versionId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(Form);
            w.WriteStringValue(eventName);
            w.WriteNumberValue(time.ToUnixTimeMilliseconds());
            w.WriteStringValue(region);
            w.WriteStringValue(principalId);
            w.WriteStringValue(sourceIp);
            w.WriteStringValue(requestId);
            w.WriteStringValue(configurationId);
            w.WriteStringValue(bucket);
            w.WriteStringValue(bucketOwner);
            w.WriteStringValue(key);
            if (eTag is null) w.WriteNullValue();
            else w.WriteNumberValue(size);
            w.WriteStringValue(eTag);
            w.WriteStringValue(versionId is null or "null" ? null : versionId);
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The message sent for the outbox row <paramref name="payload"/> numbered <paramref name="id"/>, in UTF-8: the Records JSON, its sequencer the id in 16 upper-case hex digits.</summary>
    public static byte[] Compose(string payload, long id)
    {
        if (!payload.StartsWith('[')) return Encoding.UTF8.GetBytes(EventOrigin.WithSequencer(payload, id));
        var f = Fields(payload);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("Records");
            w.WriteStartObject();
            w.WriteString("eventVersion", "2.1");
            w.WriteString("eventSource", "aws:s3");
            w.WriteString("awsRegion", f.Region);
            w.WriteString("eventTime", Protocol.S3Xml.Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(f.Time)));
            w.WriteString("eventName", f.EventName);
            w.WriteStartObject("userIdentity");
            w.WriteString("principalId", f.PrincipalId);
            w.WriteEndObject();
            w.WriteStartObject("requestParameters");
            w.WriteString("sourceIPAddress", f.SourceIp);
            w.WriteEndObject();
            w.WriteStartObject("responseElements");
            w.WriteString("x-amz-request-id", f.RequestId);
            w.WriteString("x-amz-id-2", f.RequestId);
            w.WriteEndObject();
            w.WriteStartObject("s3");
            w.WriteString("s3SchemaVersion", "1.0");
            w.WriteString("configurationId", f.ConfigurationId);
            w.WriteStartObject("bucket");
            w.WriteString("name", f.Bucket);
            w.WriteStartObject("ownerIdentity");
            w.WriteString("principalId", f.BucketOwner);
            w.WriteEndObject();
            w.WriteString("arn", "arn:aws:s3:::" + f.Bucket);
            w.WriteEndObject();
            w.WriteStartObject("object");
            w.WriteString("key", EventOrigin.EncodeKey(f.Key));
            if (f.ETag is not null)
            {
                w.WriteNumber("size", f.Size);
                w.WriteString("eTag", f.ETag);
            }
            if (f.VersionId is not null) w.WriteString("versionId", f.VersionId);
            w.WriteString("sequencer", Sequencer(id));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// What orders the event among the others: its bucket and key. Events of one bucket and key must reach a target in
    /// outbox order; those of different keys may travel side by side. A message without them (s3:TestEvent) gets "".
    /// </summary>
    public static string OrderKey(string payload)
    {
        if (!payload.StartsWith('[')) return EventOrigin.OrderKey(payload);
        try
        {
            var f = Fields(payload);
            // The key as a whole message spells it, so that rows of both forms for one key share a lane.
            return string.Concat(f.Bucket, "/", EventOrigin.EncodeKey(f.Key));
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            // A row this server cannot read travels in a lane of its own; sending it fails (Compose throws) and is retried, logged.
            return payload;
        }
    }

    private sealed record Row(string EventName, long Time, string Region, string PrincipalId, string SourceIp, string RequestId,
        string ConfigurationId, string Bucket, string BucketOwner, string Key, long Size, string? ETag, string? VersionId);

    private static Row Fields(string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        var r = new Utf8JsonReader(bytes);
        Next(ref r, JsonTokenType.StartArray);
        Next(ref r, JsonTokenType.Number);
        if (r.GetInt32() != Form) throw new FormatException($"an outbox row of form {r.GetInt32()}, which this server does not know");
        string Text(ref Utf8JsonReader reader)
        {
            Next(ref reader, JsonTokenType.String);
            return reader.GetString()!;
        }
        var eventName = Text(ref r);
        Next(ref r, JsonTokenType.Number);
        var time = r.GetInt64();
        var region = Text(ref r);
        var principal = Text(ref r);
        var ip = Text(ref r);
        var request = Text(ref r);
        var configuration = Text(ref r);
        var bucket = Text(ref r);
        var owner = Text(ref r);
        var key = Text(ref r);
        r.Read();
        var size = r.TokenType == JsonTokenType.Number ? r.GetInt64() : 0;
        r.Read();
        var eTag = r.TokenType == JsonTokenType.String ? r.GetString() : null;
        r.Read();
        var versionId = r.TokenType == JsonTokenType.String ? r.GetString() : null;
        return new Row(eventName, time, region, principal, ip, request, configuration, bucket, owner, key, size, eTag, versionId);
    }

    private static void Next(ref Utf8JsonReader r, JsonTokenType expected)
    {
        if (!r.Read() || r.TokenType != expected) throw new FormatException($"an outbox row that is not an event: {expected} expected");
    }
}
