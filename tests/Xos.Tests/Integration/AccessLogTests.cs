using System.Net;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Server access logging through AWSSDK.S3: configuration, delivery permission, record format, delivery on a clean stop.</summary>
public sealed partial class AccessLogTests
{
    private static string DeliveryPolicy(string target, string prefix, string source, string sourceAccount) => $$$$"""
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},
          "Action":"s3:PutObject","Resource":"arn:aws:s3:::{{{{target}}}}/{{{{prefix}}}}*",
          "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::{{{{source}}}}"},"StringEquals":{"aws:SourceAccount":"{{{{sourceAccount}}}}"}}}]}
        """;

    private static async Task EnableAsync(AmazonS3Client s3, string source, string target, string prefix) =>
        await s3.PutBucketLoggingAsync(new PutBucketLoggingRequest
        {
            BucketName = source,
            LoggingConfig = new S3BucketLoggingConfig { TargetBucketName = target, TargetPrefix = prefix },
        });

    /// <summary>A record's fields as S3 documents them: [time] as one field, "quoted" fields with their spaces.</summary>
    [GeneratedRegex("""\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+""")]
    private static partial Regex LogField();

    private static async Task<List<string[]>> RecordsAsync(AmazonS3Client s3, string target, string prefix)
    {
        var records = new List<string[]>();
        foreach (var o in (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = target, Prefix = prefix })).S3Objects ?? [])
        {
            using var got = await s3.GetObjectAsync(target, o.Key);
            var text = await new StreamReader(got.ResponseStream).ReadToEndAsync();
            records.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => LogField().Matches(line).Select(m => m.Value).ToArray()));
        }
        return records;
    }

    [Fact]
    public async Task RequestsAreDeliveredAsRecordsInS3sFormatOnlyWhereTheLoggingServiceMayWrite()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_ACCESS_LOG_INTERVAL_SECONDS"] = "0.5" });
        using var s3 = server.CreateClient();
        var ownerId = (await s3.ListBucketsAsync()).Owner.Id;
        await s3.PutBucketAsync("media");
        await s3.PutBucketAsync("logs");

        // Without a policy letting the logging service write to the target, logging is refused; a missing target too.
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => EnableAsync(s3, "media", "logs", "media/"));
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (denied.ErrorCode, denied.StatusCode));
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => EnableAsync(s3, "media", "nowhere", "media/"));
        Assert.Equal(("InvalidTargetBucketForLogging", HttpStatusCode.BadRequest), (missing.ErrorCode, missing.StatusCode));
        await s3.PutBucketPolicyAsync("logs", DeliveryPolicy("logs", "media/", "other-bucket", ownerId));
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => EnableAsync(s3, "media", "logs", "media/"));

        await s3.PutBucketPolicyAsync("logs", DeliveryPolicy("logs", "media/", "media", ownerId));
        await EnableAsync(s3, "media", "logs", "media/");
        var status = await s3.GetBucketLoggingAsync(new GetBucketLoggingRequest { BucketName = "media" });
        Assert.Equal(("logs", "media/"), (status.BucketLoggingConfig.TargetBucketName, status.BucketLoggingConfig.TargetPrefix));

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "clips/a b.mp4", ContentBody = "twelve bytes" });
        using (var got = await s3.GetObjectAsync("media", "clips/a b.mp4")) await got.ResponseStream.CopyToAsync(Stream.Null);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("media", "missing.mp4"));
        await s3.DeleteObjectAsync("media", "clips/a b.mp4");

        // Five records: GetBucketLogging's, then the four requests. A request's record is taken when its response has
        // ended, which may be after the client sent the next one, so a delivery can hold a later record before an
        // earlier one: wait for all five, not for the first four to arrive.
        List<string[]> records = [];
        for (var i = 0; i < 100 && records.Count < 5; i++)
        {
            await Task.Delay(100);
            records = await RecordsAsync(s3, "logs", "media/");
        }
        Assert.All(records, r => Assert.Equal(26, r.Length));
        Assert.All(records, r => Assert.Equal((ownerId, "media"), (r[0], r[1])));
        Assert.All(records, r => Assert.Matches(@"^\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\]$", r[2]));
        var put = Assert.Single(records, r => r[6] == "REST.PUT.OBJECT");
        Assert.Equal(("clips/a%20b.mp4", "200", "12", ownerId, "SigV4", "AuthHeader"), (put[7], put[9], put[12], put[4], put[19], put[21]));
        var get = Assert.Single(records, r => r[6] == "REST.GET.OBJECT" && r[9] == "200");
        Assert.Equal(("12", "12"), (get[11], get[12]));
        var missed = Assert.Single(records, r => r[6] == "REST.GET.OBJECT" && r[9] == "404");
        Assert.Equal("NoSuchKey", missed[10]);
        Assert.Single(records, r => r[6] == "REST.DELETE.OBJECT" && r[9] == "204");

        // Disabling stops the records.
        await s3.PutBucketLoggingAsync(new PutBucketLoggingRequest { BucketName = "media", LoggingConfig = new S3BucketLoggingConfig() });
        Assert.Null((await s3.GetBucketLoggingAsync(new GetBucketLoggingRequest { BucketName = "media" })).BucketLoggingConfig?.TargetBucketName);
    }

    [Fact]
    public async Task RecordsGatheredBeforeACleanStopAreDeliveredByIt()
    {
        var data = Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        var env = new Dictionary<string, string> { ["XOS_ACCESS_LOG_INTERVAL_SECONDS"] = "3600" };
        try
        {
            await using (var server = await XosProcess.StartAsync(data, environment: env))
            {
                using var s3 = server.CreateClient();
                var ownerId = (await s3.ListBucketsAsync()).Owner.Id;
                await s3.PutBucketAsync("source");
                await s3.PutBucketAsync("target");
                // The ACL way of letting the logging service write, and a partitioned key format.
                await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = "target", ACL = S3CannedACL.LogDeliveryWrite });
                await s3.PutBucketLoggingAsync(new PutBucketLoggingRequest
                {
                    BucketName = "source",
                    LoggingConfig = new S3BucketLoggingConfig
                    {
                        TargetBucketName = "target", TargetPrefix = "logs/",
                        TargetObjectKeyFormat = new TargetObjectKeyFormat { PartitionedPrefix = new PartitionedPrefix { PartitionDateSource = PartitionDateSource.EventTime } },
                    },
                });
                for (var i = 0; i < 20; i++) await s3.PutObjectAsync(new PutObjectRequest { BucketName = "source", Key = $"k{i}", ContentBody = "x" });
                Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "target", Prefix = "logs/" })).S3Objects ?? []);
                Assert.Equal(0, await server.StopAsync());
                _ = ownerId;
            }
            await using (var again = await XosProcess.StartAsync(data, environment: env))
            {
                using var s3 = again.CreateClient();
                var ownerId = (await s3.ListBucketsAsync()).Owner.Id;
                var logged = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "target", Prefix = "logs/" })).S3Objects;
                var key = Assert.Single(logged).Key;
                Assert.Matches($@"^logs/{ownerId}/us-east-1/source/\d{{4}}/\d\d/\d\d/\d{{4}}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{{16}}$", key);
                var records = await RecordsAsync(s3, "target", "logs/");
                Assert.Equal(20, records.Count(r => r[6] == "REST.PUT.OBJECT"));
            }
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }
}
