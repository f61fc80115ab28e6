using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Stops the shared cluster's only OSD: alone, after every other test class, so nothing else sees the outage.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CephOutageCollection
{
    public const string Name = "ceph-outage";
}

/// <summary>What a gateway on RADOS does while the OSD holding its data is down, and after it is back.</summary>
[Collection(CephOutageCollection.Name)]
public sealed class RadosOutageTests
{
    [CephFact]
    public async Task AnOsdStoppedUnderLoadIsSlowDownNotAHangAndTheGatewayRecoversWithoutARestart()
    {
        var ceph = await TestCeph.StartAsync();
        // Operations give up after 5 s (timeout=5), well inside the client's own time-out below.
        var env = await RadosGatewayTests.SharedSettingsAsync(timeoutSeconds: 5);
        await using var gateway = await XosProcess.StartAsync(environment: env);
        using var s3 = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(XosProcess.AccessKey, XosProcess.SecretKey), new AmazonS3Config
        {
            ServiceURL = gateway.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromSeconds(60),
        });
        var bucket = XosFixture.NewBucketName("osd");
        await s3.PutBucketAsync(bucket);
        var before = RandomNumberGenerator.GetBytes(200_000);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "before", InputStream = new MemoryStream(before) });

        var acknowledged = new ConcurrentDictionary<string, string>();
        var answers = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var body = RandomNumberGenerator.GetBytes(w == 0 ? (5 << 20) + 1 : 100_000);
                try
                {
                    if (w == 2)
                    {
                        await ClusterTests.ReadAsync(s3, bucket, "before");
                    }
                    else
                    {
                        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"w{w}/{i}", InputStream = new MemoryStream(body) });
                        acknowledged[$"w{w}/{i}"] = ClusterTests.Sha(body);
                    }
                    answers.Add("200");
                }
                catch (AmazonS3Exception e)
                {
                    answers.Add($"{(int)e.StatusCode} {e.ErrorCode}");
                    await Task.Delay(100);
                }
                // A GET whose headers were sent before the OSD went away can only be cut off (as S3 does).
                catch (Exception e) when (w == 2 && e is IOException or HttpRequestException && e is not TaskCanceledException)
                {
                    answers.Add("aborted");
                }
                // Anything else (the client's time-out: a hang) is recorded as such and fails the test below.
                catch (Exception e)
                {
                    answers.Add("no answer: " + e.GetType().Name);
                }
            }
        })).ToArray();

        while (acknowledged.Count < 4) await Task.Delay(50);
        await ceph.StopOsdAsync();
        try
        {
            // Requests in flight and new ones end in 503 SlowDown once the 5 s pass.
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (answers.Count(a => a == "503 SlowDown") < 6 && DateTime.UtcNow < deadline) await Task.Delay(200);
        }
        finally
        {
            await ceph.StartOsdAsync();
        }
        Assert.True(answers.Count(a => a == "503 SlowDown") >= 6, "no SlowDown while the OSD was down: " + string.Join(", ", answers.Distinct()));

        // Back without restarting the gateway: new writes and old reads succeed again.
        var recovered = false;
        var until = DateTime.UtcNow.AddMinutes(4);
        while (!recovered && DateTime.UtcNow < until)
        {
            try
            {
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "after", ContentBody = new string('x', 50_000) });
                recovered = true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await Task.Delay(500);
            }
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.True(recovered, "the gateway did not recover after the OSD came back");
        Assert.Equal(ClusterTests.Sha(before), ClusterTests.Sha(await ClusterTests.ReadAsync(s3, bucket, "before")));
        foreach (var (key, sha) in acknowledged) Assert.Equal(sha, ClusterTests.Sha(await ClusterTests.ReadAsync(s3, bucket, key)));
        // Only successes and SlowDown (or a GET cut off mid-body): no 500, no request left hanging.
        Assert.All(answers, a => Assert.True(a is "200" or "503 SlowDown" or "aborted", "unexpected answer: " + a));
        Assert.DoesNotContain(gateway.Output.Split('\n'), l => l.Contains(" fail: ", StringComparison.Ordinal));
    }
}
