using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Xos.Server.Auth;

namespace Xos.Tests.Integration;

/// <summary>An IAM answer that is an ErrorResponse: its HTTP status and IAM error code.</summary>
public sealed class IamError(HttpStatusCode status, string code, XDocument body) : Exception($"{(int)status} {code}")
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;
    public XDocument Body { get; } = body;
}

/// <summary>
/// The IAM query API as the SDKs send it: a form POST to / with Action and Version=2010-05-08, signed with SigV4 for
/// service "iam" in us-east-1 (no AWSSDK.IdentityManagement is on the package mirror; awscli and boto3 drive the same
/// API in tests/clients).
/// </summary>
public sealed class IamClient(string endpoint, string accessKey, string secretKey) : IDisposable
{
    public static readonly XNamespace Ns = "https://iam.amazonaws.com/doc/2010-05-08/";
    private readonly HttpClient _http = new();

    public async Task<XElement> CallAsync(string action, params (string Name, string Value)[] parameters)
    {
        var body = string.Join('&', new[] { ("Action", action), ("Version", "2010-05-08") }.Concat(parameters)
            .Select(p => Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2)));
        var uri = new Uri(endpoint + "/");
        var now = DateTime.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var payloadHash = SigV4.Sha256Hex(body);
        const string contentType = "application/x-www-form-urlencoded; charset=utf-8";
        var host = uri.Authority;
        var headers = new List<(string, string)> { ("content-type", contentType), ("host", host), ("x-amz-date", amzDate) };
        const string signedHeaders = "content-type;host;x-amz-date";
        var canonical = SigV4.CanonicalRequest("POST", "/", "", headers, signedHeaders, payloadHash);
        var scope = $"{date}/us-east-1/iam/aws4_request";
        var signature = SigV4.Sign(SigV4.SigningKey(secretKey, date, "us-east-1", "iam"), SigV4.StringToSign(amzDate, scope, canonical));
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        using var response = await _http.SendAsync(request);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        if (!response.IsSuccessStatusCode)
            throw new IamError(response.StatusCode, xml.Root?.Element(Ns + "Error")?.Element(Ns + "Code")?.Value ?? xml.ToString(), xml);
        Assert.Equal(Ns + (action + "Response"), xml.Root!.Name);
        Assert.False(string.IsNullOrEmpty(xml.Root.Element(Ns + "ResponseMetadata")?.Element(Ns + "RequestId")?.Value));
        return xml.Root.Element(Ns + (action + "Result")) ?? new XElement(Ns + "Empty");
    }

    public static async Task<IamError> FailsAsync(Task call) => await Assert.ThrowsAsync<IamError>(() => call);

    /// <summary>The status and IAM error code a call that must fail answers.</summary>
    public static async Task<(HttpStatusCode, string)> CodeAsync(Task call)
    {
        var e = await FailsAsync(call);
        return (e.Status, e.Code);
    }

    public void Dispose() => _http.Dispose();
}

public static class IamXmlExtensions
{
    public static string V(this XElement e, params string[] path) =>
        path.Aggregate(e, (x, name) => x.Element(IamClient.Ns + name) ?? throw new InvalidOperationException($"no {name} in {e}")).Value;

    public static List<string> Members(this XElement e, string list, string field) =>
        e.Element(IamClient.Ns + list)!.Elements(IamClient.Ns + "member").Select(m => field.Length == 0 ? m.Value : m.Element(IamClient.Ns + field)!.Value).ToList();
}
