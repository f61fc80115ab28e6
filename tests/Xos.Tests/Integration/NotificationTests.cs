using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

// The SDK's analyzer expects AWS's ARNs; XOS's targets are named arn:xos:sqs::NAME:KIND, as MinIO names its own.
#pragma warning disable S31002

namespace Xos.Tests.Integration;

/// <summary>
/// Bucket notifications through AWSSDK.S3 against a real server: the configuration and S3's validation of it, and the
/// events of every path that changes objects, as AWS's Records JSON, delivered to a webhook inside the test.
/// </summary>
public sealed class NotificationTests
{
    public const string Arn = "arn:xos:sqs::hook:webhook";

    internal static async Task<WebhookReceiver> AddWebhookAsync(XosProcess server, string name = "hook", params string[] settings)
    {
        var receiver = new WebhookReceiver();
        await XosAdmin.RunAsync(server, ["notify", "add", "webhook", name, receiver.Url, .. settings]);
        return receiver;
    }

    internal static Task ConfigureAsync(AmazonS3Client s3, string bucket, string arn = Arn, string prefix = "", string suffix = "", params string[] events)
    {
        var rules = new List<FilterRule>();
        if (prefix.Length > 0) rules.Add(new FilterRule("prefix", prefix));
        if (suffix.Length > 0) rules.Add(new FilterRule("suffix", suffix));
        return s3.PutBucketNotificationAsync(new PutBucketNotificationRequest
        {
            BucketName = bucket,
            QueueConfigurations =
            [
                new QueueConfiguration
                {
                    Id = "pipeline",
                    Queue = arn,
                    Events = (events.Length == 0 ? ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*", "s3:ObjectAcl:Put"] : events)
                        .Select(e => new EventType(e)).ToList(),
                    Filter = rules.Count == 0 ? null : new Filter { S3KeyFilter = new S3KeyFilter { FilterRules = rules } },
                },
            ],
        });
    }

    [Fact]
    public async Task ConfigurationIsStoredReadBackAndValidatedAsS3Does()
    {
        await using var server = await XosProcess.StartAsync();
        using var receiver = await AddWebhookAsync(server);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");

        var empty = await s3.GetBucketNotificationAsync("media");
        Assert.Empty(empty.QueueConfigurations ?? []);

        await s3.PutBucketNotificationAsync(new PutBucketNotificationRequest
        {
            BucketName = "media",
            QueueConfigurations =
            [
                new QueueConfiguration
                {
                    Id = "videos", Queue = Arn, Events = [EventType.ObjectCreatedAll],
                    Filter = new Filter { S3KeyFilter = new S3KeyFilter { FilterRules = [new FilterRule("prefix", "videos/"), new FilterRule("suffix", ".mp4")] } },
                },
            ],
            TopicConfigurations = [new TopicConfiguration { Id = "deletes", Topic = Arn, Events = [EventType.ObjectRemovedDelete] }],
            LambdaFunctionConfigurations = [new LambdaFunctionConfiguration { FunctionArn = Arn, Events = [new EventType("s3:ObjectTagging:*")] }],
        });
        var got = await s3.GetBucketNotificationAsync("media");
        var queue = Assert.Single(got.QueueConfigurations);
        Assert.Equal(("videos", Arn, "s3:ObjectCreated:*"), (queue.Id, queue.Queue, Assert.Single(queue.Events).Value));
        Assert.Equal(["prefix=videos/", "suffix=.mp4"], queue.Filter.S3KeyFilter.FilterRules.Select(r => $"{r.Name.ToLowerInvariant()}={r.Value}").Order());
        Assert.Equal(("deletes", Arn), (Assert.Single(got.TopicConfigurations).Id, got.TopicConfigurations[0].Topic));
        var lambda = Assert.Single(got.LambdaFunctionConfigurations);
        Assert.False(string.IsNullOrEmpty(lambda.Id)); // S3 names a rule sent without an Id
        Assert.Equal(Arn, lambda.FunctionArn);

        // Saving a configuration sends each destination S3's test event.
        var test = (await WaitAsync(() => receiver.Deliveries.Where(d => d.IsTestEvent).ToList(), l => l.Count > 0))[0];
        Assert.Equal(("Amazon S3", "media"), (test.Json.GetProperty("Service").GetString(), test.Json.GetProperty("Bucket").GetString()));

        async Task<AmazonS3Exception> RefusedAsync(PutBucketNotificationRequest request)
        {
            request.BucketName = "media";
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutBucketNotificationAsync(request));
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
            Assert.Equal("InvalidArgument", e.ErrorCode);
            return e;
        }
        QueueConfiguration Rule(string arn, string @event, string prefix = "", string id = "") => new()
        {
            Id = id.Length == 0 ? null : id, Queue = arn, Events = [new EventType(@event)],
            Filter = prefix.Length == 0 ? null : new Filter { S3KeyFilter = new S3KeyFilter { FilterRules = [new FilterRule("prefix", prefix)] } },
        };

        // A destination that is no target of this server.
        var unknown = await RefusedAsync(new PutBucketNotificationRequest { QueueConfigurations = [Rule("arn:xos:sqs::nobody:webhook", "s3:ObjectCreated:*")] });
        Assert.Contains("Unable to validate the following destination configurations", unknown.Message);
        // Events nothing here can cause, or that do not exist.
        await RefusedAsync(new PutBucketNotificationRequest { QueueConfigurations = [Rule(Arn, "s3:ObjectRestore:Post")] });
        await RefusedAsync(new PutBucketNotificationRequest { QueueConfigurations = [Rule(Arn, "s3:ObjectCreated:Teleport")] });
        // Two rules sharing an event type where one prefix starts the other: S3 says configurations overlap.
        var overlap = await RefusedAsync(new PutBucketNotificationRequest
        {
            QueueConfigurations = [Rule(Arn, "s3:ObjectCreated:*", "videos/", "a"), Rule(Arn, "s3:ObjectCreated:Put", "videos/raw/", "b")],
        });
        Assert.Contains("overlap", overlap.Message);
        await RefusedAsync(new PutBucketNotificationRequest { QueueConfigurations = [Rule(Arn, "s3:ObjectCreated:Put", "", "a"), Rule(Arn, "s3:ObjectCreated:Put", "x/", "b")] });
        // The same Id twice.
        await RefusedAsync(new PutBucketNotificationRequest { QueueConfigurations = [Rule(Arn, "s3:ObjectCreated:Put", "a/", "same"), Rule(Arn, "s3:ObjectCreated:Put", "b/", "same")] });
        // Nothing refused was stored.
        Assert.Equal("videos", (await s3.GetBucketNotificationAsync("media")).QueueConfigurations[0].Id);

        // Disjoint prefixes, or different event families, do not overlap.
        await s3.PutBucketNotificationAsync(new PutBucketNotificationRequest
        {
            BucketName = "media",
            QueueConfigurations = [Rule(Arn, "s3:ObjectCreated:*", "videos/", "a"), Rule(Arn, "s3:ObjectCreated:*", "images/", "b"), Rule(Arn, "s3:ObjectRemoved:*", "videos/", "c")],
        });
        Assert.Equal(3, (await s3.GetBucketNotificationAsync("media")).QueueConfigurations.Count);

        // An empty configuration turns notifications off.
        await s3.PutBucketNotificationAsync(new PutBucketNotificationRequest { BucketName = "media" });
        Assert.Empty((await s3.GetBucketNotificationAsync("media")).QueueConfigurations ?? []);

        // A malformed document is MalformedXML; a missing bucket NoSuchBucket.
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketNotificationAsync("no-such-bucket"));
        Assert.Equal("NoSuchBucket", missing.ErrorCode);
    }

    [Fact]
    public async Task EveryPathThatChangesObjectsSendsItsEventAsAwsWritesIt()
    {
        await using var server = await XosProcess.StartAsync();
        using var receiver = await AddWebhookAsync(server, "hook", "secret=s3cr3t", "token=bearer-123");
        using var s3 = server.CreateClient();
        var owner = (await s3.ListBucketsAsync()).Owner.Id;
        await s3.PutBucketAsync("media");
        await ConfigureAsync(s3, "media", prefix: "in/");

        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "in/my video (1).mp4", ContentBody = "12345" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "out/ignored.txt", ContentBody = "x" });
        await s3.CopyObjectAsync("media", "in/my video (1).mp4", "media", "in/copy.mp4");
        var upload = await s3.InitiateMultipartUploadAsync("media", "in/multi.bin");
        var part = await s3.UploadPartAsync(new UploadPartRequest
            { BucketName = "media", Key = "in/multi.bin", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[100]) });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            { BucketName = "media", Key = "in/multi.bin", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)] });
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest
            { BucketName = "media", Key = "in/copy.mp4", Tagging = new Tagging { TagSet = [new Tag { Key = "k", Value = "v" }] } });
        await s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = "media", Key = "in/copy.mp4" });
        await s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = "media", Key = "in/copy.mp4", ACL = S3CannedACL.PublicRead });
        await s3.DeleteObjectAsync("media", "in/copy.mp4");
        await s3.DeleteObjectAsync("media", "in/never-existed");
        await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "media", Objects = [new KeyVersion { Key = "in/multi.bin" }] });

        string[] expected =
        [
            "ObjectCreated:Put in/my+video+%281%29.mp4", "ObjectCreated:Copy in/copy.mp4", "ObjectCreated:CompleteMultipartUpload in/multi.bin",
            "ObjectTagging:Put in/copy.mp4", "ObjectTagging:Delete in/copy.mp4", "ObjectAcl:Put in/copy.mp4",
            "ObjectRemoved:Delete in/copy.mp4", "ObjectRemoved:Delete in/multi.bin",
        ];
        // Events of different keys may travel side by side (the webhook's concurrency): each key's arrive in order,
        // and the sequencers, taken in order, retell the changes in the order they were made.
        var arrived = await receiver.WaitForAsync(e => e.Count >= expected.Length);
        foreach (var key in arrived.GroupBy(e => e.Key))
            Assert.Equal(key.Select(e => e.Sequencer).Order(StringComparer.Ordinal), key.Select(e => e.Sequencer));
        var events = arrived.OrderBy(e => e.Sequencer, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, events.Select(e => $"{e.EventName} {e.Key}"));

        var first = events[0];
        var r = first.Record;
        Assert.Equal("2.1", r.GetProperty("eventVersion").GetString());
        Assert.Equal("aws:s3", r.GetProperty("eventSource").GetString());
        Assert.Equal("us-east-1", r.GetProperty("awsRegion").GetString());
        Assert.True(DateTimeOffset.TryParse(r.GetProperty("eventTime").GetString(), out _));
        Assert.Equal(owner, r.GetProperty("userIdentity").GetProperty("principalId").GetString());
        Assert.Equal("127.0.0.1", r.GetProperty("requestParameters").GetProperty("sourceIPAddress").GetString());
        Assert.False(string.IsNullOrEmpty(r.GetProperty("responseElements").GetProperty("x-amz-request-id").GetString()));
        var s3Part = r.GetProperty("s3");
        Assert.Equal("pipeline", s3Part.GetProperty("configurationId").GetString());
        Assert.Equal("media", s3Part.GetProperty("bucket").GetProperty("name").GetString());
        Assert.Equal("arn:aws:s3:::media", s3Part.GetProperty("bucket").GetProperty("arn").GetString());
        Assert.Equal(owner, s3Part.GetProperty("bucket").GetProperty("ownerIdentity").GetProperty("principalId").GetString());
        var obj = s3Part.GetProperty("object");
        Assert.Equal(5, obj.GetProperty("size").GetInt64());
        Assert.Equal(put.ETag.Trim('"'), obj.GetProperty("eTag").GetString());
        Assert.False(obj.TryGetProperty("versionId", out _)); // unversioned bucket
        Assert.False(events[6].Record.GetProperty("s3").GetProperty("object").TryGetProperty("eTag", out _)); // a removal has no eTag

        // Each change has a sequencer of its own.
        Assert.Equal(events.Count, events.Select(e => e.Sequencer).Distinct().Count());

        // The webhook's bearer token and signature: HMAC-SHA256 of the body under the secret.
        Assert.Equal("Bearer bearer-123", first.Headers["Authorization"]);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("s3cr3t"u8.ToArray(), Encoding.UTF8.GetBytes(first.Body))),
            first.Headers["X-Xos-Signature"]);
        // The webhook answered every event with a cookie; no event carried one back.
        Assert.All(receiver.Deliveries, d => Assert.False(d.Headers.ContainsKey("Cookie")));
    }

    [Fact]
    public async Task VersionedBucketsSendVersionIdsAndDeleteMarkers()
    {
        await using var server = await XosProcess.StartAsync();
        using var receiver = await AddWebhookAsync(server);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = "media", VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        await ConfigureAsync(s3, "media", events: ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"]);

        var v1 = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "clip.mov", ContentBody = "one" });
        var marker = await s3.DeleteObjectAsync("media", "clip.mov");
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = "media", Key = "clip.mov", VersionId = v1.VersionId });

        var events = await receiver.WaitForAsync(e => e.Count >= 3);
        Assert.Equal(["ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", "ObjectRemoved:Delete"], events.Select(e => e.EventName));
        string Version(WebhookReceiver.Delivery d) => d.Record.GetProperty("s3").GetProperty("object").GetProperty("versionId").GetString()!;
        Assert.Equal([v1.VersionId, marker.VersionId, v1.VersionId], events.Select(Version));
    }

    [Fact]
    public async Task LifecycleExpirationsSendTheirEvents()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_LIFECYCLE_DAY_SECONDS"] = "1",
            ["XOS_LIFECYCLE_INTERVAL_SECONDS"] = "0.25",
        });
        using var receiver = await AddWebhookAsync(server);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await s3.PutBucketAsync("versioned");
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = "versioned", VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        foreach (var bucket in new[] { "media", "versioned" })
        {
            await ConfigureAsync(s3, bucket, events: ["s3:LifecycleExpiration:*"]);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "tmp/old.bin", ContentBody = "x" });
            await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
            {
                BucketName = bucket,
                Configuration = new LifecycleConfiguration { Rules =
                [
                    new LifecycleRule { Id = "tmp", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "tmp/" }, Expiration = new LifecycleRuleExpiration { Days = 1 } },
                ] },
            });
        }
        var events = await receiver.WaitForAsync(e => e.Count >= 2);
        Assert.Equal(["LifecycleExpiration:Delete media", "LifecycleExpiration:DeleteMarkerCreated versioned"],
            events.Select(e => $"{e.EventName} {e.Record.GetProperty("s3").GetProperty("bucket").GetProperty("name").GetString()}").Order());
        Assert.All(events, e => Assert.Equal("tmp/old.bin", e.Key));
    }

    [Fact]
    public async Task EventsWaitWhileTheTargetIsDownAndArriveInOrderWhenItIsBack()
    {
        var metricsPort = XosProcess.FreePort();
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_METRICS_ADDRESS"] = $"127.0.0.1:{metricsPort}",
            ["XOS_NOTIFY_MAX_BACKOFF"] = "1",
        });
        using var receiver = await AddWebhookAsync(server);
        receiver.Down = true;
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await ConfigureAsync(s3, "media");
        for (var i = 0; i < 20; i++)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"k{i % 3}", ContentBody = i.ToString() });
        await WaitAsync(() => receiver.Refused, n => n >= 3);
        Assert.Empty(receiver.Deliveries);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Contains($"xos_notify_failed_attempts_total{{target=\"{Arn}\"}}", metrics);

        receiver.Down = false;
        var events = await receiver.WaitForAsync(e => e.Count >= 20);
        Assert.Equal(20, events.Count);
        // In order per key: each key's bodies were written 0, 3, 6, ... and their events come in that order.
        foreach (var group in events.GroupBy(e => e.Key))
        {
            var sizes = group.Select(e => e.Record.GetProperty("s3").GetProperty("object").GetProperty("eTag").GetString()!).ToList();
            var written = Enumerable.Range(0, 20).Where(i => $"k{i % 3}" == group.Key)
                .Select(i => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(i.ToString())))).ToList();
            Assert.Equal(written, sizes);
        }
        metrics = await WaitAsync(() => http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"),
            m => m.Contains($"xos_notify_queued_events{{target=\"{Arn}\"}} 0"));
        Assert.Contains($"xos_notify_delivered_total{{target=\"{Arn}\"}}", metrics);
        Assert.Contains($"xos_notify_retried_total{{target=\"{Arn}\"}} 1", metrics);
    }

    [Fact]
    public async Task TargetsAreManagedByTheAdministratorWithoutShowingSecrets()
    {
        using var declared = new WebhookReceiver();
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_NOTIFY_WEBHOOK_fromenv"] = $"endpoint={declared.Url} token=env-token-secret",
        });
        var list = await XosAdmin.RunAsync(server, "notify", "list");
        Assert.Contains("arn:xos:sqs::fromenv:webhook", list);
        Assert.DoesNotContain("env-token-secret", list);
        Assert.Contains("token=(set)", list);

        // Through the admin HTTP API (xos admin --endpoint), and on the command line.
        var remote = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "add", "redis", "cache", "address=127.0.0.1:1", "password=pw-secret", "--json"]);
        Assert.Equal(0, remote.ExitCode);
        Assert.DoesNotContain("pw-secret", remote.Stdout);
        var remoteList = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "list", "--json"]);
        var arns = JsonDocument.Parse(remoteList.Stdout).RootElement.EnumerateArray().Select(t => t.GetProperty("arn").GetString()!).ToList();
        Assert.Equal(["arn:xos:sqs::cache:redis", "arn:xos:sqs::fromenv:webhook"], arns.Order());
        Assert.DoesNotContain("pw-secret", remoteList.Stdout);

        // Mistakes are refused with the reason.
        var bad = await XosAdmin.RunXosAsync(["admin", "--data", server.DataDirectory, "notify", "add", "webhook", "x", "endpoint=ftp://host/", .. MetadataArgs(server)]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("http://", bad.Stderr);
        var typo = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "add", "webhook", "x", declared.Url, "tokn=1"]);
        Assert.NotEqual(0, typo.ExitCode);
        Assert.Contains("tokn", typo.Stderr);

        // A bucket can name the target once it exists; removing it removes it.
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await ConfigureAsync(s3, "media", "arn:xos:sqs::fromenv:webhook");
        var removed = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "remove", "arn:xos:sqs::cache:redis"]);
        Assert.Equal(0, removed.ExitCode);
        var missing = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "remove", "arn:xos:sqs::cache:redis"]);
        Assert.NotEqual(0, missing.ExitCode);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => ConfigureAsync(s3, "media", "arn:xos:sqs::cache:redis"));
    }

    [Fact]
    public async Task AFullQueueIsAWarningAndRefusesWritesOnlyWhenAsked()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_NOTIFY_QUEUE_LIMIT"] = "3",
            ["XOS_NOTIFY_REFUSE_WHEN_FULL"] = "true",
            ["XOS_NOTIFY_MAX_BACKOFF"] = "1",
        });
        using var receiver = await AddWebhookAsync(server);
        receiver.Down = true;
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await s3.PutBucketAsync("quiet");
        await ConfigureAsync(s3, "media");
        // Writes are acknowledged until the worker finds the queue over its limit; from then on they are refused.
        var acknowledged = new List<string>();
        AmazonS3Exception? refused = null;
        for (var i = 0; i < 600 && refused is null; i++)
        {
            try
            {
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"k{i:D3}", ContentBody = "x" });
                acknowledged.Add($"k{i:D3}");
            }
            catch (AmazonS3Exception e)
            {
                refused = e;
            }
            if (acknowledged.Count >= 4) await Task.Delay(50);
        }
        Assert.NotNull(refused);
        Assert.Equal(("SlowDown", HttpStatusCode.ServiceUnavailable), (refused.ErrorCode, refused.StatusCode));
        Assert.True(acknowledged.Count >= 3, $"{acknowledged.Count} writes acknowledged before the queue was full");

        using var http = new HttpClient();
        var ready = await http.GetStringAsync($"{server.Endpoint}/health/ready");
        Assert.StartsWith("ready", ready);
        Assert.Contains("notify-queue-limit", ready);
        Assert.Contains("THE EVENT NOTIFICATION QUEUE IS FULL", server.Output);
        // Buckets without notifications are not held back.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "quiet", Key = "k", ContentBody = "x" });

        // Nothing was dropped: once the target is back every acknowledged write has its event, and writes flow again.
        receiver.Down = false;
        var events = await receiver.WaitForAsync(e => e.Count >= acknowledged.Count);
        Assert.Equal(acknowledged, events.OrderBy(e => e.Sequencer, StringComparer.Ordinal).Select(e => e.Key));
        await WaitAsync(() => http.GetStringAsync($"{server.Endpoint}/health/ready"), t => !t.Contains("notify-queue-limit"));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "more", ContentBody = "x" });
    }

    internal static string[] MetadataArgs(XosProcess server) => server.MetadataUrl is null ? [] : ["--metadata", server.MetadataUrl];

    internal static async Task<T> WaitAsync<T>(Func<T> read, Func<T, bool> done, int seconds = 60) => await WaitAsync(() => Task.FromResult(read()), done, seconds);

    internal static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"still {value} after {seconds} s");
            await Task.Delay(100);
        }
    }
}
