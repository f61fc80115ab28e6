using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.S3.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Xos.Tests.Integration;

/// <summary>
/// Webhooks as the wire sees them: over TLS, trusting the CA file the target names (and nothing else), and HTTP/2
/// where the endpoint offers it through TLS or the target asks for it, the events in flight sharing one connection.
/// The endpoints are Kestrel servers inside the test, which record each event's protocol and connection.
/// </summary>
public sealed class WebhookProtocolTests
{
    private sealed record Arrival(string Protocol, string Connection, string Body);

    /// <summary>A Kestrel webhook on a free loopback port: HTTP/1.1 and HTTP/2 over TLS, or the protocols given without.</summary>
    private sealed class KestrelWebhook : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public ConcurrentQueue<Arrival> Arrivals { get; } = new();
        public string Url { get; }

        private KestrelWebhook(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public static async Task<KestrelWebhook> StartAsync(X509Certificate2? certificate, HttpProtocols protocols, X509Certificate2? intermediate = null)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = protocols;
                if (certificate is not null)
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = certificate;
                        // Sent in the handshake after the endpoint's own, as servers send their intermediates.
                        if (intermediate is not null) https.ServerCertificateChain = [intermediate];
                    });
            }));
            var app = builder.Build();
            KestrelWebhook? self = null;
            app.Run(async context =>
            {
                using var reader = new StreamReader(context.Request.Body);
                var body = await reader.ReadToEndAsync();
                self!.Arrivals.Enqueue(new Arrival(context.Request.Protocol, context.Connection.Id, body));
            });
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            self = new KestrelWebhook(app, $"{(certificate is null ? "http" : "https")}://127.0.0.1:{address.Port}/events");
            return self;
        }

        /// <summary>The object events received (not the test events).</summary>
        public List<Arrival> Events => [.. Arrivals.Where(a => a.Body.Contains("\"Records\"", StringComparison.Ordinal))];

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static X509Certificate2 Root(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A certificate for <paramref name="name"/> signed by <paramref name="issuer"/>: a CA's when <paramref name="ca"/>, else a server's for 127.0.0.1.</summary>
    private static X509Certificate2 Issue(X509Certificate2 issuer, string name, bool ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        if (ca) request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        else
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        }
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));
        // Exported and loaded again: SslStream wants a certificate whose key it can use as a server's.
        return X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private static async Task<string> PemFileAsync(string name, params X509Certificate2[] certificates)
    {
        var file = Path.Combine(Path.GetTempPath(), $"xos-test-{name}-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(file, string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n")));
        return file;
    }

    private static async Task<double> FailedAttemptsAsync(HttpClient http, string metrics, string arn) =>
        MetricsTests.Sample(await http.GetStringAsync(metrics), $"xos_notify_failed_attempts_total{{target=\"{arn}\"}}") ?? 0;

    private static async Task<XosProcess> StartWithMetricsAsync(int metricsPort) =>
        await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["XOS_METRICS_ADDRESS"] = $"127.0.0.1:{metricsPort}" });

    [Fact]
    public async Task AWebhookOverTlsTrustsItsCaFileAndSpeaksHttp2WhenTheEndpointOffersIt()
    {
        // A root, an intermediate it signed (sent by the endpoint in its handshake), and the endpoint's certificate for
        // 127.0.0.1; and a root that signed none of them.
        using var root = Root("XOS test root");
        using var intermediate = Issue(root, "XOS test intermediate", ca: true);
        using var certificate = Issue(intermediate, "127.0.0.1", ca: false);
        using var stranger = Root("XOS test stranger");
        var caFile = await PemFileAsync("ca", root);
        var strangerFile = await PemFileAsync("stranger", stranger);
        try
        {
            await using var webhook = await KestrelWebhook.StartAsync(certificate, HttpProtocols.Http1AndHttp2, intermediate);
            var metricsPort = XosProcess.FreePort();
            await using var server = await StartWithMetricsAsync(metricsPort);
            var localhost = webhook.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
            var targets = new (string Bucket, string Target, string[] Settings)[]
            {
                ("http2", "tls", [webhook.Url, $"ca-file={caFile}"]),
                ("http11", "tls11", [webhook.Url, $"ca-file={caFile}", "http-version=1.1"]),
                // Not trusted: the system's roots, another CA, and the right CA under a name the certificate does not hold.
                ("system", "untrusted", [webhook.Url]),
                ("stranger", "stranger", [webhook.Url, $"ca-file={strangerFile}"]),
                ("misnamed", "misnamed", [localhost, $"ca-file={caFile}"]),
            };
            using var s3 = server.CreateClient();
            foreach (var (bucket, target, settings) in targets)
            {
                await XosAdmin.RunAsync(server, ["notify", "add", "webhook", target, .. settings]);
                await s3.PutBucketAsync(bucket);
                await NotificationTests.ConfigureAsync(s3, bucket, $"arn:xos:sqs::{target}:webhook", events: ["s3:ObjectCreated:*"]);
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "clip.mp4", ContentBody = bucket });
            }

            // The CA file is trusted through the intermediate the endpoint sent, and the endpoint chose HTTP/2 (ALPN)
            // unless the target asked for HTTP/1.1.
            var events = await NotificationTests.WaitAsync(() => webhook.Events, e => e.Count >= 2);
            Assert.Equal(["HTTP/1.1 http11", "HTTP/2 http2"], events.Select(e => $"{e.Protocol} {BucketOf(e.Body)}").Order());
            // The others' events wait, and their failures count.
            using var http = new HttpClient();
            var metrics = $"http://127.0.0.1:{metricsPort}/metrics";
            foreach (var target in new[] { "untrusted", "stranger", "misnamed" })
                await NotificationTests.WaitAsync(() => FailedAttemptsAsync(http, metrics, $"arn:xos:sqs::{target}:webhook"), n => n >= 1);
            Assert.Equal(["http11", "http2"], webhook.Events.Select(e => BucketOf(e.Body)).Order());
        }
        finally
        {
            File.Delete(caFile);
            File.Delete(strangerFile);
        }
    }

    [Fact]
    public async Task AWebhookAskedForHttp2SpeaksItWithoutTlsOnOneConnection()
    {
        await using var webhook = await KestrelWebhook.StartAsync(null, HttpProtocols.Http2);
        var metricsPort = XosProcess.FreePort();
        await using var server = await StartWithMetricsAsync(metricsPort);
        await XosAdmin.RunAsync(server, "notify", "add", "webhook", "h2c", webhook.Url, "http-version=2", "concurrency=8");
        await XosAdmin.RunAsync(server, "notify", "add", "webhook", "plain", webhook.Url);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("media");
        await s3.PutBucketAsync("plain");
        await NotificationTests.ConfigureAsync(s3, "media", "arn:xos:sqs::h2c:webhook", events: ["s3:ObjectCreated:*"]);
        await NotificationTests.ConfigureAsync(s3, "plain", "arn:xos:sqs::plain:webhook", events: ["s3:ObjectCreated:*"]);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"clip{i}.mp4", ContentBody = "x" })));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "plain", Key = "clip.mp4", ContentBody = "x" });

        // Prior knowledge (h2c): every event, and the test event, over HTTP/2 on one connection.
        var events = await NotificationTests.WaitAsync(() => webhook.Events, e => e.Count >= 40);
        Assert.Equal(40, events.Select(e => e.Body).Distinct().Count());
        Assert.All(webhook.Arrivals, a => Assert.Equal("HTTP/2", a.Protocol));
        Assert.Single(webhook.Arrivals.Select(a => a.Connection).Distinct());
        // Unless asked, a webhook without TLS speaks HTTP/1.1, which an HTTP/2-only endpoint does not answer: the event waits.
        using var http = new HttpClient();
        await NotificationTests.WaitAsync(() => FailedAttemptsAsync(http, $"http://127.0.0.1:{metricsPort}/metrics", "arn:xos:sqs::plain:webhook"), n => n >= 1);
        Assert.DoesNotContain(webhook.Events, e => BucketOf(e.Body) == "plain");

        // A version the server does not speak is refused, with the reason.
        var refused = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "add", "webhook", "h3", webhook.Url, "http-version=3"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("http-version", refused.Stderr);
    }

    [Fact]
    public async Task ACaFileWithoutARootCertificateIsRefused()
    {
        await using var server = await XosProcess.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"xos-test-notca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(file, "not a certificate\n");
        try
        {
            var refused = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "add", "webhook", "x", "https://127.0.0.1:1/", $"ca-file={file}"]);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("ca-file", refused.Stderr);
            // Nor can a chain end at a file that holds only an intermediate.
            using var root = Root("XOS test root");
            using var intermediate = Issue(root, "XOS test intermediate", ca: true);
            var intermediateFile = await PemFileAsync("intermediate", intermediate);
            try
            {
                var partial = await XosAdmin.RunXosAsync(["admin", "--endpoint", server.Endpoint, "notify", "add", "webhook", "x", "https://127.0.0.1:1/", $"ca-file={intermediateFile}"]);
                Assert.NotEqual(0, partial.ExitCode);
                Assert.Contains("root", partial.Stderr);
            }
            finally
            {
                File.Delete(intermediateFile);
            }
            Assert.DoesNotContain("arn:xos:sqs::x:webhook", await XosAdmin.RunAsync(server, "notify", "list"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string BucketOf(string body) =>
        System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("Records")[0].GetProperty("s3").GetProperty("bucket").GetProperty("name").GetString()!;
}
