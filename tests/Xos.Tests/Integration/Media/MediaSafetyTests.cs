using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text;
using NetVips;
using static Xos.Tests.Integration.Media.MediaClient;

namespace Xos.Tests.Integration.Media;

/// <summary>Limits and hostile input: every limit broken once, broken images and videos never a 500 or a crash.</summary>
public sealed class MediaSafetyTests(MediaFixture fixture) : IClassFixture<MediaFixture>
{
    /// <summary>A valid PNG of a few hundred bytes whose header claims <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(n, data.Length);
            png.Write(n);
            var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            png.Write(typed);
            BinaryPrimitives.WriteUInt32BigEndian(n, System.IO.Hashing.Crc32.HashToUInt32(typed));
            png.Write(n);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk("IHDR", ihdr);
        var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(new byte[64 * 1024]);
        Chunk("IDAT", zlib.ToArray());
        Chunk("IEND", []);
        return png.ToArray();
    }

    [Fact]
    public async Task ADecompressionBombIsRefusedFromItsHeader()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mbomb");
        await s3.PutBucketAsync(bucket);
        var bomb = PngClaiming(60000, 60000);
        Assert.True(bomb.Length < 4096);
        await PutAsync(s3, bucket, "bomb.png", bomb, "image/png");
        foreach (var pipeline in new[] { "image/resize,w_100", "image/rotate,90", "image/average-hue", "image/format,jpg" })
        {
            using var r = await SendAsync(s3, bucket, "bomb.png", pipeline);
            var error = await ErrorAsync(r, HttpStatusCode.BadRequest);
            Assert.Contains("60000x60000", error);
        }
    }

    [Fact]
    public async Task BrokenImagesAndVideosAreNeverA500()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mfuzz");
        await s3.PutBucketAsync(bucket);
        var jpeg = Jpeg(Marked());
        var png = Png(Marked());
        var webm = await File.ReadAllBytesAsync(Path.Combine(RepoRoot(), "tests", "node", "fixtures", "clip.webm"));
        var random = new Random(17);
        byte[] Flip(byte[] source, int seed)
        {
            var copy = (byte[])source.Clone();
            var r = new Random(seed);
            for (var i = 0; i < 40; i++) copy[r.Next(2, copy.Length)] ^= (byte)r.Next(1, 256);
            return copy;
        }
        byte[] Noise(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }
        var inputs = new Dictionary<string, byte[]>
        {
            ["truncated.jpg"] = jpeg[..(jpeg.Length / 2)],
            ["header-only.jpg"] = jpeg[..20],
            ["truncated.png"] = png[..(png.Length / 2)],
            ["flipped1.jpg"] = Flip(jpeg, 1),
            ["flipped2.jpg"] = Flip(jpeg, 2),
            ["flipped.png"] = Flip(png, 3),
            ["noise.bin"] = Noise(5000),
            ["jpeg-magic-noise.jpg"] = [0xFF, 0xD8, 0xFF, 0xE0, .. Noise(3000)],
            ["png-magic-noise.png"] = [.. png[..16], .. Noise(3000)],
            ["gif-header.gif"] = Encoding.ASCII.GetBytes("GIF89a\x10\x00\x10\x00"),
            ["riff.webp"] = [.. Encoding.ASCII.GetBytes("RIFF\x20\x00\x00\x00WEBPVP8 "), .. Noise(100)],
            ["svg.svg"] = Encoding.UTF8.GetBytes("<svg xmlns='http://www.w3.org/2000/svg' width='100000' height='100000'><image href='file:///etc/passwd'/></svg>"),
            ["huge-gif.gif"] = [.. Encoding.ASCII.GetBytes("GIF89a"), 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0],
            ["text.txt"] = Encoding.UTF8.GetBytes("hello, not an image"),
            ["one-byte"] = [0],
            ["truncated.webm"] = webm[..(webm.Length / 3)],
            ["flipped.webm"] = Flip(webm, 4),
            ["noise.mp4"] = [0, 0, 0, 0x18, .. Encoding.ASCII.GetBytes("ftypmp42"), .. Noise(4000)],
        };
        foreach (var (key, body) in inputs) await PutAsync(s3, bucket, key, body, "application/octet-stream");
        string[] pipelines = ["image/resize,w_100", "image/info", "image/average-hue", "image/rotate,90/format,png", "image/watermark,text_WE9T",
            "video/snapshot,t_1000", "video/info"];
        foreach (var key in inputs.Keys)
        foreach (var pipeline in pipelines)
        {
            using var r = await SendAsync(s3, bucket, key, pipeline);
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{key} {pipeline}: {(int)r.StatusCode} {body}");
            if (r.StatusCode == HttpStatusCode.BadRequest) Assert.Contains("<Code>InvalidArgument</Code>", body);
        }
        // The server is still there and still works.
        await PutAsync(s3, bucket, "good.jpg", jpeg);
        Assert.Equal((100, 75), Size(await GetAsync(s3, bucket, "good.jpg", "image/resize,w_100")));
    }

    [Fact]
    public async Task EveryLimitIsEnforced()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_MEDIA_MAX_INPUT"] = "100k",
            ["XOS_MEDIA_MAX_PIXELS"] = "50000",
            ["XOS_MEDIA_MAX_OUTPUT"] = "20k",
        });
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("limits");
        var noise = Image.Gaussnoise(190, 190).Cast(Enums.BandFormat.Uchar).Bandjoin(Image.Gaussnoise(190, 190).Cast(Enums.BandFormat.Uchar), Image.Gaussnoise(190, 190).Cast(Enums.BandFormat.Uchar)).Copy(interpretation: Enums.Interpretation.Srgb);
        var big = noise.PngsaveBuffer(compression: 0);
        Assert.True(big.Length > 100 * 1024);
        await PutAsync(s3, "limits", "big.png", big, "image/png");
        using (var r = await SendAsync(s3, "limits", "big.png", "image/resize,w_10"))
            Assert.Contains("--media-max-input", await ErrorAsync(r, HttpStatusCode.BadRequest));
        await PutAsync(s3, "limits", "wide.png", Png(Marked(300, 200)), "image/png");
        using (var r = await SendAsync(s3, "limits", "wide.png", "image/resize,w_10"))
            Assert.Contains("--media-max-pixels", await ErrorAsync(r, HttpStatusCode.BadRequest) is var e1 ? e1 : "", StringComparison.Ordinal);
        await PutAsync(s3, "limits", "small.png", Png(Marked(200, 200)), "image/png");
        Assert.Equal((100, 100), Size(await GetAsync(s3, "limits", "small.png", "image/resize,w_100")));
        using (var r = await SendAsync(s3, "limits", "small.png", "image/format,bmp"))
            Assert.Contains("--media-max-output", await ErrorAsync(r, HttpStatusCode.BadRequest));
        using (var r = await SendAsync(s3, "limits", "small.png", "image/resize,w_300,limit_0"))
            Assert.Contains("300x300", await ErrorAsync(r, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task TheTimeLimitAndTheConcurrencyBoundAnswerClearly()
    {
        await using var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_MEDIA_TIMEOUT"] = "1ms",
        });
        using var s3 = server.CreateClient();
        await s3.PutBucketAsync("slow");
        await PutAsync(s3, "slow", "photo.jpg", Jpeg(Marked(2000, 2000)));
        using var r = await SendAsync(s3, "slow", "photo.jpg", "image/blur,r_50,s_50/rotate,33");
        var error = await ErrorAsync(r, HttpStatusCode.BadRequest);
        Assert.Contains("RequestTimeout", error);
        Assert.Contains("--media-timeout", error);
    }

    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "xos.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
