using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.WebConsole;
using static Xos.Tests.Unit.SignatureVectorTests;

namespace Xos.Tests.Unit;

/// <summary>The web console's pure rules: sign-in throttling, share links, session lifetimes, CSRF tokens, what the cookie alone may do, its assets.</summary>
public sealed partial class WebConsoleTests
{
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FailedSignInsAreFreeAtFirstThenWaitTwiceAsLongEachTimeUpToAMinute()
    {
        var clock = new Clock(T0);
        var throttle = new SignInThrottle(clock);
        for (var i = 0; i < SignInThrottle.FreeAttemptsPerKey - 1; i++) throttle.Failed("AK", "10.0.0.1");
        Assert.Null(throttle.RetryAfter("AK", "10.0.0.1"));
        throttle.Failed("AK", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("AK", "10.0.0.2"));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Null(throttle.RetryAfter("AK", "10.0.0.1"));
        throttle.Failed("AK", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("AK", "10.0.0.1"));
        for (var i = 0; i < 10; i++) throttle.Failed("AK", "10.0.0.1");
        Assert.Equal(SignInThrottle.MaxWait, throttle.RetryAfter("AK", "10.0.0.1"));
        Assert.Null(throttle.RetryAfter("OTHER", "10.0.0.9"));
        throttle.Succeeded("AK");
        Assert.Null(throttle.RetryAfter("AK", "10.0.0.9"));
    }

    [Fact]
    public void AnAddressGuessingManyKeysIsSlowedDownTooAndFailuresAreForgotten()
    {
        var clock = new Clock(T0);
        var throttle = new SignInThrottle(clock);
        for (var i = 0; i < SignInThrottle.FreeAttemptsPerAddress; i++) throttle.Failed($"AK{i}", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("NEW", "10.0.0.1"));
        Assert.Null(throttle.RetryAfter("NEW", "10.0.0.2"));
        clock.Now += SignInThrottle.Forget + TimeSpan.FromSeconds(1);
        throttle.Failed("AK0", "10.0.0.1");
        Assert.Null(throttle.RetryAfter("AK0", "10.0.0.1"));
    }

    [Fact]
    public async Task ShareLinksArePresignedUrlsTheServerAcceptsUntilTheyExpire()
    {
        var url = SharedLinks.Presign("http", "127.0.0.1:9000", "us-east-1", AccessKey, Secret, sessionToken: null, "media", "films/été 2026+final.mp4",
            versionId: "v01", downloadName: "été 2026+final.mp4", TimeSpan.FromMinutes(10), T0);
        var uri = new Uri(url);
        Assert.Equal("/media/films/%C3%A9t%C3%A9%202026%2Bfinal.mp4", uri.AbsolutePath);
        var req = Request("GET", "127.0.0.1:9000", uri.PathAndQuery, [("Host", "127.0.0.1:9000")]);
        await Authenticator(T0.AddMinutes(9)).AuthenticateAsync(req, default);
        Assert.Equal(AccessKey, req.Identity!.AccessKey);
        Assert.Equal("films/été 2026+final.mp4", req.Key);
        Assert.Equal("v01", req.Query("versionId"));
        Assert.Equal("attachment; filename*=UTF-8''%C3%A9t%C3%A9%202026%2Bfinal.mp4", req.Query("response-content-disposition"));
        var late = Request("GET", "127.0.0.1:9000", uri.PathAndQuery, [("Host", "127.0.0.1:9000")]);
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(T0.AddMinutes(10).AddSeconds(1)).AuthenticateAsync(late, default));
        Assert.Equal("AccessDenied", e.Code);
        var elsewhere = Request("GET", "other-host:9000", uri.PathAndQuery, [("Host", "other-host:9000")]);
        Assert.Equal("SignatureDoesNotMatch", (await Assert.ThrowsAsync<S3Exception>(() => Authenticator(T0).AuthenticateAsync(elsewhere, default))).Code);
    }

    [Fact]
    public void ShareLinksOfTemporaryCredentialsCarryTheirToken()
    {
        var url = SharedLinks.Presign("https", "s3.example", "us-east-1", "ASIATEMP", "secret", "token/with+chars=", "b", "k", null, null, TimeSpan.FromHours(1), T0);
        Assert.StartsWith("https://s3.example/b/k?", url);
        Assert.Contains("X-Amz-Security-Token=token%2Fwith%2Bchars%3D", url);
        Assert.Contains("X-Amz-Expires=3600", url);
    }

    [Theory]
    [InlineData(null, null, 1800, 43200)]
    [InlineData("2", null, 2, 43200)]
    [InlineData("600", "60", 600, 600)]
    public void SessionLifetimesComeFromTheEnvironment(string? idle, string? max, int idleSeconds, int maxSeconds)
    {
        var env = new Dictionary<string, string?> { ["XOS_CONSOLE_IDLE_SECONDS"] = idle, ["XOS_CONSOLE_MAX_SECONDS"] = max };
        var server = Xos.Server.Hosting.ServerOptions.Parse([], name => env.GetValueOrDefault(name));
        var options = ConsoleOptions.From(server.ConsoleIdle, server.ConsoleLifetime);
        Assert.Equal((TimeSpan.FromSeconds(idleSeconds), TimeSpan.FromSeconds(maxSeconds)), (options.Idle, options.Lifetime));
        Assert.True(options.TouchInterval <= TimeSpan.FromMinutes(1) && options.TouchInterval <= options.Idle / 10);
    }

    [Theory]
    [InlineData("XOS_CONSOLE_IDLE_SECONDS", "not a number")]
    [InlineData("XOS_CONSOLE_MAX_SECONDS", "-5")]
    public void SessionLifetimesThatDoNotReadAreRefusedNotIgnored(string name, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => Xos.Server.Hosting.ServerOptions.Parse([], n => n == name ? value : null));
        Assert.StartsWith($"{name}: must be a positive number of seconds", e.Message);
    }

    [Fact]
    public void TheCsrfTokenIsDerivedFromTheCookieAndTellsNothingAboutIt()
    {
        var secret = new byte[32];
        secret[0] = 1;
        var token = ConsoleSessions.CsrfToken(secret);
        Assert.Equal(token, ConsoleSessions.CsrfToken((byte[])secret.Clone()));
        secret[31] = 1;
        Assert.NotEqual(token, ConsoleSessions.CsrfToken(secret));
        Assert.Equal(43, token.Length);
        var session = new ActiveSession("id", new Xos.Server.Auth.Identity("AK", "owner", "alice"), token, T0, null);
        Assert.True(ConsoleSessions.TokenMatches(session, token));
        Assert.False(ConsoleSessions.TokenMatches(session, token[..^1]));
        Assert.False(ConsoleSessions.TokenMatches(session, null));
    }

    [Theory]
    [InlineData("GET", "same-origin", true)]
    [InlineData("HEAD", "none", true)]
    [InlineData("GET", "", true)]
    [InlineData("GET", "same-site", false)]
    [InlineData("GET", "cross-site", false)]
    [InlineData("PUT", "same-origin", false)]
    [InlineData("POST", "", false)]
    [InlineData("DELETE", "same-origin", false)]
    public void TheCookieAloneCountsForReadsOfThisOriginsPagesOnly(string method, string fetchSite, bool counts)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        if (fetchSite.Length > 0) http.Request.Headers["Sec-Fetch-Site"] = fetchSite;
        Assert.Equal(counts, ConsoleSessions.IsSameOriginRead(http.Request));
    }

    [Theory]
    [InlineData("GET", "/", "text/html,application/xhtml+xml", null, true)]
    [InlineData("GET", "/", "*/*", null, false)]
    [InlineData("GET", "/", null, null, false)]
    [InlineData("HEAD", "/", "text/html", null, false)]
    [InlineData("GET", "/bucket", "text/html", null, false)]
    [InlineData("GET", "/", "text/html", "AWS4-HMAC-SHA256 Credential=x", false)]
    public void OnlyABrowserOpeningTheRootWithoutCredentialsIsSentToTheConsole(string method, string path, string? accept, string? authorization, bool redirected)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        if (accept is not null) http.Request.Headers.Accept = accept;
        if (authorization is not null) http.Request.Headers.Authorization = authorization;
        Assert.Equal(redirected, ConsoleEndpoint.IsBrowserOpeningRoot(http.Request));
        http.Request.QueryString = new QueryString("?X-Amz-Signature=abc");
        Assert.False(ConsoleEndpoint.IsBrowserOpeningRoot(http.Request));
    }

    [Fact]
    public void TheRequestRateIsTheMeanOfTheLastWholeSeconds()
    {
        var clock = new Clock(T0);
        var rate = new RequestRate(clock);
        for (var i = 0; i < 10; i++) rate.Record();
        clock.Now += TimeSpan.FromSeconds(1);
        for (var i = 0; i < 30; i++) rate.Record();
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(20, rate.PerSecond(2));
        Assert.Equal(4, rate.PerSecond(10));
        Assert.Equal(40, rate.Total);
        clock.Now += TimeSpan.FromMinutes(1);
        rate.Record();
        Assert.Equal(0, rate.PerSecond(10));
        Assert.Equal(41, rate.Total);
    }

    [GeneratedRegex("""(?:import|from)\s*\(?\s*'\./([^']+)'""")]
    private static partial Regex ModuleImport();

    [Fact]
    public void EveryPageScriptAndStyleTheConsoleLoadsIsEmbeddedInTheServer()
    {
        var assets = new ConsoleAssets();
        var index = System.Text.Encoding.UTF8.GetString(assets.Find("")!.Content);
        var wanted = new Queue<string>(Regex.Matches(index, """(?:href|src)="([a-z-]+\.(?:js|css))""").Select(m => m.Groups[1].Value));
        var seen = new HashSet<string>();
        while (wanted.TryDequeue(out var path))
        {
            if (!seen.Add(path)) continue;
            var asset = assets.Find(path);
            Assert.True(asset is not null, $"{path} is not embedded");
            if (!path.EndsWith(".js", StringComparison.Ordinal)) continue;
            Assert.Equal("text/javascript; charset=utf-8", asset.ContentType);
            foreach (Match m in ModuleImport().Matches(System.Text.Encoding.UTF8.GetString(asset.Content))) wanted.Enqueue(m.Groups[1].Value);
        }
        Assert.Contains("upload.js", seen);
        Assert.Equal(seen.Order(), assets.Paths.Where(p => p != "index.html").Order());
    }
}
