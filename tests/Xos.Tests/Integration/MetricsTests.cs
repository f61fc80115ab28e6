using System.Globalization;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Prometheus metrics on the address given by --metrics-address, scraped as Prometheus scrapes them.</summary>
public sealed class MetricsTests
{
    private static async Task<(XosProcess Server, string Url)> StartWithMetricsAsync()
    {
        var port = XosProcess.FreePort();
        var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_METRICS_ADDRESS"] = $"127.0.0.1:{port}",
            ["XOS_LIFECYCLE_INTERVAL_SECONDS"] = "1",
        });
        return (server, $"http://127.0.0.1:{port}/metrics");
    }

    /// <summary>The value of one sample, by metric name and exact label set as Prometheus' text format writes it; null when absent.</summary>
    internal static double? Sample(string text, string series)
    {
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        return null;
    }

    [Fact]
    public async Task RequestsBytesLatencyMetadataCallsBackgroundWorkAndFreeSpaceAreCounted()
    {
        var (server, url) = await StartWithMetricsAsync();
        await using var _ = server;
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("measured");
        var body = new byte[200_000];
        Random.Shared.NextBytes(body);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "measured", Key = "a", InputStream = new MemoryStream(body), UseChunkEncoding = false });
        using (var got = await s3.GetObjectAsync("measured", "a")) await got.ResponseStream.CopyToAsync(Stream.Null);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("measured", "missing"));
        using var http = new HttpClient();
        // Anonymous: refused by the S3 layer, and still counted under its operation.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"{server.Endpoint}/measured/a")).StatusCode);

        string text = "";
        for (var i = 0; i < 50; i++)
        {
            var response = await http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
            text = await response.Content.ReadAsStringAsync();
            if (Sample(text, """xos_background_runs_total{worker="lifecycle",outcome="done"}""") >= 1) break;
            await Task.Delay(200);
        }

        Assert.Equal(1, Sample(text, """xos_requests_total{operation="CreateBucket",status="200"}"""));
        Assert.Equal(1, Sample(text, """xos_requests_total{operation="PutObject",status="200"}"""));
        Assert.Equal(1, Sample(text, """xos_requests_total{operation="GetObject",status="200"}"""));
        Assert.Equal(1, Sample(text, """xos_requests_total{operation="GetObject",status="404"}"""));
        Assert.Equal(1, Sample(text, """xos_requests_total{operation="GetObject",status="403"}"""));
        Assert.True(Sample(text, """xos_request_bytes_received_total{operation="PutObject"}""") >= body.Length);
        Assert.True(Sample(text, """xos_response_bytes_sent_total{operation="GetObject"}""") >= body.Length);
        Assert.Equal(3, Sample(text, """xos_request_duration_seconds_count{operation="GetObject"}"""));
        Assert.Equal(3, Sample(text, """xos_request_duration_seconds_bucket{operation="GetObject",le="+Inf"}"""));
        Assert.Equal(0, Sample(text, "xos_requests_in_flight"));
        Assert.True(Sample(text, """xos_metadata_call_duration_seconds_count{call="PutObjectAsync",kind="write"}""") >= 1);
        Assert.True(Sample(text, """xos_metadata_call_duration_seconds_count{call="GetBucketAndObjectAsync",kind="read"}""") >= 3);
        Assert.True(Sample(text, """xos_background_runs_total{worker="lifecycle",outcome="done"}""") >= 1, text);
        Assert.True(Sample(text, "xos_blob_store_free_bytes") > 0);
        Assert.NotNull(Sample(text, "xos_blob_store_reserve_bytes"));
        Assert.True(Sample(text, "process_open_handles") > 0);
        Assert.Contains("kestrel_active_connections", text);
        var engine = server.MetadataUrl is null ? "sqlite" : "postgresql";
        Assert.Contains($"xos_build_info{{version=", text);
        Assert.Contains($"metadata=\"{engine}\"}} 1", text);
    }

    [Fact]
    public async Task MetricsAreOnlyOnTheirOwnAddressAndTheS3PortKeepsABucketNamedMetrics()
    {
        var (server, url) = await StartWithMetricsAsync();
        await using var _ = server;
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url.Replace("/metrics", "/other"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(url, new StringContent(""))).StatusCode);

        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("metrics");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "metrics", Key = "k", ContentBody = "a bucket like any other" });
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "metrics" });
        Assert.Equal("k", Assert.Single(listed.S3Objects).Key);
        var anonymous = await http.GetAsync($"{server.Endpoint}/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await anonymous.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WithoutAMetricsAddressNoPortServesThem()
    {
        await using var server = await XosProcess.StartAsync();
        using var http = new HttpClient();
        var response = await http.GetAsync($"{server.Endpoint}/metrics");
        Assert.DoesNotContain("xos_requests_total", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("metrics     :", server.Output);
    }
}
