using System.Xml.Linq;
using Xos.Server.Notifications;
using Xos.Server.Protocol;

namespace Xos.Tests.Unit;

/// <summary>The rules of notification configurations, event names, key encoding and target settings.</summary>
public sealed class NotificationRuleTests
{
    private static NotificationConfiguration Parse(string rules) =>
        NotificationConfiguration.Parse(XElement.Parse($"<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rules}</NotificationConfiguration>"));

    private static string Rule(string @event, string prefix = "", string suffix = "", string id = "", string arn = "arn:xos:sqs::a:webhook") =>
        $"<QueueConfiguration>{(id.Length > 0 ? $"<Id>{id}</Id>" : "")}<Queue>{arn}</Queue><Event>{@event}</Event>" +
        (prefix.Length + suffix.Length == 0 ? "" : "<Filter><S3Key>" +
            (prefix.Length > 0 ? $"<FilterRule><Name>prefix</Name><Value>{prefix}</Value></FilterRule>" : "") +
            (suffix.Length > 0 ? $"<FilterRule><Name>Suffix</Name><Value>{suffix}</Value></FilterRule>" : "") + "</S3Key></Filter>") +
        "</QueueConfiguration>";

    private static S3Exception Refused(string rules) => Assert.Throws<S3Exception>(() => Parse(rules));

    [Theory]
    [InlineData("s3:ObjectCreated:*", "ObjectCreated:Put", true)]
    [InlineData("s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", true)]
    [InlineData("s3:ObjectCreated:Put", "ObjectCreated:Post", false)]
    [InlineData("s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated", true)]
    [InlineData("s3:ObjectRemoved:*", "LifecycleExpiration:Delete", false)]
    [InlineData("s3:LifecycleExpiration:*", "LifecycleExpiration:DeleteMarkerCreated", true)]
    [InlineData("s3:ObjectAcl:Put", "ObjectAcl:Put", true)]
    public void WildcardsCoverTheirFamily(string configured, string eventName, bool covered) =>
        Assert.Equal(covered, EventTypes.Covers(configured, eventName));

    [Fact]
    public void FiltersMatchPrefixAndSuffixCaseSensitively()
    {
        var rule = Assert.Single(Parse(Rule("s3:ObjectCreated:*", "videos/", ".mp4")).Rules);
        Assert.True(rule.Matches("ObjectCreated:Put", "videos/a.mp4"));
        Assert.False(rule.Matches("ObjectCreated:Put", "videos/a.MP4"));
        Assert.False(rule.Matches("ObjectCreated:Put", "images/a.mp4"));
        Assert.False(rule.Matches("ObjectRemoved:Delete", "videos/a.mp4"));
    }

    [Theory]
    [InlineData("s3:ObjectCreated:*", "a/", "", "s3:ObjectCreated:Put", "a/b/", "", true)]
    [InlineData("s3:ObjectCreated:*", "a/", "", "s3:ObjectCreated:Put", "b/", "", false)]
    [InlineData("s3:ObjectCreated:Put", "", ".jpg", "s3:ObjectCreated:Put", "", ".png", false)]
    [InlineData("s3:ObjectCreated:Put", "", ".jpg", "s3:ObjectCreated:Put", "", "x.jpg", true)]
    [InlineData("s3:ObjectCreated:Put", "", "", "s3:ObjectCreated:Post", "", "", false)]
    [InlineData("s3:ObjectRemoved:*", "", "", "s3:ObjectCreated:*", "", "", false)]
    public void RulesSharingAnEventTypeAndKeysOverlap(string e1, string p1, string s1, string e2, string p2, string s2, bool overlap)
    {
        var rules = Rule(e1, p1, s1, "one") + Rule(e2, p2, s2, "two");
        if (!overlap)
        {
            Assert.Equal(2, Parse(rules).Rules.Count);
            return;
        }
        var e = Refused(rules);
        Assert.Equal(("InvalidArgument", 400), (e.Code, e.Status));
        Assert.Contains("overlap", e.Message);
    }

    [Fact]
    public void MistakesAreRefusedAsS3RefusesThem()
    {
        Assert.Equal("InvalidArgument", Refused(Rule("s3:ObjectRestore:Completed")).Code);
        Assert.Equal("InvalidArgument", Refused(Rule("s3:ReducedRedundancyLostObject")).Code);
        Assert.Equal("InvalidArgument", Refused(Rule("ObjectCreated:Put")).Code); // without "s3:"
        Assert.Equal("InvalidArgument", Refused(Rule("s3:ObjectCreated:Put", "a/", id: "same") + Rule("s3:ObjectCreated:Put", "b/", id: "same")).Code);
        Assert.Equal("InvalidArgument", Refused("<EventBridgeConfiguration/>").Code);
        Assert.Equal("MalformedXML", Refused("<QueueConfiguration><Queue>arn:xos:sqs::a:webhook</Queue></QueueConfiguration>").Code);
        Assert.Equal("MalformedXML", Refused("<QueueConfiguration><Event>s3:ObjectCreated:*</Event></QueueConfiguration>").Code);
        Assert.Equal("MalformedXML", Refused("<Unknown/>").Code);
        var twoPrefixes = "<QueueConfiguration><Queue>arn:xos:sqs::a:webhook</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key>" +
                          "<FilterRule><Name>prefix</Name><Value>a</Value></FilterRule><FilterRule><Name>prefix</Name><Value>b</Value></FilterRule></S3Key></Filter></QueueConfiguration>";
        Assert.Contains("more than one prefix", Refused(twoPrefixes).Message);
        Assert.Contains("prefix or suffix", Refused(twoPrefixes.Replace("<Name>prefix</Name><Value>b", "<Name>infix</Name><Value>b")).Message);
        Assert.Equal("InvalidArgument", Refused(Rule("s3:ObjectCreated:*", new string('p', 1025))).Code);
    }

    [Fact]
    public void ARuleWithoutIdGetsOneAndTheConfigurationRoundTripsThroughJson()
    {
        var config = Parse(Rule("s3:ObjectCreated:*", "v/", ".mp4") + Rule("s3:ObjectRemoved:Delete", id: "d"));
        Assert.False(string.IsNullOrEmpty(config.Rules[0].Id));
        var back = NotificationConfiguration.FromJson(config.ToJson())!;
        Assert.Equal(config.Rules.Select(r => (r.Id, r.Arn, r.Prefix, r.Suffix, string.Join(",", r.Events))),
            back.Rules.Select(r => (r.Id, r.Arn, r.Prefix, r.Suffix, string.Join(",", r.Events))));
    }

    [Theory]
    [InlineData("photo.jpg", "photo.jpg")]
    [InlineData("my video (1).mp4", "my+video+%281%29.mp4")]
    [InlineData("a/b/c", "a/b/c")]
    [InlineData("é+&=?", "%C3%A9%2B%26%3D%3F")]
    [InlineData("100%~x", "100%25%7Ex")]
    public void KeysAreUrlEncodedAsAwsEncodesThem(string key, string encoded) => Assert.Equal(encoded, EventOrigin.EncodeKey(key));

    [Fact]
    public void TheSequencerIsWrittenIntoTheMessageWhenItIsSent()
    {
        var origin = new EventOrigin(new Xos.Server.Storage.BucketRecord(1, "b", "owner", DateTimeOffset.UnixEpoch, "us-east-1"),
            Parse(Rule("s3:ObjectCreated:*")), EventTypes.Put, "p", "127.0.0.1", "REQ", "us-east-1");
        var message = Assert.Single(origin.Render(EventTypes.Put, "k \"sequencer\":\"\"", 1, "e", null, DateTimeOffset.UnixEpoch)!).Payload;
        // The outbox keeps what varies, a fraction of the message.
        Assert.StartsWith("[", message);
        var sent = EventMessage.Compose(message, 0x2A);
        Assert.True(message.Length * 2 < sent.Length, $"{message.Length} against {sent.Length}");
        var record = System.Text.Json.JsonDocument.Parse(sent).RootElement.GetProperty("Records")[0];
        var obj = record.GetProperty("s3").GetProperty("object");
        Assert.Equal("000000000000002A", obj.GetProperty("sequencer").GetString());
        Assert.Equal(EventOrigin.EncodeKey("k \"sequencer\":\"\""), obj.GetProperty("key").GetString());
        Assert.Equal((1L, "e"), (obj.GetProperty("size").GetInt64(), obj.GetProperty("eTag").GetString()));
        Assert.False(obj.TryGetProperty("versionId", out _));
        Assert.Equal(("2.1", "aws:s3", "us-east-1", "1970-01-01T00:00:00.000Z", "ObjectCreated:Put"),
            (record.GetProperty("eventVersion").GetString(), record.GetProperty("eventSource").GetString(), record.GetProperty("awsRegion").GetString(),
             record.GetProperty("eventTime").GetString(), record.GetProperty("eventName").GetString()));
        Assert.Equal(("p", "127.0.0.1", "REQ"), (record.GetProperty("userIdentity").GetProperty("principalId").GetString(),
            record.GetProperty("requestParameters").GetProperty("sourceIPAddress").GetString(),
            record.GetProperty("responseElements").GetProperty("x-amz-request-id").GetString()));
        var bucket = record.GetProperty("s3").GetProperty("bucket");
        Assert.Equal(("b", "owner", "arn:aws:s3:::b"), (bucket.GetProperty("name").GetString(),
            bucket.GetProperty("ownerIdentity").GetProperty("principalId").GetString(), bucket.GetProperty("arn").GetString()));
        // A removal has no size or eTag; a version id is sent when there is one.
        var removal = Assert.Single(new EventOrigin(origin.Bucket, Parse(Rule("s3:ObjectRemoved:*")), EventTypes.Removed, "p", "::1", "REQ", "us-east-1")
            .Render("ObjectRemoved:Delete", "k", 0, null, "v1", DateTimeOffset.UnixEpoch)!).Payload;
        var removed = System.Text.Json.JsonDocument.Parse(EventMessage.Compose(removal, 7)).RootElement.GetProperty("Records")[0].GetProperty("s3").GetProperty("object");
        Assert.False(removed.TryGetProperty("size", out _) || removed.TryGetProperty("eTag", out _));
        Assert.Equal("v1", removed.GetProperty("versionId").GetString());
        Assert.Null(origin.Render("ObjectRemoved:Delete", "k", 0, null, null, DateTimeOffset.UnixEpoch)); // no rule asks for it
    }

    [Fact]
    public void WholeMessagesQueuedByEarlierServersAreSentWithTheirSequencer()
    {
        // The shape servers before the compact outbox row queued, and the s3:TestEvent still is.
        const string queued = """{"Records":[{"eventVersion":"2.1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"a%22b","size":1,"sequencer":""}}}]}""";
        var sent = System.Text.Json.JsonDocument.Parse(EventMessage.Compose(queued, 0x10)).RootElement.GetProperty("Records")[0].GetProperty("s3").GetProperty("object");
        Assert.Equal(("a%22b", "0000000000000010"), (sent.GetProperty("key").GetString(), sent.GetProperty("sequencer").GetString()));
        Assert.Equal("b/a%22b", EventMessage.OrderKey(queued));
        var test = EventOrigin.TestEvent("b", "REQ", DateTimeOffset.UnixEpoch);
        Assert.Equal(test, System.Text.Encoding.UTF8.GetString(EventMessage.Compose(test, 3)));
        Assert.Throws<FormatException>(() => EventMessage.Compose("[2,\"x\"]", 1));
        Assert.Equal("[2,\"x\"]", EventMessage.OrderKey("[2,\"x\"]"));
        Assert.Equal("[1,", EventMessage.OrderKey("[1,"));
    }

    [Fact]
    public void EventsAreLanedByBucketAndKeyInOutboxOrder()
    {
        var origin = new EventOrigin(new Xos.Server.Storage.BucketRecord(1, "b", "owner", DateTimeOffset.UnixEpoch, "us-east-1"),
            Parse(Rule("s3:ObjectCreated:*")), EventTypes.Put, "p", "127.0.0.1", "REQ", "us-east-1");
        string Message(string key) => Assert.Single(origin.Render(EventTypes.Put, key, 1, "e", null, DateTimeOffset.UnixEpoch)!).Payload;
        Assert.Equal("b/a%22b+c", EventMessage.OrderKey(Message("a\"b c")));
        // A whole message queued by an earlier server for the same key shares its lane (its key JSON-escaped: '+' is \u002B).
        Assert.Equal(EventMessage.OrderKey(Message("my video (1).mp4")),
            EventMessage.OrderKey("""{"Records":[{"s3":{"bucket":{"name":"b"},"object":{"key":"my\u002Bvideo\u002B%281%29.mp4","sequencer":""}}}]}"""));
        Assert.Equal("", EventMessage.OrderKey(EventOrigin.TestEvent("b", "REQ", DateTimeOffset.UnixEpoch)));
        var events = new[] { "x", "y", "x", "z", "y", "x" }.Select((k, i) => new Xos.Server.Storage.Sql.QueuedEvent(i + 1, Message(k), DateTimeOffset.UnixEpoch)).ToList();
        var lanes = EventBatch.Lanes(events, concurrency: 8);
        Assert.Equal([[1L, 3, 6], [2L, 5], [4L]], lanes.Select(l => l.Select(e => e.Id).ToArray()));
        // A sender taking one event at a time gets one lane: outbox order for every key.
        Assert.Equal([1L, 2, 3, 4, 5, 6], Assert.Single(EventBatch.Lanes(events, concurrency: 1)).Select(e => e.Id));
    }

    [Fact]
    public void TheQueueSettingsAreReadAndCheckedLikeTheOthers()
    {
        var defaults = Xos.Server.Hosting.ServerOptions.Parse([], _ => null);
        Assert.Equal((1_000_000L, false, 30.0), (defaults.NotifyQueueLimit, defaults.NotifyRefuseWhenFull, defaults.NotifyMaxBackoffSeconds));
        var set = Xos.Server.Hosting.ServerOptions.Parse(["--notify-queue-limit", "5", "--notify-refuse-when-full"],
            name => name == "XOS_NOTIFY_MAX_BACKOFF" ? "2500ms" : null);
        Assert.Equal((5L, true, 2.5), (set.NotifyQueueLimit, set.NotifyRefuseWhenFull, set.NotifyMaxBackoffSeconds));
        Assert.Throws<ArgumentException>(() => Xos.Server.Hosting.ServerOptions.Parse(["--notify-queue-limit", "0"], _ => null));
        Assert.Throws<ArgumentException>(() => Xos.Server.Hosting.ServerOptions.Parse(["--notify-max-backoff", "soon"], _ => null));
    }

    [Fact]
    public void TargetsCheckTheirSettingsAndHideTheirSecrets()
    {
        var t = NotifyTarget.Create("webhook", "hook", NotifyTarget.ParseSettings("webhook", ["http://h/x?a=b", "token=t1", "secret=s1"]));
        Assert.Equal("arn:xos:sqs::hook:webhook", t.Arn);
        Assert.Equal("http://h/x?a=b", t.Setting("endpoint"));
        Assert.Equal("(set)", t.Redacted["token"]);
        Assert.Equal("(set)", t.Redacted["secret"]);
        var amqp = NotifyTarget.Create("AMQP", "mq", NotifyTarget.ParseSettings("amqp", ["amqp://user:pw@host:5672/"]));
        Assert.Equal("amqp://user:(set)@host:5672/", amqp.Redacted["address"]);
        Assert.Throws<ArgumentException>(() => NotifyTarget.Create("kafka", "k", new Dictionary<string, string> { ["address"] = "x" }));
        Assert.Throws<ArgumentException>(() => NotifyTarget.Create("webhook", "bad name", new Dictionary<string, string> { ["endpoint"] = "http://h/" }));
        Assert.Throws<ArgumentException>(() => NotifyTarget.Create("webhook", "w", new Dictionary<string, string>()));
        Assert.Throws<ArgumentException>(() => NotifyTarget.Create("redis", "r", new Dictionary<string, string> { ["address"] = "h:1", ["subject"] = "x" }));
        Assert.Equal(NotifyTarget.DefaultConcurrency, t.Concurrency);
        Assert.Equal(3, NotifyTarget.Create("webhook", "w", new Dictionary<string, string> { ["endpoint"] = "http://h/", ["concurrency"] = "3" }).Concurrency);
        foreach (var bad in new[] { "0", "257", "-1", "many" })
            Assert.Throws<ArgumentException>(() => NotifyTarget.Create("webhook", "w", new Dictionary<string, string> { ["endpoint"] = "http://h/", ["concurrency"] = bad }));
    }
}
