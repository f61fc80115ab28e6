using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Xos.Server.Auth;

namespace Xos.Server.Bench;

/// <summary>A minimal S3 client for the benchmark: path-style requests signed with SigV4 and an unsigned payload.</summary>
public sealed class S3BenchClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly BenchOptions _options;

    public S3BenchClient(BenchOptions options)
    {
        _options = options;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(options.Concurrency, 2) * 2,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        {
            Timeout = TimeSpan.FromMinutes(5),
        };
    }

    private static string Path(string bucket, string? key) =>
        "/" + bucket + (key is null ? "" : "/" + SigV4.UriEncode(key, keepSlash: true));

    public HttpRequestMessage Create(HttpMethod method, string bucket, string? key, string query = "", HttpContent? content = null, string? contentMd5 = null,
        IReadOnlyList<(string Name, string Value)>? extraHeaders = null)
    {
        var path = Path(bucket, key);
        var uri = new Uri(_options.Endpoint, path + (query.Length > 0 ? "?" + query : ""));
        var message = new HttpRequestMessage(method, uri) { Content = content, Version = HttpVersion.Version11 };
        var now = DateTime.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var headers = new List<(string, string)> { ("host", host) };
        if (contentMd5 is not null) headers.Add(("content-md5", contentMd5));
        headers.Add(("x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
        headers.Add(("x-amz-date", amzDate));
        foreach (var (name, value) in extraHeaders ?? []) headers.Add((name.ToLowerInvariant(), value));
        // SigV4 requires the signed headers sorted; servers such as Ceph RGW refuse any other order.
        headers.Sort((x, y) => string.CompareOrdinal(x.Item1, y.Item1));
        var signedHeaders = string.Join(';', headers.Select(h => h.Item1));
        var canonical = SigV4.CanonicalRequest(method.Method, SigV4.CanonicalUri(path), SigV4.CanonicalQuery(query), headers, signedHeaders, "UNSIGNED-PAYLOAD");
        var scope = $"{date}/{_options.Region}/s3/aws4_request";
        var signature = SigV4.Sign(SigV4.SigningKey(_options.SecretKey, date, _options.Region, "s3"), SigV4.StringToSign(amzDate, scope, canonical));
        message.Headers.TryAddWithoutValidation("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        message.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        foreach (var (name, value) in extraHeaders ?? []) message.Headers.TryAddWithoutValidation(name, value);
        if (contentMd5 is not null) content!.Headers.TryAddWithoutValidation("Content-MD5", contentMd5);
        message.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4.Algorithm} Credential={_options.AccessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        return message;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, CancellationToken ct) =>
        _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);

    /// <summary>Sends and fails with the S3 error text on a non-2xx answer.</summary>
    public async Task<string> SendForTextAsync(HttpRequestMessage message, CancellationToken ct)
    {
        using var response = await SendAsync(message, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new BenchRequestException((int)response.StatusCode, text);
        return text;
    }

    public async Task DeleteObjectsAsync(string bucket, IReadOnlyList<string> keys, CancellationToken ct)
    {
        for (var i = 0; i < keys.Count; i += 1000)
        {
            var xml = new StringBuilder("<Delete><Quiet>true</Quiet>");
            foreach (var key in keys.Skip(i).Take(1000))
                xml.Append("<Object><Key>").Append(System.Security.SecurityElement.Escape(key)).Append("</Key></Object>");
            xml.Append("</Delete>");
            var body = Encoding.UTF8.GetBytes(xml.ToString());
            var md5 = Convert.ToBase64String(MD5.HashData(body));
            await SendForTextAsync(Create(HttpMethod.Post, bucket, null, "delete=", new ByteArrayContent(body), md5), ct);
        }
    }

    public void Dispose() => _http.Dispose();
}

public sealed class BenchRequestException(int status, string body) : Exception($"HTTP {status}: {Truncate(body)}")
{
    public int Status { get; } = status;
    private static string Truncate(string s) => s.Length > 300 ? s[..300] : s;
}
