using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using static Xos.Tests.Integration.Media.MediaClient;

namespace Xos.Tests.Integration.Media;

/// <summary>video/snapshot and video/info through ffmpeg and ffprobe; styles and save-as.</summary>
public sealed class MediaVideoTests(MediaFixture fixture) : IClassFixture<MediaFixture>
{
    /// <summary>A 4-second 320x240 MPEG-4 clip, red for its first 2 seconds and blue after, made by ffmpeg.</summary>
    private static async Task<byte[]> ClipAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "xos-clip-" + Guid.NewGuid().ToString("N")[..8] + ".mp4");
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=10:d=2", "-f", "lavfi", "-i", "color=c=blue:s=320x240:r=10:d=2",
                     "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "mpeg4", "-q:v", "3", "-y", path })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, err);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        return bytes;
    }

    [Fact]
    public async Task SnapshotsAreFramesAtTheirTimeAndTheLastPastTheEnd()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mvideo");
        await s3.PutBucketAsync(bucket);
        await PutAsync(s3, bucket, "clip.mp4", await ClipAsync(), "video/mp4");
        var early = await GetAsync(s3, bucket, "clip.mp4", "video/snapshot,t_500,f_jpg");
        Assert.True(early[0] == 0xFF && early[1] == 0xD8);
        Assert.Equal((320, 240), Size(early));
        Assert.True(IsRed(Pixel(early, 160, 120)), "the first seconds are red");
        var late = await GetAsync(s3, bucket, "clip.mp4", "video/snapshot,t_3000,f_png,w_160");
        Assert.Equal(0x89, late[0]);
        Assert.Equal((160, 120), Size(late));
        Assert.True(IsBlue(Pixel(late, 80, 60)), "the last seconds are blue");
        var pastEnd = await GetAsync(s3, bucket, "clip.mp4", "video/snapshot,t_60000,m_fast");
        Assert.True(IsBlue(Pixel(pastEnd, 160, 120)), "past the end: the last frame");

        var info = JsonDocument.Parse(await GetAsync(s3, bucket, "clip.mp4", "video/info")).RootElement;
        Assert.InRange(info.GetProperty("Duration").GetDouble(), 3.8, 4.2);
        Assert.Contains("mp4", info.GetProperty("Container").GetString());
        var stream = info.GetProperty("Streams")[0];
        Assert.Equal(("video", "mpeg4", 320, 240), (stream.GetProperty("CodecType").GetString(), stream.GetProperty("CodecName").GetString(),
            stream.GetProperty("Width").GetInt32(), stream.GetProperty("Height").GetInt32()));
        Assert.Equal(10, stream.GetProperty("FrameRate").GetDouble());

        // The repository's WebM fixture (VP8, 160x120, 6 s), encrypted at rest: read through a temporary plaintext file.
        var webm = await File.ReadAllBytesAsync(Path.Combine(MediaSafetyTests.RepoRoot(), "tests", "node", "fixtures", "clip.webm"));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "clip.webm", InputStream = new MemoryStream(webm), ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AES256 });
        Assert.Equal((160, 120), Size(await GetAsync(s3, bucket, "clip.webm", "video/snapshot,t_2000")));
        using var image = await SendAsync(s3, bucket, "clip.webm", "image/resize,w_10");
        Assert.Contains("not an image", await ErrorAsync(image, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task WithoutFfmpegVideoIsNotImplemented()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string> { ["PATH"] = "/nonexistent" });
        Assert.Contains("ffmpeg/ffprobe not found", server.Output);
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("noffmpeg");
        await PutAsync(s3, "noffmpeg", "clip.webm", [1, 2, 3], "video/webm");
        using var r = await SendAsync(s3, "noffmpeg", "clip.webm", "video/snapshot,t_0");
        var error = await ErrorAsync(r, HttpStatusCode.NotImplemented);
        Assert.Contains("<Code>NotImplemented</Code>", error);
        Assert.Contains("ffmpeg", error);
    }

    [Fact]
    public async Task StylesAreNamedPipelinesAndSaveAsStoresResults()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mstyle");
        await s3.PutBucketAsync(bucket);
        await PutAsync(s3, bucket, "photo.jpg", Jpeg(Marked()));
        var endpoint = $"{fixture.Server.Endpoint}/{bucket}";
        Task<HttpResponseMessage> Signed(HttpMethod method, string query, string? body = null) =>
            SignedAsync(fixture.Server.Endpoint, method, $"/{bucket}", query, Encoding.UTF8.GetBytes(body ?? ""));
        using (var put = await Signed(HttpMethod.Put, "style&styleName=thumb", "<Style><Content>image/resize,w_50/rotate,90</Content></Style>"))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var bad = await Signed(HttpMethod.Put, "style&styleName=bad", "<Style><Content>image/resize,w_abc</Content></Style>"))
            Assert.Contains("InvalidArgument", await ErrorAsync(bad, HttpStatusCode.BadRequest));
        using (var one = await Signed(HttpMethod.Get, "style&styleName=thumb"))
            Assert.Contains("<Content>image/resize,w_50/rotate,90</Content>", await one.Content.ReadAsStringAsync());
        using (var list = await Signed(HttpMethod.Get, "style"))
            Assert.Contains("<Name>thumb</Name>", await list.Content.ReadAsStringAsync());
        var styled = await GetAsync(s3, bucket, "photo.jpg", "style/thumb", "x-oss-process");
        Assert.Equal((38, 50), Size(styled));
        Assert.True(IsRed(Pixel(styled, 30, 5)));
        using (var anonymous = await Http.GetAsync($"{endpoint}?style"))
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);

        // Save-as: POST with the pipeline in the body, the target key base64url-encoded; answered with JSON.
        string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Task<HttpResponseMessage> SaveAs(string body) =>
            SignedAsync(fixture.Server.Endpoint, HttpMethod.Post, $"/{bucket}/photo.jpg", "x-oss-process", Encoding.UTF8.GetBytes(body));
        using (var saved = await SaveAs($"x-oss-process=style/thumb|sys/saveas,o_{B64("thumbs/photo.jpg")},b_{B64(bucket)}"))
        {
            var json = JsonDocument.Parse(await saved.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
            Assert.Equal(("OK", "thumbs/photo.jpg", bucket), (json.GetProperty("status").GetString(), json.GetProperty("object").GetString(), json.GetProperty("bucket").GetString()));
            using var stored = await s3.GetObjectAsync(bucket, "thumbs/photo.jpg");
            Assert.Equal("image/jpeg", stored.Headers.ContentType);
            Assert.Equal(json.GetProperty("fileSize").GetInt64(), stored.ContentLength);
            using var copy = new MemoryStream();
            await stored.ResponseStream.CopyToAsync(copy);
            Assert.Equal((38, 50), Size(copy.ToArray()));
        }
        using (var missing = await SaveAs($"x-oss-process=image/resize,w_10|sys/saveas,o_{B64("x.jpg")},b_{B64("no-such-bucket-media")}"))
            Assert.Contains("NoSuchBucket", await ErrorAsync(missing, HttpStatusCode.NotFound));
        using (var noTarget = await SaveAs("x-oss-process=image/resize,w_10"))
            Assert.Contains("sys/saveas", await ErrorAsync(noTarget, HttpStatusCode.BadRequest));
        using (var del = await Signed(HttpMethod.Delete, "style&styleName=thumb"))
            Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        using var gone = await SendAsync(s3, bucket, "photo.jpg", "style/thumb");
        Assert.Contains("NoSuchStyle", await ErrorAsync(gone, HttpStatusCode.NotFound));
    }
}
