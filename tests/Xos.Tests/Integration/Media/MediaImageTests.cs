using System.Net;
using System.Text;
using System.Text.Json;
using NetVips;
using static Xos.Tests.Integration.Media.MediaClient;

namespace Xos.Tests.Integration.Media;

/// <summary>Image processing on GET/HEAD through presigned URLs with the parameter appended, results checked by their pixels.</summary>
public sealed class MediaImageTests(MediaFixture fixture) : IClassFixture<MediaFixture>
{
    private async Task<(Amazon.S3.AmazonS3Client S3, string Bucket)> BucketWithAsync(string key, byte[] body)
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("media");
        await s3.PutBucketAsync(bucket);
        await PutAsync(s3, bucket, key, body);
        return (s3, bucket);
    }

    [Fact]
    public async Task ResizeModesAnswerTheirSizesUnderAllThreeParameterNames()
    {
        var (s3, bucket) = await BucketWithAsync("photo.jpg", Jpeg(Marked()));
        Assert.Equal((200, 150), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,w_200")));
        Assert.Equal((200, 150), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,w_200", "x-oss-process")));
        Assert.Equal((200, 150), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,w_200", "x-zos-process")));
        // Aliyun's examples: lfit inside the box, mfit outside it, fill cropped to it, pad filled to it, fixed stretched.
        Assert.Equal((133, 100), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,m_lfit,w_150,h_100")));
        Assert.Equal((150, 113), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,m_mfit,w_150,h_100")));
        Assert.Equal((150, 100), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,m_fill,w_150,h_100")));
        var padded = await GetAsync(s3, bucket, "photo.jpg", "image/resize,m_pad,w_150,h_150,color_00FF00");
        Assert.Equal((150, 150), Size(padded));
        var pad = Pixel(padded, 75, 2);
        Assert.True(pad[1] > 200 && pad[0] < 60 && pad[2] < 60, $"pad colour {string.Join(',', pad)}");
        Assert.Equal((100, 100), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,m_fixed,w_100,h_100")));
        Assert.Equal((200, 150), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,p_50")));
        Assert.Equal((300, 225), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,l_300")));
        // limit_1 (the default) never enlarges; limit_0 does.
        Assert.Equal((400, 300), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,w_800")));
        Assert.Equal((800, 600), Size(await GetAsync(s3, bucket, "photo.jpg", "image/resize,w_800,limit_0")));
    }

    [Fact]
    public async Task FormatsCarryTheirMagicBytesAndContentTypes()
    {
        var (s3, bucket) = await BucketWithAsync("photo.jpg", Jpeg(Marked()));
        var cases = new (string Format, string Type, Func<byte[], bool> Magic)[]
        {
            ("jpg", "image/jpeg", b => b[0] == 0xFF && b[1] == 0xD8),
            ("png", "image/png", b => b[0] == 0x89 && Encoding.ASCII.GetString(b, 1, 3) == "PNG"),
            ("webp", "image/webp", b => Encoding.ASCII.GetString(b, 0, 4) == "RIFF" && Encoding.ASCII.GetString(b, 8, 4) == "WEBP"),
            ("gif", "image/gif", b => Encoding.ASCII.GetString(b, 0, 4) == "GIF8"),
            ("tiff", "image/tiff", b => b[0] == (byte)'I' && b[1] == (byte)'I' && b[2] == 42),
            ("bmp", "image/bmp", b => b[0] == (byte)'B' && b[1] == (byte)'M'),
            ("avif", "image/avif", b => Encoding.ASCII.GetString(b, 4, 8) == "ftypavif"),
        };
        foreach (var (format, type, magic) in cases)
        {
            using var r = await SendAsync(s3, bucket, "photo.jpg", $"image/resize,w_100/format,{format}");
            var body = await r.Content.ReadAsByteArrayAsync();
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{format}: {(int)r.StatusCode} {Encoding.UTF8.GetString(body)}");
            Assert.Equal(type, r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(body.Length, r.Content.Headers.ContentLength);
            Assert.True(magic(body), $"{format} magic: {Convert.ToHexString(body.AsSpan(0, 12))}");
            if (format != "bmp") Assert.Equal((100, 75), Size(body));
        }
        var small = await GetAsync(s3, bucket, "photo.jpg", "image/quality,q_10");
        var large = await GetAsync(s3, bucket, "photo.jpg", "image/quality,Q_95");
        Assert.True(small.Length < large.Length, $"q_10 {small.Length} bytes, Q_95 {large.Length}");
        var progressive = await GetAsync(s3, bucket, "photo.jpg", "image/interlace,1");
        Assert.Contains(progressive.Select((b, i) => (b, i)).Where(p => p.i + 1 < progressive.Length && p.b == 0xFF).Select(p => progressive[p.i + 1]), m => m == 0xC2);
    }

    [Fact]
    public async Task GeometryIsSeenInKnownCornerColours()
    {
        var (s3, bucket) = await BucketWithAsync("photo.png", Png(Marked()));
        var rotated = await GetAsync(s3, bucket, "photo.png", "image/rotate,90");
        Assert.Equal((300, 400), Size(rotated));
        Assert.True(IsRed(Pixel(rotated, 250, 50)), "after a clockwise quarter turn the red corner is at the top right");
        Assert.True(IsBlue(Pixel(rotated, 50, 50)));
        var upsideDown = await GetAsync(s3, bucket, "photo.png", "image/rotate,180");
        Assert.True(IsRed(Pixel(upsideDown, 350, 250)));

        var cropped = await GetAsync(s3, bucket, "photo.png", "image/crop,w_150,h_150,g_se");
        Assert.Equal((150, 150), Size(cropped));
        Assert.True(IsBlue(Pixel(cropped, 5, 5)));
        var offset = await GetAsync(s3, bucket, "photo.png", "image/crop,x_50,y_50,w_100,h_100");
        Assert.True(IsRed(Pixel(offset, 10, 10)) && IsBlue(Pixel(offset, 90, 90)));
        var strip = await GetAsync(s3, bucket, "photo.png", "image/indexcrop,x_100,i_1");
        Assert.Equal((100, 300), Size(strip));
        Assert.True(IsBlue(Pixel(strip, 5, 5)));

        using (var circle = Image.NewFromBuffer(await GetAsync(s3, bucket, "photo.png", "image/circle,r_100")))
        {
            Assert.Equal((200, 200), (circle.Width, circle.Height));
            Assert.True(circle.HasAlpha());
            Assert.Equal(0, circle.Getpoint(1, 1)[3]);
            Assert.Equal(255, circle.Getpoint(100, 100)[3]);
        }
        using (var rounded = Image.NewFromBuffer(await GetAsync(s3, bucket, "photo.png", "image/rounded-corners,r_50")))
        {
            Assert.Equal(0, rounded.Getpoint(0, 0)[3]);
            Assert.Equal(255, rounded.Getpoint(200, 150)[3]);
        }
        // Pipelines run in order: a thumbnail, then a quarter turn.
        var both = await GetAsync(s3, bucket, "photo.png", "image/resize,w_200/rotate,270");
        Assert.Equal((150, 200), Size(both));
        Assert.True(IsRed(Pixel(both, 20, 180)), "a counter-clockwise quarter turn puts the red corner bottom left");
    }

    [Fact]
    public async Task EffectsChangePixelsAndWatermarksAppear()
    {
        var grey = Image.Black(300, 200).NewFromImage(128, 128, 128).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        var (s3, bucket) = await BucketWithAsync("grey.png", Png(grey));
        Assert.True(Pixel(await GetAsync(s3, bucket, "grey.png", "image/bright,50"), 10, 10)[0] > 200);
        Assert.True(Pixel(await GetAsync(s3, bucket, "grey.png", "image/bright,-50"), 10, 10)[0] < 40);
        Assert.Equal((300, 200), Size(await GetAsync(s3, bucket, "grey.png", "image/contrast,50/sharpen,100/blur,r_3,s_2")));

        string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var text = await GetAsync(s3, bucket, "grey.png", $"image/watermark,text_{B64("XOS XOS")},color_FF0000,size_60,g_center,t_100");
        using (var marked = Image.NewFromBuffer(text))
        {
            var red = (marked[0] > 200) & (marked[1] < 80);
            Assert.True(red.Avg() > 0.5, "red text pixels appear in the middle");
        }
        var plain = await GetAsync(s3, bucket, "grey.png", "image/format,png");
        using (var unmarked = Image.NewFromBuffer(plain)) Assert.Equal(0, ((unmarked[0] > 200) & (unmarked[1] < 80)).Avg());

        var mark = Image.Black(40, 40).NewFromImage(0, 255, 0).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        await PutAsync(s3, bucket, "logo/mark.png", Png(mark), "image/png");
        var withLogo = await GetAsync(s3, bucket, "grey.png", $"image/watermark,image_{B64("logo/mark.png")},g_nw,x_10,y_10");
        var logo = Pixel(withLogo, 30, 30);
        Assert.True(logo[1] > 200 && logo[0] < 60, $"the mark's green at (30,30): {string.Join(',', logo)}");
        Assert.InRange(Pixel(withLogo, 200, 150)[0], 125, 131);
        using var missing = await SendAsync(s3, bucket, "grey.png", $"image/watermark,image_{B64("logo/none.png")}");
        Assert.Contains("logo/none.png", await ErrorAsync(missing, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task InfoAndAverageHueAnswerJson()
    {
        var (s3, bucket) = await BucketWithAsync("photo.jpg", Jpeg(Marked()));
        var info = JsonDocument.Parse(await GetAsync(s3, bucket, "photo.jpg", "image/info")).RootElement;
        Assert.Equal("400", info.GetProperty("ImageWidth").GetProperty("value").GetString());
        Assert.Equal("300", info.GetProperty("ImageHeight").GetProperty("value").GetString());
        Assert.Equal("jpg", info.GetProperty("Format").GetProperty("value").GetString());
        var hue = JsonDocument.Parse(await GetAsync(s3, bucket, "photo.jpg", "image/average-hue")).RootElement.GetProperty("RGB").GetString()!;
        var rgb = Convert.FromHexString(hue[2..]);
        Assert.True(rgb[2] > 150 && rgb[0] < 60, $"mostly blue: {hue}");
        using var combined = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_10/info");
        Assert.Contains("InvalidArgument", await ErrorAsync(combined, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task HeadersFollowTheSourceAndTheCacheNeverServesAStaleResult()
    {
        var (s3, bucket) = await BucketWithAsync("photo.jpg", Jpeg(Marked()));
        var source = await s3.GetObjectMetadataAsync(bucket, "photo.jpg");
        using var first = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_120");
        var body = await first.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotEqual(source.ETag, first.Headers.ETag?.Tag);
        Assert.Equal(source.LastModified?.ToUniversalTime(), first.Content.Headers.LastModified?.UtcDateTime);
        using var head = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_120", head: true);
        Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        Assert.Equal(first.Headers.ETag?.Tag, head.Headers.ETag?.Tag);
        using var again = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_120");
        Assert.Equal("hit", again.Headers.GetValues("x-xos-process-cache").Single());
        Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());
        using var notModified = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_120", headers: new Dictionary<string, string> { ["If-None-Match"] = first.Headers.ETag!.Tag });
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // Overwritten: a new result (another size, another ETag), not the cached one.
        await PutAsync(s3, bucket, "photo.jpg", Jpeg(Marked(240, 480)));
        using var after = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_120");
        Assert.Equal("miss", after.Headers.GetValues("x-xos-process-cache").Single());
        Assert.Equal((120, 240), Size(await after.Content.ReadAsByteArrayAsync()));
        Assert.NotEqual(first.Headers.ETag?.Tag, after.Headers.ETag?.Tag);
        await s3.DeleteObjectAsync(bucket, "photo.jpg");
        using var deleted = await SendAsync(s3, bucket, "photo.jpg", "image/resize,w_120");
        Assert.Contains("NoSuchKey", await ErrorAsync(deleted, HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData("image/resize,w_abc", "resize", "'w'")]
    [InlineData("image/resize,w_0", "resize", "'w'")]
    [InlineData("image/resize,m_abc,w_10", "resize", "'m'")]
    [InlineData("image/resize", "resize", "'w'")]
    [InlineData("image/rotate,400", "rotate", "'value'")]
    [InlineData("image/blur,r_3", "blur", "'s'")]
    [InlineData("image/format,xyz", "format", "'value'")]
    [InlineData("image/crop,g_middle", "crop", "'g'")]
    [InlineData("image/unknown,x_1", "unknown", "unknown")]
    [InlineData("picture/resize,w_1", "picture", "picture")]
    [InlineData("video/snapshot,t_abc", "snapshot", "'t'")]
    [InlineData("image/watermark,text_!!!", "watermark", "'text'")]
    public async Task MalformedParametersAre400InvalidArgumentNamingActionAndParameter(string pipeline, string action, string parameter)
    {
        var (s3, bucket) = await BucketWithAsync("photo.jpg", Jpeg(Marked()));
        using var r = await SendAsync(s3, bucket, "photo.jpg", pipeline);
        var error = await ErrorAsync(r, HttpStatusCode.BadRequest);
        Assert.Contains("<Code>InvalidArgument</Code>", error);
        Assert.Contains(action, error);
        Assert.Contains(parameter, error);
    }
}
