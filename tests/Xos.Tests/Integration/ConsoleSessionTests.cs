using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// The web console's sessions against a real server: the cookie's attributes, what the session may do with and
/// without its CSRF token, that signed requests never see it, sign-out, idle and absolute expiry, slowed-down
/// failures, temporary credentials, revoked keys, root's admin API, and the redirect of browsers opening "/".
/// </summary>
[Collection(XosCollection.Name)]
public sealed class ConsoleSessionTests(XosFixture fixture)
{
    private XosProcess Server => fixture.Server;

    private Task<ConsoleClient> RootAsync() => ConsoleClient.SignInAsync(Server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);

    [Fact]
    public async Task SigningInSetsAnHttpOnlyStrictCookieAndTheSessionActsAsTheKey()
    {
        using var console = new ConsoleClient(Server.Endpoint);
        var response = await console.TrySignInAsync(XosProcess.AccessKey, XosProcess.SecretKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("xos_console=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(XosProcess.SecretKey, body);
        Assert.True(console.Session.GetProperty("admin").GetBoolean());
        Assert.Equal("root", console.Session.GetProperty("user").GetString());

        var bucket = XosFixture.NewBucketName("console");
        Assert.Equal(HttpStatusCode.OK, (await console.SendAsync(HttpMethod.Put, "/" + bucket)).StatusCode);
        var list = await console.SendAsync(HttpMethod.Get, "/");
        Assert.Contains($"<Name>{bucket}</Name>", await list.Content.ReadAsStringAsync());
        using var s3 = Server.CreateClient();
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);
    }

    [Fact]
    public async Task AStateChangingRequestWithoutTheCsrfTokenIsAnonymousAndAWrongTokenIsRefused()
    {
        using var console = await RootAsync();
        var bucket = XosFixture.NewBucketName("csrf");
        var noToken = await console.SendAsync(HttpMethod.Put, "/" + bucket, csrf: false);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (noToken.StatusCode, await ConsoleClient.ErrorCodeAsync(noToken)));
        var wrong = await console.SendAsync(HttpMethod.Put, "/" + bucket, csrf: false, headers: ("X-XOS-CSRF", "not-the-token"));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Contains("CSRF", await wrong.Content.ReadAsStringAsync());
        using var s3 = Server.CreateClient();
        Assert.DoesNotContain((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);

        // The console's own operations refuse outright, and the forged sign-out leaves the session alone.
        var signOut = await console.SendAsync(HttpMethod.Post, "/_xos/console/api/sign-out", csrf: false);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (signOut.StatusCode, await ConsoleClient.ErrorCodeAsync(signOut)));
        Assert.Equal(HttpStatusCode.OK, (await console.SendAsync(HttpMethod.Get, "/_xos/console/api/session", csrf: false)).StatusCode);
        var admin = await console.SendAsync(HttpMethod.Post, "/_xos/admin/users", csrf: false, body: JsonContent.Create(new { name = "forged-user" }));
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        Assert.DoesNotContain(await XosAdmin.RunAsync(Server, "user", "list"), "forged-user");
    }

    [Fact]
    public async Task TheCookieAloneServesReadsOfTheConsolesOwnPagesOnly()
    {
        using var console = await RootAsync();
        var bucket = XosFixture.NewBucketName("reads");
        using var s3 = Server.CreateClient();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "clip.txt", ContentBody = "0123456789" });
        // A media element of the console's page: no CSRF header, but the browser says the page is this origin's.
        var sameOrigin = await console.SendAsync(HttpMethod.Get, $"/{bucket}/clip.txt", csrf: false, headers: [("Sec-Fetch-Site", "same-origin"), ("Range", "bytes=2-4")]);
        Assert.Equal(HttpStatusCode.PartialContent, sameOrigin.StatusCode);
        Assert.Equal("234", await sameOrigin.Content.ReadAsStringAsync());
        // Another page of the same site (another port) embedding the object gets nothing from the cookie.
        var sameSite = await console.SendAsync(HttpMethod.Get, $"/{bucket}/clip.txt", csrf: false, headers: ("Sec-Fetch-Site", "same-site"));
        Assert.Equal(HttpStatusCode.Forbidden, sameSite.StatusCode);
        var api = await console.SendAsync(HttpMethod.Get, "/_xos/console/api/session", headers: ("Sec-Fetch-Site", "cross-site"));
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
    }

    [Fact]
    public async Task SignedRequestsNeverUseTheCookie()
    {
        using var console = await RootAsync();
        var alice = await XosAdmin.AddUserAsync(Server, "cookie-alice-" + Guid.NewGuid().ToString("N")[..6]);
        using var s3 = Server.CreateClient();
        var bucket = XosFixture.NewBucketName("roots");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private.txt", ContentBody = "root's" });
        using var asAlice = Server.CreateClient(alice.AccessKey, alice.SecretKey);
        var url = await asAlice.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            { BucketName = bucket, Key = "private.txt", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP });
        // Presigned by alice, sent with root's cookie and token: the signature decides who asks, and alice may not read it.
        var presigned = await console.SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (presigned.StatusCode, await ConsoleClient.ErrorCodeAsync(presigned)));
        Assert.Equal(HttpStatusCode.OK, (await console.SendAsync(HttpMethod.Get, $"/{bucket}/private.txt")).StatusCode);
        var badSignature = await console.SendAsync(HttpMethod.Get, "/", headers: ("Authorization",
            $"AWS4-HMAC-SHA256 Credential={XosProcess.AccessKey}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"));
        Assert.NotEqual(HttpStatusCode.OK, badSignature.StatusCode);
        var brokenQuery = await console.SendAsync(HttpMethod.Get, "/?Signature=x");
        Assert.Equal(HttpStatusCode.Forbidden, brokenQuery.StatusCode);
    }

    [Fact]
    public async Task SigningOutEndsTheSessionAndTheConsoleIsToldItEnded()
    {
        using var console = await RootAsync();
        var stolen = console.Cookie!;
        Assert.Equal(HttpStatusCode.NoContent, (await console.SendAsync(HttpMethod.Post, "/_xos/console/api/sign-out")).StatusCode);
        Assert.Null(console.Cookie);
        using var replay = new ConsoleClient(Server.Endpoint);
        var withToken = await replay.SendAsync(HttpMethod.Get, "/", csrf: false, headers: [("Cookie", "xos_console=" + stolen), ("X-XOS-CSRF", console.CsrfToken!)]);
        Assert.Equal((HttpStatusCode.Unauthorized, "ConsoleSessionExpired"), (withToken.StatusCode, await ConsoleClient.ErrorCodeAsync(withToken)));
        // A stale cookie on a plain navigation is just an anonymous request.
        var plain = await replay.SendAsync(HttpMethod.Get, "/", csrf: false, headers: ("Cookie", "xos_console=" + stolen));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (plain.StatusCode, await ConsoleClient.ErrorCodeAsync(plain)));
        var session = await replay.SendAsync(HttpMethod.Get, "/_xos/console/api/session", csrf: false, headers: ("Cookie", "xos_console=" + stolen));
        Assert.Equal((HttpStatusCode.Unauthorized, "ConsoleSessionExpired"), (session.StatusCode, await ConsoleClient.ErrorCodeAsync(session)));
    }

    [Fact]
    public async Task FailedSignInsAreSlowedDownPerAccessKey()
    {
        var alice = await XosAdmin.AddUserAsync(Server, "slow-alice-" + Guid.NewGuid().ToString("N")[..6]);
        using var console = new ConsoleClient(Server.Endpoint);
        var unknown = await console.TrySignInAsync("NOSUCHKEY" + Guid.NewGuid().ToString("N")[..8], "whatever-secret");
        var unknownBody = await unknown.Content.ReadAsStringAsync();
        for (var i = 0; i < 5; i++)
        {
            var wrong = await console.TrySignInAsync(alice.AccessKey, "not-the-secret");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            // An unknown key and a wrong secret read the same: nothing says which keys exist.
            Assert.Equal(unknownBody, await wrong.Content.ReadAsStringAsync());
        }
        var throttled = await console.TrySignInAsync(alice.AccessKey, alice.SecretKey);
        Assert.Equal((HttpStatusCode.TooManyRequests, "TooManyAttempts"), (throttled.StatusCode, await ConsoleClient.ErrorCodeAsync(throttled)));
        var wait = throttled.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        await Task.Delay(wait + TimeSpan.FromMilliseconds(200));
        Assert.Equal(HttpStatusCode.OK, (await console.TrySignInAsync(alice.AccessKey, alice.SecretKey)).StatusCode);
    }

    [Fact]
    public async Task ARevokedKeyEndsItsSessionsAndOnlyRootsOwnKeyAdministers()
    {
        var alice = await XosAdmin.AddUserAsync(Server, "revoked-alice-" + Guid.NewGuid().ToString("N")[..6]);
        using var console = await ConsoleClient.SignInAsync(Server.Endpoint, alice.AccessKey, alice.SecretKey);
        Assert.False(console.Session.GetProperty("admin").GetBoolean());
        var admin = await console.SendAsync(HttpMethod.Get, "/_xos/admin/users");
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (admin.StatusCode, await ConsoleClient.ErrorCodeAsync(admin)));

        using var root = await RootAsync();
        var overview = await root.SendAsync(HttpMethod.Get, "/_xos/admin/overview");
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        var o = await overview.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Server.DataDirectory, o.GetProperty("dataDirectory").GetString());
        Assert.True(o.GetProperty("freeBytes").GetInt64() > 0);
        Assert.True(o.GetProperty("requests").GetInt64() > 0);
        foreach (var name in new[] { "version", "uptimeSeconds", "objects", "bytes", "requestsPerSecond", "users", "buckets" }) Assert.True(o.TryGetProperty(name, out _), name);

        Assert.Equal(HttpStatusCode.NoContent, (await root.SendAsync(HttpMethod.Delete, "/_xos/admin/keys/" + alice.AccessKey)).StatusCode);
        var after = await console.SendAsync(HttpMethod.Get, "/");
        Assert.Equal((HttpStatusCode.Unauthorized, "ConsoleSessionExpired"), (after.StatusCode, await ConsoleClient.ErrorCodeAsync(after)));
    }

    [Fact]
    public async Task UsageIsAnsweredToThoseWhoMayListTheBucket()
    {
        using var s3 = Server.CreateClient();
        var bucket = XosFixture.NewBucketName("usage");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "12345" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "b/c", ContentBody = "123" });
        using var root = await RootAsync();
        var usage = await (await root.SendAsync(HttpMethod.Get, "/_xos/console/api/usage?bucket=" + bucket)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((2L, 8L), (usage.GetProperty("objects").GetInt64(), usage.GetProperty("bytes").GetInt64()));

        var alice = await XosAdmin.AddUserAsync(Server, "usage-alice-" + Guid.NewGuid().ToString("N")[..6]);
        using var asAlice = await ConsoleClient.SignInAsync(Server.Endpoint, alice.AccessKey, alice.SecretKey);
        var denied = await asAlice.SendAsync(HttpMethod.Get, "/_xos/console/api/usage?bucket=" + bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (denied.StatusCode, await ConsoleClient.ErrorCodeAsync(denied)));
        await s3.PutBucketPolicyAsync(bucket, $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{alice.CanonicalId}}"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{{bucket}}"}]}""");
        Assert.Equal(HttpStatusCode.OK, (await asAlice.SendAsync(HttpMethod.Get, "/_xos/console/api/usage?bucket=" + bucket)).StatusCode);
    }

    [Fact]
    public async Task ShareLinksArePresignedWithTheSessionsKey()
    {
        using var s3 = Server.CreateClient();
        var bucket = XosFixture.NewBucketName("share");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/clip one.txt", ContentBody = "shared" });
        using var root = await RootAsync();
        var response = await root.SendAsync(HttpMethod.Post, "/_xos/console/api/share",
            body: JsonContent.Create(new { bucket, key = "dir/clip one.txt", expiresSeconds = 600, download = true }));
        var link = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        Assert.StartsWith($"{Server.Endpoint}/{bucket}/dir/clip%20one.txt?", link);
        using var stranger = new HttpClient();
        var got = await stranger.GetAsync(link);
        Assert.Equal("shared", await got.Content.ReadAsStringAsync());
        Assert.StartsWith("attachment", got.Content.Headers.ContentDisposition!.ToString());
        var tooLong = await root.SendAsync(HttpMethod.Post, "/_xos/console/api/share", body: JsonContent.Create(new { bucket, key = "k", expiresSeconds = 8 * 86400 }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (tooLong.StatusCode, await ConsoleClient.ErrorCodeAsync(tooLong)));
    }

    [Fact]
    public async Task BrowsersOpeningTheRootAreSentToTheConsoleAndS3ClientsAreNot()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var browser = new HttpRequestMessage(HttpMethod.Get, Server.Endpoint + "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8");
        var redirect = await http.SendAsync(browser);
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal("/_xos/console/", redirect.Headers.Location!.ToString());
        var s3Client = await http.GetAsync(Server.Endpoint + "/");
        Assert.Equal(HttpStatusCode.Forbidden, s3Client.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await s3Client.Content.ReadAsStringAsync());
        using var signed = Server.CreateClient();
        await signed.ListBucketsAsync();

        var page = await http.GetAsync(Server.Endpoint + "/_xos/console/");
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("frame-ancestors 'none'", string.Join(' ', page.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        var script = await http.GetAsync(Server.Endpoint + "/_xos/console/app.js");
        Assert.Equal("text/javascript; charset=utf-8", script.Content.Headers.ContentType!.ToString());
        using var again = new HttpRequestMessage(HttpMethod.Get, Server.Endpoint + "/_xos/console/app.js");
        again.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(Server.Endpoint + "/_xos/console/no-such.js")).StatusCode);
        // On a bucket's virtual host the same path is an object key.
        using var vhost = new HttpRequestMessage(HttpMethod.Get, Server.Endpoint + "/_xos/console/");
        vhost.Headers.Host = "some-bucket.localhost";
        Assert.Equal("NoSuchBucket", await ConsoleClient.ErrorCodeAsync(await http.SendAsync(vhost)));
    }

    [Fact]
    public async Task ObjectsOpenedAsPagesFromTheConsolesOriginAreSandboxed()
    {
        using var s3 = Server.CreateClient();
        var bucket = XosFixture.NewBucketName("pages");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "page.html", ContentBody = "<script>alert(1)</script>", ContentType = "text/html", CannedACL = S3CannedACL.PublicRead });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "photo.png", ContentBody = "png", ContentType = "image/png", CannedACL = S3CannedACL.PublicRead });
        using var http = new HttpClient();
        async Task<string?> PolicyOf(string key, string? dest)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Server.Endpoint}/{bucket}/{key}");
            if (dest is not null) request.Headers.Add("Sec-Fetch-Dest", dest);
            var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues("Content-Security-Policy", out var v) ? v.Single() : null;
        }
        Assert.Equal("sandbox", await PolicyOf("page.html", "document"));
        Assert.Equal("sandbox", await PolicyOf("page.html", "iframe"));
        Assert.Null(await PolicyOf("photo.png", "document"));
        Assert.Null(await PolicyOf("page.html", null));
    }
}

/// <summary>Sessions under short idle and absolute limits, of temporary credentials, over HTTPS, and across gateways.</summary>
public sealed class ConsoleSessionLifetimeTests
{
    [Fact]
    public async Task SessionsExpireWhenIdleAndAtTheirAbsoluteLimit()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
            { ["XOS_CONSOLE_IDLE_SECONDS"] = "1.5", ["XOS_CONSOLE_MAX_SECONDS"] = "4" });
        using var idle = await ConsoleClient.SignInAsync(server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
        using var busy = await ConsoleClient.SignInAsync(server.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
        Assert.Equal(1, (int)idle.Session.GetProperty("idleSeconds").GetInt64());
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(2.5))
        {
            Assert.Equal(HttpStatusCode.OK, (await busy.SendAsync(HttpMethod.Get, "/")).StatusCode);
            await Task.Delay(400);
        }
        var expired = await idle.SendAsync(HttpMethod.Get, "/");
        Assert.Equal((HttpStatusCode.Unauthorized, "ConsoleSessionExpired"), (expired.StatusCode, await ConsoleClient.ErrorCodeAsync(expired)));
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(4.5))
        {
            await busy.SendAsync(HttpMethod.Get, "/");
            await Task.Delay(400);
        }
        var over = await busy.SendAsync(HttpMethod.Get, "/");
        Assert.Equal((HttpStatusCode.Unauthorized, "ConsoleSessionExpired"), (over.StatusCode, await ConsoleClient.ErrorCodeAsync(over)));
        Assert.Equal(0, await server.ExecuteMetadataSqlAsync("DELETE FROM console_sessions"));
    }

    [Fact]
    public async Task TemporaryCredentialsSignInWithTheirTokenAndStayWithinTheirPolicies()
    {
        await using var server = await XosProcess.StartAsync();
        var alice = await XosAdmin.AddUserAsync(server, "alice");
        var policy = Path.GetTempFileName();
        await File.WriteAllTextAsync(policy, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:ListAllMyBuckets"],"Resource":"*"}]}""");
        await XosAdmin.RunAsync(server, "role", "add", "viewer", "--policy", policy, "--trust", "alice");
        File.Delete(policy);
        using (var asAlice = server.CreateClient(alice.AccessKey, alice.SecretKey))
        {
            await asAlice.PutBucketAsync("alice-media");
            await asAlice.PutObjectAsync(new PutObjectRequest { BucketName = "alice-media", Key = "clip.txt", ContentBody = "frames" });
        }
        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials(alice.AccessKey, alice.SecretKey),
            new AmazonSecurityTokenServiceConfig { ServiceURL = server.Endpoint, AuthenticationRegion = "ctyun", MaxErrorRetry = 0 });
        var c = (await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = "arn:aws:iam::role/viewer", RoleSessionName = "console", DurationSeconds = 900 })).Credentials;

        using var withoutToken = new ConsoleClient(server.Endpoint);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withoutToken.TrySignInAsync(c.AccessKeyId, c.SecretAccessKey)).StatusCode);
        using var console = await ConsoleClient.SignInAsync(server.Endpoint, c.AccessKeyId, c.SecretAccessKey, c.SessionToken);
        Assert.True(console.Session.GetProperty("temporary").GetBoolean());
        Assert.Equal("viewer", console.Session.GetProperty("role").GetString());
        Assert.False(console.Session.GetProperty("admin").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await console.SendAsync(HttpMethod.Get, "/alice-media?list-type=2")).StatusCode);
        var put = await console.SendAsync(HttpMethod.Put, "/alice-media/new.txt", body: new StringContent("x"));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (put.StatusCode, await ConsoleClient.ErrorCodeAsync(put)));

        var share = await console.SendAsync(HttpMethod.Post, "/_xos/console/api/share", body: JsonContent.Create(new { bucket = "alice-media", key = "clip.txt", expiresSeconds = 86400 }));
        var link = await share.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("X-Amz-Security-Token=", link.GetProperty("url").GetString());
        Assert.True(link.GetProperty("expires").GetDateTimeOffset() <= DateTimeOffset.UtcNow.AddSeconds(905), "no longer than the credentials");
        using var stranger = new HttpClient();
        Assert.Equal("frames", await stranger.GetStringAsync(link.GetProperty("url").GetString()));

        // The token is kept wrapped by the master key, never as it is; the secret not at all.
        Assert.Equal(1, await server.ExecuteMetadataSqlAsync("UPDATE console_sessions SET created = created WHERE access_key = @ak", ("@ak", c.AccessKeyId)));
        Assert.Equal(0, await server.ExecuteMetadataSqlAsync("UPDATE console_sessions SET created = created WHERE session_token LIKE @t OR secret_hash LIKE @s",
            ("@t", "%" + c.SessionToken[..24] + "%"), ("@s", "%" + c.SecretAccessKey[..16] + "%")));
    }

    [Fact]
    public async Task OverHttpsTheCookieIsSecure()
    {
        await using var tls = await TlsServer.StartAsync();
        using var console = new ConsoleClient($"https://127.0.0.1:{tls.Port}", new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        var response = await console.TrySignInAsync(XosProcess.AccessKey, XosProcess.SecretKey);
        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GatewaysSharingOnePostgresDatabaseShareSessionsAndSignOutEndsThemEverywhere()
    {
        var postgres = await TestPostgres.StartAsync();
        var url = await TestPostgres.CreateDatabaseAsync("xos_console_" + Guid.NewGuid().ToString("N")[..10], postgres);
        var data = Path.Combine(Path.GetTempPath(), "xos-console-gw-" + Guid.NewGuid().ToString("N")[..8]);
        var env = new Dictionary<string, string> { ["XOS_METADATA_URL"] = url };
        try
        {
            await using var a = await XosProcess.StartAsync(data, environment: env);
            await using var b = await XosProcess.StartAsync(data, environment: env);
            using var onA = await ConsoleClient.SignInAsync(a.Endpoint, XosProcess.AccessKey, XosProcess.SecretKey);
            using var onB = new ConsoleClient(b.Endpoint);
            var cookie = ("Cookie", "xos_console=" + onA.Cookie);
            var token = ("X-XOS-CSRF", onA.CsrfToken!);
            Assert.Equal(HttpStatusCode.OK, (await onB.SendAsync(HttpMethod.Put, "/across-gateways", headers: [cookie, token])).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await onA.SendAsync(HttpMethod.Head, "/across-gateways")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await onB.SendAsync(HttpMethod.Post, "/_xos/console/api/sign-out", headers: [cookie, token])).StatusCode);
            var ended = await onA.SendAsync(HttpMethod.Get, "/");
            Assert.Equal((HttpStatusCode.Unauthorized, "ConsoleSessionExpired"), (ended.StatusCode, await ConsoleClient.ErrorCodeAsync(ended)));
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }
}
