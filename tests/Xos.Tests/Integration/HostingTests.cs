using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>What the executable offers around S3: HTTPS, health checks, request logs, the admin CLI and HTTP API.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task ServesHttpsWhenACertificateIsConfigured()
    {
        await using var tls = await TlsServer.StartAsync();
        using var http = TlsServer.CreateHttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync($"https://127.0.0.1:{tls.Port}/health/live"));
        using var s3 = tls.CreateClient();
        await s3.PutBucketAsync("tls-bucket");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "tls-bucket", Key = "k", ContentBody = "over tls" });
        using var got = await s3.GetObjectAsync("tls-bucket", "k");
        Assert.Equal("over tls", await new StreamReader(got.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task HealthChecksAndRequestLogLines()
    {
        await using var server = await XosProcess.StartAsync();
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync($"{server.Endpoint}/health/live"));
        Assert.Equal("ready\n", await http.GetStringAsync($"{server.Endpoint}/health/ready"));
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("logged");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "logged", Key = "line.txt", ContentBody = "12345" });
        var response = await s3.GetObjectAsync("logged", "line.txt");
        response.Dispose();
        for (var i = 0; i < 50 && !server.Output.Contains("GET logged line.txt 200"); i++) await Task.Delay(100);
        var line = server.Output.Split('\n').First(l => l.Contains("GET logged line.txt 200"));
        Assert.Contains("out=5", line);
        Assert.Contains(response.ResponseMetadata.RequestId, line);
        Assert.DoesNotContain(XosProcess.SecretKey, server.Output[server.Output.IndexOf("Now listening", StringComparison.Ordinal)..]);
    }

    [Fact]
    public async Task RequestLogLinesCountTheBytesReallyMovedAndMarkAbortedRequests()
    {
        await using var server = await XosProcess.StartAsync();
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("counted");
        // AWSSDK.S3 sends this body aws-chunked with Content-Length of the framed body: what arrived is logged.
        var body = new byte[300_000];
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "counted", Key = "whole", InputStream = new MemoryStream(body), UseChunkEncoding = true });
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "counted", Key = "cut", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        var uri = new Uri(url);
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", server.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"PUT {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Length: 1000000\r\n\r\n"));
            await stream.WriteAsync(new byte[200_000]);
            await stream.FlushAsync();
            await Task.Delay(300);
        }
        string Line(string marker)
        {
            var found = server.Output.Split('\n').FirstOrDefault(l => l.Contains(marker));
            return found ?? "";
        }
        for (var i = 0; i < 50 && (Line("PUT counted whole 200") == "" || Line("PUT counted cut") == ""); i++) await Task.Delay(100);
        var whole = Line("PUT counted whole 200");
        var received = long.Parse(System.Text.RegularExpressions.Regex.Match(whole, @"in=(\d+)").Groups[1].Value);
        Assert.InRange(received, body.Length, body.Length + 10_000);
        Assert.DoesNotContain("aborted", whole);
        var cut = Line("PUT counted cut");
        Assert.Contains("in=200000 ", cut);
        Assert.EndsWith("aborted", cut.TrimEnd());
    }

    [Fact]
    public async Task AdminCliAndHttpApiManageUsersKeysAndRoles()
    {
        await using var server = await XosProcess.StartAsync();
        var alice = await XosAdmin.AddUserAsync(server, "alice");
        Assert.Matches("^[0-9a-f]{64}$", alice.CanonicalId);
        using (var s3 = server.CreateClient(alice.AccessKey, alice.SecretKey))
        {
            await s3.PutBucketAsync("alice-media");
            Assert.Equal(["alice-media"], (await s3.ListBucketsAsync()).Buckets.Select(b => b.BucketName));
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => XosAdmin.AddUserAsync(server, "alice"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => XosAdmin.RunAsync(server, "user", "remove", "alice"));

        // The admin HTTP API, signed like any S3 request with the root credentials.
        using var root = AdminClient(server, XosProcess.AccessKey, XosProcess.SecretKey);
        var users = await root.SendForTextAsync(root.Create(HttpMethod.Get, "_xos", "admin/users"), default);
        Assert.Contains("\"name\": \"alice\"", users);
        var created = await root.SendForTextAsync(root.Create(HttpMethod.Post, "_xos", "admin/users/alice/keys", content: new StringContent("{}")), default);
        Assert.Contains("\"accessKey\"", created);
        using var asAlice = AdminClient(server, alice.AccessKey, alice.SecretKey);
        var denied = await Assert.ThrowsAsync<Xos.Server.Bench.BenchRequestException>(() => asAlice.SendForTextAsync(asAlice.Create(HttpMethod.Get, "_xos", "admin/users"), default));
        Assert.Equal(403, denied.Status);

        var policy = Path.GetTempFileName();
        await File.WriteAllTextAsync(policy, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}""");
        var arn = (await XosAdmin.RunAsync(server, "role", "add", "uploader", "--policy", policy, "--trust", "alice")).Trim();
        File.Delete(policy);
        Assert.Equal("arn:aws:iam::role/uploader", arn);
        Assert.Contains("uploader", await XosAdmin.RunAsync(server, "role", "list"));
    }

    private static Xos.Server.Bench.S3BenchClient AdminClient(XosProcess server, string accessKey, string secretKey) =>
        new(new Xos.Server.Bench.BenchOptions { Endpoint = new Uri(server.Endpoint), AccessKey = accessKey, SecretKey = secretKey });
}
