using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using NetVips;

namespace Xos.Tests.Integration.Media;

/// <summary>Requests with a processing parameter appended to a presigned URL (as on Aliyun OSS), and test images made with NetVips.</summary>
public static class MediaClient
{
    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    public static string Url(IAmazonS3 s3, string bucket, string key, string pipeline, string param = "x-xos-process", string? versionId = null,
        HttpVerb verb = HttpVerb.GET, Protocol protocol = Protocol.HTTP) =>
        s3.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = key, Expires = DateTime.UtcNow.AddHours(1), Verb = verb, Protocol = protocol, VersionId = versionId,
        }) + "&" + param + "=" + Uri.EscapeDataString(pipeline);

    public static async Task<HttpResponseMessage> SendAsync(IAmazonS3 s3, string bucket, string key, string pipeline, string param = "x-xos-process",
        string? versionId = null, bool head = false, IDictionary<string, string>? headers = null, HttpClient? tls = null)
    {
        var request = new HttpRequestMessage(head ? HttpMethod.Head : HttpMethod.Get,
            Url(s3, bucket, key, pipeline, param, versionId, head ? HttpVerb.HEAD : HttpVerb.GET, tls is null ? Protocol.HTTP : Protocol.HTTPS));
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(k, v);
        return await (tls ?? Http).SendAsync(request);
    }

    /// <summary>A request signed with SigV4 in its Authorization header (the SDK presigns no POST), the query included in the signature.</summary>
    public static async Task<HttpResponseMessage> SignedAsync(string endpoint, HttpMethod method, string path, string query, byte[] body)
    {
        var now = DateTime.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var scope = $"{amzDate[..8]}/us-east-1/s3/aws4_request";
        var host = new Uri(endpoint).Authority;
        var payload = Xos.Server.Auth.SigV4.Hex(System.Security.Cryptography.SHA256.HashData(body));
        const string signed = "host;x-amz-content-sha256;x-amz-date";
        var canonical = Xos.Server.Auth.SigV4.CanonicalRequest(method.Method, Xos.Server.Auth.SigV4.CanonicalUri(path), Xos.Server.Auth.SigV4.CanonicalQuery(query),
            [("host", host), ("x-amz-content-sha256", payload), ("x-amz-date", amzDate)], signed, payload);
        var key = Xos.Server.Auth.SigV4.SigningKey(XosProcess.SecretKey, amzDate[..8], "us-east-1", "s3");
        var signature = Xos.Server.Auth.SigV4.Sign(key, Xos.Server.Auth.SigV4.StringToSign(amzDate, scope, canonical));
        var request = new HttpRequestMessage(method, $"{endpoint}{path}?{query}") { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payload);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={XosProcess.AccessKey}/{scope}, SignedHeaders={signed}, Signature={signature}");
        return await Http.SendAsync(request);
    }

    /// <summary>The processed result, which must be a 200.</summary>
    public static async Task<byte[]> GetAsync(IAmazonS3 s3, string bucket, string key, string pipeline, string param = "x-xos-process")
    {
        using var r = await SendAsync(s3, bucket, key, pipeline, param);
        var body = await r.Content.ReadAsByteArrayAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{pipeline}: {(int)r.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        return body;
    }

    /// <summary>The S3 error code and message of a failed answer, after checking its status.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"expected {(int)expected}, got {(int)r.StatusCode}: {body}");
        return body;
    }

    /// <summary>A width x height image, blue, with a red square of 100 pixels at its top-left corner.</summary>
    public static Image Marked(int width = 400, int height = 300)
    {
        var xy = Image.Xyz(width, height);
        var corner = (xy[0] < 100) & (xy[1] < 100);
        return corner.Ifthenelse(new double[] { 255, 0, 0 }, new double[] { 0, 0, 255 }).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    public static byte[] Jpeg(Image image) => image.JpegsaveBuffer(q: 95);
    public static byte[] Png(Image image) => image.PngsaveBuffer();

    public static async Task PutAsync(IAmazonS3 s3, string bucket, string key, byte[] body, string contentType = "image/jpeg") =>
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body), ContentType = contentType });

    /// <summary>The colour at (x, y), rounded, first three bands.</summary>
    public static int[] Pixel(byte[] encoded, int x, int y)
    {
        using var image = Image.NewFromBuffer(encoded);
        return image.Getpoint(x, y).Take(3).Select(v => (int)Math.Round(v)).ToArray();
    }

    public static (int Width, int Height) Size(byte[] encoded)
    {
        using var image = Image.NewFromBuffer(encoded);
        return (image.Width, image.Height);
    }

    public static bool IsRed(int[] c) => c[0] > 200 && c[1] < 60 && c[2] < 60;
    public static bool IsBlue(int[] c) => c[0] < 60 && c[1] < 60 && c[2] > 200;
}
