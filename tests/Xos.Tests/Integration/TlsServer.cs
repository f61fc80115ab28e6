using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using Amazon.S3;

namespace Xos.Tests.Integration;

/// <summary>A real xos process serving HTTPS with a throw-away self-signed certificate, and clients that trust it.</summary>
public sealed class TlsServer : IAsyncDisposable
{
    private readonly string _dir;
    public XosProcess Server { get; }
    public int Port { get; }

    private TlsServer(string dir, XosProcess server, int port) => (_dir, Server, Port) = (dir, server, port);

    public static async Task<TlsServer> StartAsync(IDictionary<string, string>? environment = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "xos-tls-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var pfx = Path.Combine(dir, "server.pfx");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "pw"));
        }
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["XOS_TLS_CERT"] = pfx, ["XOS_TLS_CERT_PASSWORD"] = "pw" };
        var port = XosProcess.FreePort();
        var server = await XosProcess.StartAsync(port: port, environment: env, scheme: "https");
        return new TlsServer(dir, server, port);
    }

    public AmazonS3Client CreateClient() => new(new BasicAWSCredentials(XosProcess.AccessKey, XosProcess.SecretKey), new AmazonS3Config
    {
        ServiceURL = $"https://127.0.0.1:{Port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1", HttpClientFactory = new InsecureFactory(),
    });

    public static HttpClient CreateHttpClient() => new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });

    private sealed class InsecureFactory : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => TlsServer.CreateHttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
