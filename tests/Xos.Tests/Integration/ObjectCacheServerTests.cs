using System.Globalization;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>The object cache on servers of their own: other processes' changes, lifecycle, metrics, the cache off, two gateways.</summary>
public sealed class ObjectCacheServerTests
{
    private static readonly HttpClient Anonymous = new();

    private static async Task<string> TextAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var got = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(got.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task XosAdminBesideTheServerTakesEffectAtOnce()
    {
        await using var server = await XosProcess.StartAsync();
        var alice = await XosAdmin.AddUserAsync(server, "alice");
        using var s3 = server.CreateClient(alice.AccessKey, alice.SecretKey);
        var bucket = XosFixture.NewBucketName("admin");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pic", ContentBody = "public", CannedACL = S3CannedACL.PublicRead });
        var url = $"{server.Endpoint}/{bucket}/pic";
        for (var i = 0; i < 3; i++) Assert.Equal("public", await Anonymous.GetStringAsync(url));
        for (var i = 0; i < 3; i++) Assert.Equal("public", await TextAsync(s3, bucket, "pic"));

        // The account's public access block, set by another process on the data folder, is read with the bucket.
        await XosAdmin.RunAsync(server, "public-access-block", "put", "alice", "--ignore-public-acls");
        Assert.Equal(HttpStatusCode.Forbidden, (await Anonymous.GetAsync(url)).StatusCode);
        await XosAdmin.RunAsync(server, "public-access-block", "delete", "alice");
        Assert.Equal("public", await Anonymous.GetStringAsync(url));

        // A key removed by another process stops working at once, though the server had it in memory.
        await XosAdmin.RunAsync(server, "key", "remove", alice.AccessKey);
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => TextAsync(s3, bucket, "pic"));
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);
    }

    [Fact]
    public async Task AnObjectLifecycleExpiredIsGoneForReadsItWasCachedFor()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_LIFECYCLE_DAY_SECONDS"] = "1",
            ["XOS_LIFECYCLE_INTERVAL_SECONDS"] = "0.25",
        });
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("expire");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "tmp/k", ContentBody = "short-lived" });
        await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration
            {
                Rules = [new LifecycleRule { Id = "tmp", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "tmp/" }, Expiration = new LifecycleRuleExpiration { Days = 1 } }],
            },
        });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            // Read over and over while the worker expires it: the first miss must stay a miss.
            try
            {
                Assert.Equal("short-lived", await TextAsync(s3, bucket, "tmp/k"));
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the lifecycle worker did not expire the object");
            await Task.Delay(50);
        }
        for (var i = 0; i < 5; i++)
            Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => TextAsync(s3, bucket, "tmp/k"))).ErrorCode);
    }

    [Fact]
    public async Task HitsMissesAndBytesAreOnTheMetricsEndpoint()
    {
        var port = XosProcess.FreePort();
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_METRICS_ADDRESS"] = $"127.0.0.1:{port}" });
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("metrics");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(new byte[40_000]) });
        for (var i = 0; i < 10; i++) await TextAsync(s3, bucket, "k");
        var text = await Anonymous.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        double Sample(string name) => double.Parse(text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..],
            CultureInfo.InvariantCulture);
        Assert.True(Sample("xos_object_cache_hits_total") >= 9, text);
        Assert.True(Sample("xos_object_cache_misses_total") >= 1);
        Assert.True(Sample("xos_object_cache_bytes") >= 40_000);
        Assert.Equal(256 << 20, Sample("xos_object_cache_capacity_bytes"));
    }

    [Fact]
    public async Task WithTheCacheOffEveryReadGoesToTheStore()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_OBJECT_CACHE"] = "0" });
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("nocache");
        await s3.PutBucketAsync(bucket);
        await ObjectCacheRace.RunAsync(s3, [server.CreateClient()], bucket, "hot", 4096, steps: 20);
    }

    /// <summary>
    /// Two gateways on one PostgreSQL database: what one acknowledges, the other never reads the old bytes of, even in
    /// the moment before its notification arrives (PostgreSQL gateways read every object's row; only bodies are cached).
    /// </summary>
    [ClusterFact]
    public async Task TwoGatewaysOnOneDatabaseNeverReadBytesTheOtherReplaced()
    {
        var url = await TestPostgres.CreateDatabaseAsync("xos_cache_" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(Path.GetTempPath(), "xos-cache-" + Guid.NewGuid().ToString("N")[..10]);
        var env = new Dictionary<string, string> { ["XOS_METADATA_URL"] = url };
        var first = await XosProcess.StartAsync(data, environment: env);
        var second = await XosProcess.StartAsync(data, environment: env);
        try
        {
            using var a = first.CreateClient();
            var bucket = XosFixture.NewBucketName("twogw");
            await a.PutBucketAsync(bucket);
            foreach (var size in new[] { 4096, 40_000 })
            {
                IAmazonS3[] readers = [second.CreateClient(), second.CreateClient(), first.CreateClient()];
                await ObjectCacheRace.RunAsync(a, readers, bucket, $"hot-{size}", size, steps: 40);
                await ObjectCacheRace.RunAsync(second.CreateClient(), [a, first.CreateClient()], bucket, $"hot-{size}", size, steps: 20);
            }
            using var b = second.CreateClient();
            await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pic", ContentBody = "public", CannedACL = S3CannedACL.PublicRead });
            Assert.Equal("public", await Anonymous.GetStringAsync($"{second.Endpoint}/{bucket}/pic"));
            await a.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "pic", ACL = S3CannedACL.Private });
            Assert.Equal(HttpStatusCode.Forbidden, (await Anonymous.GetAsync($"{second.Endpoint}/{bucket}/pic")).StatusCode);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }
}
