using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>CORS configuration and its enforcement: preflights and headers on actual requests, as a browser sees them.</summary>
[Collection(XosCollection.Name)]
public sealed class CorsTests(XosFixture fixture)
{
    private static readonly HttpClient Http = new();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, params (string, string)[] headers)
    {
        var request = new HttpRequestMessage(method, $"{fixture.Server.Endpoint}/{path}");
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task PreflightsAreAnsweredFromTheFirstMatchingRule()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("cors");
        await s3.PutBucketAsync(bucket);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetCORSConfigurationAsync(bucket));
        Assert.Equal(("NoSuchCORSConfiguration", HttpStatusCode.NotFound), (missing.ErrorCode, missing.StatusCode));
        Assert.Equal(HttpStatusCode.Forbidden,
            (await SendAsync(HttpMethod.Options, $"{bucket}/k", ("Origin", "http://app.example.com"), ("Access-Control-Request-Method", "PUT"))).StatusCode);

        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration { Rules =
            [
                new CORSRule { AllowedOrigins = ["http://*.example.com"], AllowedMethods = ["GET", "PUT"], AllowedHeaders = ["*"], ExposeHeaders = ["ETag"], MaxAgeSeconds = 600 },
                new CORSRule { AllowedOrigins = ["*"], AllowedMethods = ["GET"] },
            ] },
        });
        Assert.Equal(2, (await s3.GetCORSConfigurationAsync(bucket)).Configuration.Rules.Count);

        var ok = await SendAsync(HttpMethod.Options, $"{bucket}/k", ("Origin", "http://app.example.com"), ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type, x-amz-date"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("http://app.example.com", ok.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("PUT", ok.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("600", ok.Headers.GetValues("Access-Control-Max-Age").Single());

        var anyOriginGet = await SendAsync(HttpMethod.Options, $"{bucket}/k", ("Origin", "http://other.org"), ("Access-Control-Request-Method", "GET"));
        Assert.Equal("*", anyOriginGet.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var refused = await SendAsync(HttpMethod.Options, $"{bucket}/k", ("Origin", "http://other.org"), ("Access-Control-Request-Method", "DELETE"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        // An actual request with a matching Origin carries the headers, even when it is refused for lack of a signature.
        var actual = await SendAsync(HttpMethod.Get, $"{bucket}/k", ("Origin", "http://app.example.com"));
        Assert.Equal("http://app.example.com", actual.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("ETag", actual.Headers.GetValues("Access-Control-Expose-Headers").Single());
        Assert.Contains("Origin", actual.Headers.Vary);

        await s3.DeleteCORSConfigurationAsync(bucket);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await SendAsync(HttpMethod.Options, $"{bucket}/k", ("Origin", "http://app.example.com"), ("Access-Control-Request-Method", "GET"))).StatusCode);
    }

    [Fact]
    public async Task InvalidConfigurationsAreRefused()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("corsbad");
        await s3.PutBucketAsync(bucket);
        var badMethod = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket, Configuration = new CORSConfiguration { Rules = [new CORSRule { AllowedOrigins = ["*"], AllowedMethods = ["PATCH"] }] },
        }));
        Assert.Equal(("InvalidRequest", HttpStatusCode.BadRequest), (badMethod.ErrorCode, badMethod.StatusCode));
        var tooMany = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration { Rules = Enumerable.Range(0, 101).Select(_ => new CORSRule { AllowedOrigins = ["*"], AllowedMethods = ["GET"] }).ToList() },
        }));
        Assert.Equal("InvalidRequest", tooMany.ErrorCode);
    }
}
