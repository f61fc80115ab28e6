using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Xos.Tests.Integration;

/// <summary>
/// What the web console's scripts do, with HttpClient: sign in, then send S3 and admin requests with the session
/// cookie, and the CSRF token when asked to (as the console always does).
/// </summary>
public sealed class ConsoleClient : IDisposable
{
    private readonly CookieContainer _cookies = new();
    public HttpClient Http { get; }
    public string Endpoint { get; }
    public string? CsrfToken { get; private set; }
    public JsonElement Session { get; private set; }

    public ConsoleClient(string endpoint, HttpMessageHandler? inner = null)
    {
        Endpoint = endpoint;
        var handler = inner as HttpClientHandler ?? new HttpClientHandler();
        handler.CookieContainer = _cookies;
        handler.AllowAutoRedirect = false;
        Http = new HttpClient(handler) { BaseAddress = new Uri(endpoint), Timeout = TimeSpan.FromSeconds(60) };
    }

    public static async Task<ConsoleClient> SignInAsync(string endpoint, string accessKey, string secretKey, string? sessionToken = null)
    {
        var client = new ConsoleClient(endpoint);
        var response = await client.TrySignInAsync(accessKey, secretKey, sessionToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return client;
    }

    public async Task<HttpResponseMessage> TrySignInAsync(string accessKey, string secretKey, string? sessionToken = null)
    {
        var response = await Http.PostAsJsonAsync("/_xos/console/api/session", new { accessKey, secretKey, sessionToken });
        if (response.IsSuccessStatusCode)
        {
            Session = await response.Content.ReadFromJsonAsync<JsonElement>();
            CsrfToken = Session.GetProperty("csrfToken").GetString();
        }
        return response;
    }

    /// <summary>The session cookie's value, as the browser holds it.</summary>
    public string? Cookie => _cookies.GetCookies(new Uri(Endpoint))["xos_console"]?.Value;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, bool csrf = true, HttpContent? body = null,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body };
        if (csrf && CsrfToken is not null) request.Headers.Add("X-XOS-CSRF", CsrfToken);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await Http.SendAsync(request);
    }

    public void Dispose() => Http.Dispose();

    /// <summary>The Code of an S3 error XML or of a JSON error body.</summary>
    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (text.TrimStart().StartsWith('{')) return JsonDocument.Parse(text).RootElement.GetProperty("code").GetString();
        var start = text.IndexOf("<Code>", StringComparison.Ordinal);
        return start < 0 ? null : text[(start + 6)..text.IndexOf("</Code>", StringComparison.Ordinal)];
    }
}
