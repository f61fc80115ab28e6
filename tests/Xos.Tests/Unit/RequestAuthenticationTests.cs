using Xos.Server.Auth;
using Xos.Server.Bench;
using Xos.Server.Protocol;
using static Xos.Tests.Unit.SignatureVectorTests;

namespace Xos.Tests.Unit;

/// <summary>
/// How requests that are not plainly well signed are answered: request dates (x-amz-date never silently replaced by
/// Date), the V2 resources botocore signs for bucket requests, SigV4's sorted SignedHeaders, presigned lifetimes.
/// </summary>
public sealed class RequestAuthenticationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private const string NowHttp = "Wed, 25 Nov 2026 12:00:00 GMT";

    private static S3Request V2Request(string method, string target, string stringToSign, params (string, string)[] headers) =>
        Request(method, "s3.amazonaws.com", target,
            [("Host", "s3.amazonaws.com"), .. headers, ("Authorization", $"AWS {AccessKey}:{SigV2.Sign(Secret, stringToSign)}")]);

    private static async Task<S3Exception> Refused(S3Request req) =>
        await Assert.ThrowsAsync<S3Exception>(() => Authenticator(Now).AuthenticateAsync(req, default));

    [Theory]
    [InlineData("Bad Date", "AccessDenied")]
    [InlineData("", "AccessDenied")]
    [InlineData("Tue, 07 Jul 1950 21:53:04 GMT", "AccessDenied")]
    [InlineData("Tue, 07 Jul 2010 21:53:04 GMT", "RequestTimeTooSkewed")]
    [InlineData("Tue, 07 Jul 9999 21:53:04 GMT", "RequestTimeTooSkewed")]
    public async Task V2XAmzDateIsCheckedBeforeTheSignatureAndNeverReplacedByDate(string amzDate, string code)
    {
        // Signed as botocore signs: the Date line holds Date, x-amz-date is among the amz headers.
        var req = V2Request("PUT", "/bucket/foo", $"PUT\n\n\n{NowHttp}\nx-amz-date:{amzDate}\n/bucket/foo", ("Date", NowHttp), ("x-amz-date", amzDate));
        var e = await Refused(req);
        Assert.Equal((code, 403), (e.Code, e.Status));
    }

    [Theory]
    [InlineData("")]
    [InlineData(NowHttp)]
    public async Task V2ValidXAmzDateVerifiesWithAnEmptyOrDateLine(string dateLine)
    {
        var req = V2Request("PUT", "/bucket/foo", $"PUT\n\n\n{dateLine}\nx-amz-date:{NowHttp}\n/bucket/foo", ("Date", NowHttp), ("x-amz-date", NowHttp));
        await Authenticator(Now).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
    }

    [Theory]
    [InlineData("PUT", "/bucket", "/bucket/")]
    [InlineData("PUT", "/bucket?cors", "/bucket/?cors")]
    [InlineData("PUT", "/bucket?cors", "/bucket?cors?cors")]
    [InlineData("GET", "/bucket?acl", "/bucket?acl")]
    public async Task V2PathStyleBucketResourcesAsBotocoreSignsThem(string method, string target, string resource)
    {
        var req = V2Request(method, target, $"{method}\n\n\n{NowHttp}\n{resource}", ("Date", NowHttp));
        await Authenticator(Now).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
    }

    [Fact]
    public async Task V2ResourceOfAnotherBucketDoesNotMatch()
    {
        var e = await Refused(V2Request("PUT", "/bucket", $"PUT\n\n\n{NowHttp}\n/other/", ("Date", NowHttp)));
        Assert.Equal("SignatureDoesNotMatch", e.Code);
    }

    private static S3Request V4Request(string signedHeaders, (string Name, string Value)[] canonicalHeaders, params (string, string)[] headers)
    {
        var canonical = SigV4.CanonicalRequest("GET", "/bucket/key", "", canonicalHeaders, signedHeaders, SigV4.EmptyPayloadHash);
        var signature = SigV4.Sign(SigV4.SigningKey(Secret, "20261125", "us-east-1", "s3"),
            SigV4.StringToSign("20261125T120000Z", "20261125/us-east-1/s3/aws4_request", canonical));
        return Request("GET", "s3.amazonaws.com", "/bucket/key",
        [
            ("Host", "s3.amazonaws.com"), ("x-amz-content-sha256", SigV4.EmptyPayloadHash), .. headers,
            ("Authorization", $"AWS4-HMAC-SHA256 Credential={AccessKey}/20261125/us-east-1/s3/aws4_request,SignedHeaders={signedHeaders},Signature={signature}"),
        ]);
    }

    [Fact]
    public async Task V4SignedHeadersMustBeSorted()
    {
        (string, string)[] sent = [("x-amz-date", "20261125T120000Z")];
        var sorted = V4Request("host;x-amz-content-sha256;x-amz-date",
            [("host", "s3.amazonaws.com"), ("x-amz-content-sha256", SigV4.EmptyPayloadHash), ("x-amz-date", "20261125T120000Z")], sent);
        await Authenticator(Now).AuthenticateAsync(sorted, default);
        Assert.Equal("owner-id", sorted.Identity?.OwnerId);

        // The same request, signed consistently over the headers in another order.
        var unsorted = V4Request("x-amz-date;host;x-amz-content-sha256",
            [("x-amz-date", "20261125T120000Z"), ("host", "s3.amazonaws.com"), ("x-amz-content-sha256", SigV4.EmptyPayloadHash)], sent);
        var e = await Refused(unsorted);
        Assert.Equal(("SignatureDoesNotMatch", 403), (e.Code, e.Status));
    }

    [Fact]
    public async Task V4InvalidXAmzDateIsNotReplacedByDate()
    {
        var req = V4Request("date;host;x-amz-content-sha256",
            [("date", NowHttp), ("host", "s3.amazonaws.com"), ("x-amz-content-sha256", SigV4.EmptyPayloadHash)],
            ("Date", NowHttp), ("x-amz-date", "20261325T120000Z"));
        var e = await Refused(req);
        Assert.Equal(("AccessDenied", 403), (e.Code, e.Status));
    }

    [Fact]
    public async Task V4DateHeaderAloneDatesTheSignature()
    {
        var req = V4Request("date;host;x-amz-content-sha256",
            [("date", NowHttp), ("host", "s3.amazonaws.com"), ("x-amz-content-sha256", SigV4.EmptyPayloadHash)], ("Date", NowHttp));
        await Authenticator(Now).AuthenticateAsync(req, default);
        Assert.Equal("owner-id", req.Identity?.OwnerId);
    }

    [Theory]
    [InlineData("-7", "AuthorizationQueryParametersError", 403)]
    [InlineData("609901", "AuthorizationQueryParametersError", 403)]
    [InlineData("soon", "AuthorizationQueryParametersError", 400)]
    public async Task PresignedExpiresOutsideAWeekIsForbidden(string expires, string code, int status)
    {
        var req = Request("GET", "s3.amazonaws.com",
            $"/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AccessKey}%2F20261125%2Fus-east-1%2Fs3%2Faws4_request" +
            $"&X-Amz-Date=20261125T120000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00", [("Host", "s3.amazonaws.com")]);
        var e = await Refused(req);
        Assert.Equal((code, status), (e.Code, e.Status));
    }

    [Fact]
    public void BenchSignsItsHeadersSorted()
    {
        using var client = new S3BenchClient(new BenchOptions { Endpoint = new Uri("http://127.0.0.1:9000"), AccessKey = "AK", SecretKey = "SK" });
        using var message = client.Create(HttpMethod.Post, "bucket", null, "delete=", new ByteArrayContent([1]), "1B2M2Y8AsgTpgAmY7PhCfg==");
        var authorization = message.Headers.GetValues("Authorization").Single();
        Assert.Contains("SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date,", authorization);
    }
}
