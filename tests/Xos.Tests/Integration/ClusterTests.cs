using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// Three gateways sharing one PostgreSQL database (a server of its own, so it can be restarted) and one blob folder,
/// behind haproxy running the project's own deploy/haproxy.cfg: the deployment docs/deployment.md describes.
/// </summary>
public sealed class GatewayCluster : IAsyncLifetime
{
    public TestPostgres.Cluster Postgres { get; private set; } = null!;
    public string MetadataUrl { get; private set; } = null!;
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "xos-cluster-" + Guid.NewGuid().ToString("N")[..10]);
    public XosProcess[] Gateways { get; private set; } = [];
    public int BalancerPort { get; } = XosProcess.FreePort();
    private Process? _haproxy;

    public async Task InitializeAsync()
    {
        Postgres = await TestPostgres.LaunchAsync();
        MetadataUrl = await TestPostgres.CreateDatabaseAsync("xos_cluster", Postgres);
        var env = new Dictionary<string, string> { ["XOS_METADATA_URL"] = MetadataUrl };
        // Started together, as an orchestrator starts them: start-up must be race-free.
        Gateways = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => XosProcess.StartAsync(DataDirectory, environment: env)));
        var config = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "deploy", "haproxy.cfg");
        var psi = new ProcessStartInfo(File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "-db", "-f", Path.GetFullPath(config) }) psi.ArgumentList.Add(a);
        psi.Environment["XOS_LB_ADDRESS"] = $"127.0.0.1:{BalancerPort}";
        for (var i = 0; i < 3; i++) psi.Environment[$"XOS_GATEWAY_{i + 1}"] = $"127.0.0.1:{Gateways[i].Port}";
        _haproxy = Process.Start(psi) ?? throw new InvalidOperationException("haproxy did not start (Debian's haproxy package; scripts/install-test-deps.sh installs it)");
        _haproxy.OutputDataReceived += (_, _) => { };
        _haproxy.ErrorDataReceived += (_, _) => { };
        _haproxy.BeginOutputReadLine();
        _haproxy.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{BalancerPort}/health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("haproxy did not become ready");
    }

    public AmazonS3Client Client(string endpoint, int retries = 0) =>
        new(new BasicAWSCredentials(XosProcess.AccessKey, XosProcess.SecretKey), new AmazonS3Config
        {
            ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = retries, Timeout = TimeSpan.FromSeconds(60),
        });

    public AmazonS3Client Balanced(int retries = 0) => Client($"http://127.0.0.1:{BalancerPort}", retries);

    public async Task DisposeAsync()
    {
        if (_haproxy is { HasExited: false }) { _haproxy.Kill(); await _haproxy.WaitForExitAsync(); }
        foreach (var g in Gateways) await g.DisposeAsync();
        TestPostgres.Stop(Postgres);
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>A gateway must not have logged an unhandled failure (a 500) while the cluster was under test.</summary>
    public void AssertNoFailures(XosProcess gateway)
    {
        var failures = gateway.Output.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, "a gateway logged failures:\n" + string.Join('\n', failures.Take(5)));
    }
}

/// <summary>Runs in the SQLite pass only: it brings its own PostgreSQL, so a second pass would repeat it unchanged.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        if (TestPostgres.IsSelected) Skip = "the cluster tests run PostgreSQL themselves, in the SQLite pass";
    }
}

public sealed class ClusterTests(GatewayCluster cluster) : IClassFixture<GatewayCluster>
{
    internal static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    internal static async Task<byte[]> ReadAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var got = await s3.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await got.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    [ClusterFact]
    public async Task WhatOneGatewayWritesEveryOtherReadsAtOnce()
    {
        var bucket = XosFixture.NewBucketName("raw");
        using var first = cluster.Client(cluster.Gateways[0].Endpoint);
        await first.PutBucketAsync(bucket);
        for (var i = 0; i < 20; i++)
        {
            var writer = cluster.Client(cluster.Gateways[i % 3].Endpoint);
            var body = RandomNumberGenerator.GetBytes(1000 + i);
            await writer.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i}", InputStream = new MemoryStream(body) });
            using var reader = cluster.Client(cluster.Gateways[(i + 1) % 3].Endpoint);
            Assert.Equal(Sha(body), Sha(await ReadAsync(reader, bucket, $"k{i}")));
            using var lister = cluster.Client(cluster.Gateways[(i + 2) % 3].Endpoint);
            Assert.Equal(i + 1, (await lister.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).KeyCount);
            writer.Dispose();
        }
        // A bucket is gone for every gateway once one deletes it.
        using var third = cluster.Client(cluster.Gateways[2].Endpoint);
        var keys = (await third.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => new KeyVersion { Key = o.Key }).ToList();
        await third.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = keys });
        await third.DeleteBucketAsync(bucket);
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => first.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [ClusterFact]
    public async Task AKeyCreatedOrRevokedAnywhereIsKnownToEveryGatewayAtOnce()
    {
        // Gateways keep found keys in memory; every change reaches them by the database's notifications.
        var user = await XosAdmin.AddUserAsync(cluster.Gateways[0], "cached-" + Guid.NewGuid().ToString("N")[..8]);
        var bucket = XosFixture.NewBucketName("keys");
        var clients = cluster.Gateways.Select(g => g.CreateClient(user.AccessKey, user.SecretKey)).ToArray();
        await clients[0].PutBucketAsync(bucket);
        for (var round = 0; round < 3; round++)
            foreach (var s3 in clients) Assert.Equal(HttpStatusCode.OK, (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).HttpStatusCode);

        await XosAdmin.RunAsync(cluster.Gateways[1], "key", "remove", user.AccessKey);
        var refusedAfter = new List<TimeSpan>();
        foreach (var s3 in clients)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
                    Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "a revoked key still worked on a gateway 2 s later");
                    await Task.Delay(20);
                }
                catch (AmazonS3Exception e) when (e.ErrorCode == "InvalidAccessKeyId")
                {
                    refusedAfter.Add(watch.Elapsed);
                    break;
                }
            }
        }
        Assert.Equal(3, refusedAfter.Count);
        foreach (var s3 in clients) s3.Dispose();
        foreach (var g in cluster.Gateways) cluster.AssertNoFailures(g);
    }

    [ClusterFact]
    public async Task AnIamPolicyChangedThroughOneGatewayBindsEveryGateway()
    {
        // The identity policies of an IAM user are cached with its key; a policy change must reach every gateway's cache.
        using var iam = new IamClient(cluster.Gateways[0].Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
        var name = "cached-" + Guid.NewGuid().ToString("N")[..8];
        await iam.CallAsync("CreateUser", ("UserName", name));
        var key = await iam.CallAsync("CreateAccessKey", ("UserName", name));
        var bucket = XosFixture.NewBucketName("iam");
        using (var root = cluster.Client(cluster.Gateways[0].Endpoint)) await root.PutBucketAsync(bucket);
        await iam.CallAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "list"),
            ("PolicyDocument", $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::{{bucket}}"}]}"""));
        var clients = cluster.Gateways.Select(g => g.CreateClient(key.V("AccessKey", "AccessKeyId"), key.V("AccessKey", "SecretAccessKey"))).ToArray();
        foreach (var s3 in clients) await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });

        using (var other = new IamClient(cluster.Gateways[1].Endpoint, XosProcess.AccessKey, XosProcess.SecretKey))
            await other.CallAsync("DeleteUserPolicy", ("UserName", name), ("PolicyName", "list"));
        foreach (var s3 in clients)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
                    Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "a removed policy still applied on a gateway 5 s later");
                    await Task.Delay(20);
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden)
                {
                    break;
                }
            }
            s3.Dispose();
        }
        foreach (var g in cluster.Gateways) cluster.AssertNoFailures(g);
    }

    [ClusterFact]
    public async Task ABucketChangedOrDeletedAnywhereReachesEveryGateway()
    {
        // Gateways keep found buckets (and the settings authorization reads) in memory, told of changes as keys are.
        var bucket = XosFixture.NewBucketName("cached");
        var clients = cluster.Gateways.Select(g => cluster.Client(g.Endpoint)).ToArray();
        await clients[0].PutBucketAsync(bucket);
        await clients[0].PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "clip.mp4", ContentBody = "frames" });
        using var anonymous = new HttpClient();
        async Task<HttpStatusCode> AnonymousGet(XosProcess g) => (await anonymous.GetAsync($"{g.Endpoint}/{bucket}/clip.mp4")).StatusCode;
        async Task Eventually(HttpStatusCode expected, string what)
        {
            foreach (var g in cluster.Gateways)
            {
                var watch = Stopwatch.StartNew();
                while (await AnonymousGet(g) != expected)
                {
                    Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"{what}: gateway {g.Port} still answered otherwise 2 s later");
                    await Task.Delay(20);
                }
            }
        }
        foreach (var s3 in clients) Assert.Equal("frames", System.Text.Encoding.UTF8.GetString(await ReadAsync(s3, bucket, "clip.mp4")));
        foreach (var g in cluster.Gateways) Assert.Equal(HttpStatusCode.Forbidden, await AnonymousGet(g));

        var publicRead = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"}]}""";
        await clients[1].PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = publicRead });
        Assert.Equal(HttpStatusCode.OK, await AnonymousGet(cluster.Gateways[1]));
        await Eventually(HttpStatusCode.OK, "a bucket policy granting public reads");
        await clients[2].DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.Forbidden, await AnonymousGet(cluster.Gateways[2]));
        await Eventually(HttpStatusCode.Forbidden, "a deleted bucket policy");

        await clients[0].DeleteObjectAsync(bucket, "clip.mp4");
        await clients[0].DeleteBucketAsync(bucket);
        foreach (var s3 in clients)
            Assert.Equal("NoSuchBucket", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(s3, bucket, "clip.mp4"))).ErrorCode);

        // A bucket gone while a gateway still holds it (deleted here behind the gateways' backs, with no notification
        // of buckets, as if it had not arrived yet) is gone at once all the same: a miss is checked against the database.
        bucket = XosFixture.NewBucketName("vanish");
        await clients[0].PutBucketAsync(bucket);
        await clients[0].PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "clip.mp4", ContentBody = "frames" });
        foreach (var s3 in clients) Assert.Equal("frames", System.Text.Encoding.UTF8.GetString(await ReadAsync(s3, bucket, "clip.mp4")));
        Assert.Equal(1, await XosProcess.ExecuteMetadataSqlAsync(cluster.DataDirectory, cluster.MetadataUrl,
            "DELETE FROM objects WHERE bucket_id = (SELECT id FROM buckets WHERE name = @name)", ("@name", bucket)));
        Assert.Equal(1, await XosProcess.ExecuteMetadataSqlAsync(cluster.DataDirectory, cluster.MetadataUrl,
            "DELETE FROM buckets WHERE name = @name", ("@name", bucket)));
        foreach (var s3 in clients)
        {
            var read = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(s3, bucket, "clip.mp4"));
            Assert.Equal("NoSuchBucket", read.ErrorCode);
            var listed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
            Assert.Equal("NoSuchBucket", listed.ErrorCode);
            var versions = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket }));
            Assert.Equal("NoSuchBucket", versions.ErrorCode);
            var written = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "late", ContentBody = "x" }));
            Assert.Equal("NoSuchBucket", written.ErrorCode);
            // Having learnt it, the gateway no longer answers bucket calls from what it had cached.
            var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }));
            Assert.Equal("NoSuchBucket", head.ErrorCode);
        }
        foreach (var s3 in clients) s3.Dispose();
        foreach (var g in cluster.Gateways) cluster.AssertNoFailures(g);
    }

    [ClusterFact]
    public async Task ConcurrentWritersOfTheSameKeysThroughDifferentGatewaysLeaveOneWrittenVersion()
    {
        var bucket = XosFixture.NewBucketName("race");
        using (var setup = cluster.Balanced()) await setup.PutBucketAsync(bucket);
        var written = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        await Task.WhenAll(Enumerable.Range(0, 12).Select(async w =>
        {
            using var s3 = cluster.Client(cluster.Gateways[w % 3].Endpoint);
            for (var i = 0; i < 15; i++)
            {
                var key = $"shared-{i % 5}";
                var body = RandomNumberGenerator.GetBytes(2048);
                written.GetOrAdd(key, _ => []).Add(Sha(body));
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
            }
        }));
        foreach (var gateway in cluster.Gateways)
        {
            using var s3 = cluster.Client(gateway.Endpoint);
            var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects;
            Assert.Equal(["shared-0", "shared-1", "shared-2", "shared-3", "shared-4"], listed.Select(o => o.Key).ToArray());
            foreach (var o in listed)
            {
                var content = await ReadAsync(s3, bucket, o.Key);
                Assert.Contains(Sha(content), written[o.Key]);
                Assert.Equal(o.Size, content.Length);
            }
        }
        foreach (var g in cluster.Gateways) cluster.AssertNoFailures(g);
    }

    [ClusterFact]
    public async Task ExactlyOneOfConcurrentCreateOnlyWritesThroughDifferentGatewaysWins()
    {
        var bucket = XosFixture.NewBucketName("once");
        using (var setup = cluster.Balanced()) await setup.PutBucketAsync(bucket);
        for (var round = 0; round < 5; round++)
        {
            var key = $"claim-{round}";
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 9).Select(async w =>
            {
                using var s3 = cluster.Client(cluster.Gateways[w % 3].Endpoint);
                try
                {
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"writer {w}", IfNoneMatch = "*" });
                    return $"writer {w}";
                }
                catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
                {
                    return null;
                }
            }));
            var winner = Assert.Single(outcomes, o => o is not null);
            using var reader = cluster.Balanced();
            Assert.Equal(winner, System.Text.Encoding.UTF8.GetString(await ReadAsync(reader, bucket, key)));
        }
    }

    [ClusterFact]
    public async Task PartsUploadedThroughTwoGatewaysAreCompletedThroughTheThird()
    {
        var bucket = XosFixture.NewBucketName("mp");
        using var a = cluster.Client(cluster.Gateways[0].Endpoint);
        using var b = cluster.Client(cluster.Gateways[1].Endpoint);
        using var c = cluster.Client(cluster.Gateways[2].Endpoint);
        await a.PutBucketAsync(bucket);
        var init = await a.InitiateMultipartUploadAsync(bucket, "movie.mp4");
        var part1 = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        var part2 = RandomNumberGenerator.GetBytes(1024 * 1024);
        var up1 = await a.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "movie.mp4", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1) });
        var up2 = await b.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "movie.mp4", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2) });
        Assert.Equal(2, (await c.ListPartsAsync(bucket, "movie.mp4", init.UploadId)).Parts.Count);
        await c.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "movie.mp4", UploadId = init.UploadId, PartETags = [new PartETag(1, up1.ETag), new PartETag(2, up2.ETag)],
        });
        Assert.Equal(Sha([.. part1, .. part2]), Sha(await ReadAsync(b, bucket, "movie.mp4")));
        var again = await Assert.ThrowsAsync<AmazonS3Exception>(() => a.ListPartsAsync(bucket, "movie.mp4", init.UploadId));
        Assert.Equal("NoSuchUpload", again.ErrorCode);
    }

    /// <summary>Writers through the balancer, with the SDK's own retries; every write it acknowledged must be readable afterwards.</summary>
    private async Task<ConcurrentDictionary<string, string>> WriteUnderLoadAsync(string bucket, Func<Task> disturbance, TimeSpan after)
    {
        var acknowledged = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            using var s3 = cluster.Balanced(retries: 6);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"w{w}/{i:D5}";
                var body = RandomNumberGenerator.GetBytes(4096 + i % 7 * 1000);
                try
                {
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
                    acknowledged[key] = Sha(body);
                }
                catch (AmazonServiceException) { await Task.Delay(50); }
                catch (HttpRequestException) { await Task.Delay(50); }
            }
        })).ToArray();
        await Task.Delay(after);
        await disturbance();
        await Task.Delay(after);
        stop.Cancel();
        await Task.WhenAll(writers);
        return acknowledged;
    }

    private async Task AssertAllReadableAsync(string bucket, IReadOnlyDictionary<string, string> acknowledged, string endpoint)
    {
        using var s3 = cluster.Client(endpoint, retries: 3);
        var listed = new HashSet<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = token });
            foreach (var o in page.S3Objects ?? []) listed.Add(o.Key);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        foreach (var (key, sha) in acknowledged)
        {
            Assert.Contains(key, listed);
            Assert.Equal(sha, Sha(await ReadAsync(s3, bucket, key)));
        }
    }

    [ClusterFact]
    public async Task AGatewayKilledUnderLoadLosesNoAcknowledgedWriteAndTheOthersServeOn()
    {
        var bucket = XosFixture.NewBucketName("kill");
        using (var setup = cluster.Balanced()) await setup.PutBucketAsync(bucket);
        var victim = cluster.Gateways[1];
        var acknowledged = await WriteUnderLoadAsync(bucket, () => { victim.Crash(); return Task.CompletedTask; }, TimeSpan.FromSeconds(2));
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes were acknowledged");
        await AssertAllReadableAsync(bucket, acknowledged, $"http://127.0.0.1:{cluster.BalancerPort}");
        await AssertAllReadableAsync(bucket, acknowledged, cluster.Gateways[2].Endpoint);
        cluster.AssertNoFailures(cluster.Gateways[0]);
        cluster.AssertNoFailures(cluster.Gateways[2]);
        // The killed gateway comes back on the same folder and database, and sees everything.
        cluster.Gateways[1] = await XosProcess.StartAsync(cluster.DataDirectory, victim.Port,
            new Dictionary<string, string> { ["XOS_METADATA_URL"] = cluster.MetadataUrl });
        await victim.DisposeAsync();
        await AssertAllReadableAsync(bucket, acknowledged, cluster.Gateways[1].Endpoint);
    }

    [ClusterFact]
    public async Task APostgresRestartUnderLoadGivesCleanErrorsAndTheGatewaysRecoverByThemselves()
    {
        var bucket = XosFixture.NewBucketName("pgrestart");
        using (var setup = cluster.Balanced()) await setup.PutBucketAsync(bucket);
        var acknowledged = await WriteUnderLoadAsync(bucket, async () =>
        {
            await TestPostgres.StopServerAsync(cluster.Postgres);
            // While the database is away a gateway answers 503 ServiceUnavailable, which clients retry.
            using var direct = cluster.Client(cluster.Gateways[0].Endpoint);
            var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => direct.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "during", ContentBody = "x" }));
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "ServiceUnavailable"), (refused.StatusCode, refused.ErrorCode));
            await Task.Delay(1000);
            await TestPostgres.StartServerAsync(cluster.Postgres);
        }, TimeSpan.FromSeconds(2));
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes were acknowledged");
        // Every gateway serves again without being restarted.
        foreach (var gateway in cluster.Gateways)
        {
            using var s3 = cluster.Client(gateway.Endpoint, retries: 3);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"after-{gateway.Port}", ContentBody = "back" });
            await AssertAllReadableAsync(bucket, acknowledged, gateway.Endpoint);
            cluster.AssertNoFailures(gateway);
        }
    }
}
