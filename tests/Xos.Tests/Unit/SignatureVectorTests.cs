using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Xos.Server.Auth;
using Xos.Server.Protocol;

namespace Xos.Tests.Unit;

/// <summary>
/// AWS's published examples (S3 API reference, "Signature Calculations for the Authorization Header",
/// "Query String Authentication", "Chunked Upload", and the Signature V2 REST authentication examples),
/// checked through <see cref="RequestAuthenticator"/> as a real request would be.
/// </summary>
public sealed class SignatureVectorTests
{
    internal const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    internal const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static readonly string[] Domains = ["s3.amazonaws.com"];

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class Keys(string secret) : ICredentialProvider
    {
        public ValueTask<AccessKeyRecord?> FindAsync(string accessKey, CancellationToken ct) =>
            ValueTask.FromResult(accessKey == AccessKey ? new AccessKeyRecord(AccessKey, secret, "owner-id", "owner") : null);
    }

    internal static S3Request Request(string method, string host, string target, (string, string)[] headers, byte[]? body = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Host = new HostString(host);
        foreach (var (name, value) in headers) http.Request.Headers[name] = value;
        var q = target.IndexOf('?');
        http.Request.Path = q < 0 ? target : target[..q];
        http.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(target[q..]);
        http.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        http.Request.Body = new MemoryStream(body ?? []);
        if (body is not null) http.Request.ContentLength = body.Length;
        return S3Request.Parse(http, "test", Domains);
    }

    internal static RequestAuthenticator Authenticator(DateTimeOffset now, string secret = Secret) => new(new Keys(secret), new FixedTime(now));

    private static readonly DateTimeOffset May24 = new(2013, 5, 24, 0, 0, 0, TimeSpan.Zero);

    private static (string, string)[] GetObjectHeaders(string signature) =>
    [
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", SigV4.EmptyPayloadHash),
        ("x-amz-date", "20130524T000000Z"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
                          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + signature),
    ];

    [Fact]
    public async Task V4GetObjectExampleVerifies()
    {
        var req = Request("GET", "examplebucket.s3.amazonaws.com", "/test.txt",
            GetObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        await Authenticator(May24).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
        Assert.Equal("examplebucket", req.Bucket);
        Assert.Equal("test.txt", req.Key);
    }

    [Fact]
    public void V4SigningKeyAndStringToSignMatchTheDocumentedSteps()
    {
        var canonical = SigV4.CanonicalRequest("GET", "/test.txt", "",
            [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9"), ("x-amz-content-sha256", SigV4.EmptyPayloadHash), ("x-amz-date", "20130524T000000Z")],
            "host;range;x-amz-content-sha256;x-amz-date", SigV4.EmptyPayloadHash);
        var toSign = SigV4.StringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical);
        Assert.EndsWith("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972", toSign);
        Assert.Equal("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            SigV4.Sign(SigV4.SigningKey(Secret, "20130524", "us-east-1", "s3"), toSign));
    }

    [Fact]
    public async Task V4WrongSecretIsSignatureDoesNotMatch()
    {
        var req = Request("GET", "examplebucket.s3.amazonaws.com", "/test.txt",
            GetObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(May24, "another-secret").AuthenticateAsync(req, default));
        Assert.Equal(("SignatureDoesNotMatch", 403), (e.Code, e.Status));
    }

    [Fact]
    public async Task UnknownAccessKeyIsInvalidAccessKeyId()
    {
        var headers = GetObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
            .Select(h => h.Item1 == "Authorization" ? (h.Item1, h.Item2.Replace(AccessKey, "AKIDUNKNOWN000000000")) : h).ToArray();
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(May24).AuthenticateAsync(Request("GET", "examplebucket.s3.amazonaws.com", "/test.txt", headers), default));
        Assert.Equal(("InvalidAccessKeyId", 403), (e.Code, e.Status));
    }

    [Fact]
    public async Task ClockSkewOver15MinutesIsRequestTimeTooSkewed()
    {
        var req = Request("GET", "examplebucket.s3.amazonaws.com", "/test.txt",
            GetObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(May24.AddMinutes(16)).AuthenticateAsync(req, default));
        Assert.Equal(("RequestTimeTooSkewed", 403), (e.Code, e.Status));
    }

    private const string PresignedTarget =
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    [Fact]
    public async Task V4PresignedUrlExampleVerifiesWithinItsLifetime()
    {
        var req = Request("GET", "examplebucket.s3.amazonaws.com", PresignedTarget, [("Host", "examplebucket.s3.amazonaws.com")]);
        await Authenticator(May24.AddHours(23)).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
    }

    [Fact]
    public async Task V4PresignedUrlAfterExpiryIsAccessDenied()
    {
        var req = Request("GET", "examplebucket.s3.amazonaws.com", PresignedTarget, [("Host", "examplebucket.s3.amazonaws.com")]);
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(May24.AddHours(24).AddSeconds(1)).AuthenticateAsync(req, default));
        Assert.Equal(("AccessDenied", 403, "Request has expired"), (e.Code, e.Status, e.Message));
    }

    [Fact]
    public async Task V4PresignedExpiresBeyondAWeekIsRefused()
    {
        var target = PresignedTarget.Replace("X-Amz-Expires=86400", "X-Amz-Expires=604801");
        var req = Request("GET", "examplebucket.s3.amazonaws.com", target, [("Host", "examplebucket.s3.amazonaws.com")]);
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(May24).AuthenticateAsync(req, default));
        Assert.Equal(("AuthorizationQueryParametersError", 403), (e.Code, e.Status));
    }

    private static (string, string)[] ChunkedHeaders() =>
    [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Content-Encoding", "aws-chunked"),
        ("Content-Length", "66824"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("x-amz-decoded-content-length", "66560"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
                          "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class," +
                          "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
    ];

    private static byte[] ChunkedBody(string firstChunkSignature)
    {
        var body = new MemoryStream();
        void Write(string s) => body.Write(Encoding.ASCII.GetBytes(s));
        Write($"10000;chunk-signature={firstChunkSignature}\r\n");
        body.Write(Enumerable.Repeat((byte)'a', 65536).ToArray());
        Write("\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
        body.Write(Enumerable.Repeat((byte)'a', 1024).ToArray());
        Write("\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
        return body.ToArray();
    }

    [Fact]
    public async Task V4ChunkedUploadExampleDecodesAndVerifiesEveryChunk()
    {
        var body = ChunkedBody("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
        Assert.Equal(66824, body.Length);
        var req = Request("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt", ChunkedHeaders(), body);
        await Authenticator(May24).AuthenticateAsync(req, default);
        Assert.Equal(66560, req.ContentLength);
        var decoded = new MemoryStream();
        await req.Body.CopyToAsync(decoded);
        Assert.Equal(66560, decoded.Length);
        Assert.All(decoded.ToArray(), b => Assert.Equal((byte)'a', b));
    }

    [Fact]
    public async Task V4ChunkedUploadWithABadChunkSignatureFailsWhileReading()
    {
        var body = ChunkedBody("bd80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
        var req = Request("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt", ChunkedHeaders(), body);
        await Authenticator(May24).AuthenticateAsync(req, default);
        var e = await Assert.ThrowsAsync<S3Exception>(() => req.Body.CopyToAsync(Stream.Null));
        Assert.Equal("SignatureDoesNotMatch", e.Code);
    }

    [Fact]
    public async Task V4SignedPayloadHashMismatchIsDetectedAtTheEndOfTheBody()
    {
        // A correctly signed request whose body is not the one whose hash was signed.
        var payload = "hello"u8.ToArray();
        var claimed = SigV4.Sha256Hex("something else");
        const string date = "20130524T000000Z";
        (string, string)[] headers = [("Host", "s3.amazonaws.com"), ("x-amz-date", date), ("x-amz-content-sha256", claimed)];
        var canonical = SigV4.CanonicalRequest("PUT", "/bucket/key", "",
            [("host", "s3.amazonaws.com"), ("x-amz-content-sha256", claimed), ("x-amz-date", date)], "host;x-amz-content-sha256;x-amz-date", claimed);
        var signature = SigV4.Sign(SigV4.SigningKey(Secret, "20130524", "us-east-1", "s3"), SigV4.StringToSign(date, "20130524/us-east-1/s3/aws4_request", canonical));
        headers = [.. headers, ("Authorization", $"AWS4-HMAC-SHA256 Credential={AccessKey}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature={signature}")];
        var req = Request("PUT", "s3.amazonaws.com", "/bucket/key", headers, payload);
        await Authenticator(May24).AuthenticateAsync(req, default);
        var e = await Assert.ThrowsAsync<S3Exception>(() => req.Body.CopyToAsync(Stream.Null));
        Assert.Equal("XAmzContentSHA256Mismatch", e.Code);
    }

    [Fact]
    public async Task V2ObjectGetExampleVerifies()
    {
        var req = Request("GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg",
        [
            ("Host", "johnsmith.s3.amazonaws.com"),
            ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
            ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
        ]);
        await Authenticator(new DateTimeOffset(2007, 3, 27, 19, 40, 0, TimeSpan.Zero)).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
    }

    [Fact]
    public void V2ResourceIncludesOnlySignedSubresourcesSorted() =>
        Assert.Equal("/bucket/key?acl&versionId=3",
            SigV2.CanonicalizedResource(null, "/bucket/key", "versionId=3&foo=bar&acl"));

    [Fact]
    public async Task V2QueryAfterExpiryIsAccessDenied()
    {
        var req = Request("GET", "johnsmith.s3.amazonaws.com",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            [("Host", "johnsmith.s3.amazonaws.com")]);
        var e = await Assert.ThrowsAsync<S3Exception>(() => Authenticator(DateTimeOffset.FromUnixTimeSeconds(1175139621)).AuthenticateAsync(req, default));
        Assert.Equal(("AccessDenied", "Request has expired"), (e.Code, e.Message));
    }

    [Fact]
    public async Task V2QueryExampleVerifiesBeforeExpiry()
    {
        var req = Request("GET", "johnsmith.s3.amazonaws.com",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            [("Host", "johnsmith.s3.amazonaws.com")]);
        await Authenticator(DateTimeOffset.FromUnixTimeSeconds(1175139000)).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
    }

    [Fact]
    public async Task RequestWithoutSignatureStaysAnonymous()
    {
        var req = Request("GET", "examplebucket.s3.amazonaws.com", "/test.txt", [("Host", "examplebucket.s3.amazonaws.com")]);
        await Authenticator(May24).AuthenticateAsync(req, default);
        Assert.Null(req.Identity);
    }

    [Theory]
    [InlineData("/a b/c", "/a%20b/c")]
    [InlineData("/%E4%B8%AD", "/%E4%B8%AD")]
    [InlineData("/a%2Bb", "/a%2Bb")]
    [InlineData("/a+b", "/a%2Bb")]
    [InlineData("/~user/x.y_z-", "/~user/x.y_z-")]
    public void CanonicalUriEncodesOnceKeepingSlashes(string raw, string canonical) => Assert.Equal(canonical, SigV4.CanonicalUri(raw));

    [Fact]
    public void CanonicalQuerySortsAndEncodes() =>
        Assert.Equal("a=&b=1%202&prefix=%E4%B8%AD", SigV4.CanonicalQuery("prefix=%E4%B8%AD&b=1%202&a"));
}
