using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Xos.Server.Notifications.Targets;

/// <summary>
/// A webhook: an HTTP POST of the event JSON to the endpoint, acknowledged by any 2xx answer. Optional settings: token
/// (sent as "Authorization: Bearer TOKEN"), secret (an "X-Xos-Signature: sha256=HEX" header, the HMAC-SHA256 of the
/// body under the secret), ca-file (PEM certificates, one or more, the endpoint's TLS certificate must chain to, instead of the
/// system's roots), timeout (seconds), concurrency (how many POSTs may be in flight at once, each of a different key;
/// default 8, 1 for one at a time) and http-version (see <see cref="NotifyTarget.HttpVersion"/>: HTTP/2 where a TLS
/// endpoint offers it, or always, when the POSTs in flight share one connection). AWS sends one record per message, and
/// so does this: concurrency, not batching.
/// </summary>
public sealed class WebhookSender : IEventSender
{
    public const string SignatureHeader = "X-Xos-Signature";
    public const string EventIdHeader = "X-Xos-Event-Id";

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string? _token;
    private readonly byte[]? _secret;
    private readonly Version _version;
    private readonly HttpVersionPolicy _versionPolicy;

    public int Concurrency { get; }

    public WebhookSender(NotifyTarget target)
    {
        Concurrency = target.Concurrency;
        _endpoint = new Uri(target.Setting("endpoint")!);
        _token = target.Setting("token");
        _secret = target.Setting("secret") is { } s ? Encoding.UTF8.GetBytes(s) : null;
        // HTTP/2 over TLS is chosen by the endpoint (ALPN) unless asked for or refused; without TLS only when asked
        // for, as prior knowledge (h2c): an HTTP/1.1 server cannot answer it.
        (_version, _versionPolicy) = target.HttpVersion switch
        {
            "2" => (HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact),
            "1.1" => (HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact),
            _ => _endpoint.Scheme == Uri.UriSchemeHttps
                ? (HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower)
                : (HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact),
        };
        // The CA file, read before anything that would need disposing: the chain's roots (self-signed), and any
        // intermediates the endpoint does not send itself.
        var trusted = target.Setting("ca-file") is { } caFile ? NotifyTarget.CertificatesIn(caFile) : null;
        // No cookies: a webhook's answers must not change what later events carry. Over HTTP/2 the POSTs in flight share
        // a connection, a second one opening only when the endpoint's limit of streams is reached.
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = target.Timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = Concurrency, UseCookies = false,
            EnableMultipleHttp2Connections = true,
        };
        if (trusted is not null)
        {
            // The endpoint's certificate must chain, through the intermediates it sends (or the file holds), to a root
            // of the file, and only of the file; its name is checked as always. Nothing is fetched during validation.
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true,
            };
            foreach (var certificate in trusted)
                (NotifyTarget.IsRoot(certificate) ? policy.CustomTrustStore : policy.ExtraStore).Add(certificate);
            handler.SslOptions.CertificateChainPolicy = policy;
        }
        _http = new HttpClient(handler) { Timeout = target.Timeout };
    }

    public async Task SendAsync(byte[] message, long id, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = new ByteArrayContent(message), Version = _version, VersionPolicy = _versionPolicy,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(EventIdHeader, EventMessage.Sequencer(id));
        if (_token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        if (_secret is not null) request.Headers.TryAddWithoutValidation(SignatureHeader, "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(_secret, message)));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the webhook answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
