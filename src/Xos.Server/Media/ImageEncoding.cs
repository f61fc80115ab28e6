using NetVips;
using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>The output formats: their names in format,NAME, their MIME types, and how libvips (or <see cref="BmpWriter"/>) writes them.</summary>
public static class ImageFormats
{
    public static readonly string[] Names = ["jpg", "jpeg", "png", "webp", "gif", "tiff", "bmp", "avif", "heic"];

    public static string ContentType(string format) => format switch
    {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "tiff" => "image/tiff",
        "bmp" => "image/bmp",
        "avif" => "image/avif",
        "heic" => "image/heic",
        _ => "application/octet-stream",
    };

    /// <summary>The format a loader reads, used as the output format when the pipeline names none.</summary>
    public static string FromLoader(string loader, Image image) => loader switch
    {
        _ when loader.StartsWith("jpeg", StringComparison.Ordinal) => "jpg",
        _ when loader.StartsWith("png", StringComparison.Ordinal) => "png",
        _ when loader.StartsWith("webp", StringComparison.Ordinal) => "webp",
        _ when loader.StartsWith("gif", StringComparison.Ordinal) => "gif",
        _ when loader.StartsWith("tiff", StringComparison.Ordinal) => "tiff",
        _ when loader.StartsWith("heif", StringComparison.Ordinal) =>
            image.Contains("heif-compression") && image.Get("heif-compression") as string == "av1" ? "avif" : "heic",
        _ => "jpg",
    };

    /// <summary>Encodes the result: alpha flattened on white for formats without it, metadata left out.</summary>
    public static byte[] Encode(Image image, ImageJob job)
    {
        var format = job.Format;
        if (format is "jpg" or "bmp" && image.HasAlpha()) image = image.Flatten(background: [255, 255, 255]);
        if (image.Format != Enums.BandFormat.Uchar && format is not "tiff") image = image.Cast(Enums.BandFormat.Uchar);
        if (format == "bmp") return BmpWriter.Write(image);
        var options = new VOption { { "keep", Enums.ForeignKeep.None } };
        if (format is "jpg" or "webp" or "avif" or "heic" && job.Quality is { } q) options.Add("Q", q);
        if (job.Interlace && format is "jpg" or "png" or "gif") options.Add("interlace", true);
        if (format == "avif") options.Add("compression", Enums.ForeignHeifCompression.Av1);
        if (format is "avif" or "heic") options.Add("effort", 2);
        return image.WriteToBuffer("." + (format == "heic" ? "heif" : format), options);
    }
}

/// <summary>format,NAME: the output format (jpg, png, webp, gif, tiff, bmp, avif, heic).</summary>
public sealed class FormatStep : IEncodeStep
{
    private readonly string _format;

    public FormatStep(MediaAction a)
    {
        a.OnlyKeys();
        if (a.Bare is null || !ImageFormats.Names.Contains(a.Bare))
            throw a.Invalid("value", a.Bare, $"it must be one of {string.Join(", ", ImageFormats.Names)}");
        _format = a.Bare == "jpeg" ? "jpg" : a.Bare;
    }

    public void Configure(ImageJob job) => job.Format = _format;
}

/// <summary>quality,q_ or Q_ [1,100]: the encoder's quality for jpg, webp, avif and heic (q and Q both set it absolutely here).</summary>
public sealed class QualityStep : IEncodeStep
{
    private readonly int _q;

    public QualityStep(MediaAction a)
    {
        a.OnlyKeys("q", "Q");
        if (a.Has("q") == a.Has("Q")) throw a.Invalid("q", null, "quality needs exactly one of q or Q");
        _q = a.Has("q") ? a.Int("q", 1, 100, 90) : a.Int("Q", 1, 100, 90);
    }

    public void Configure(ImageJob job) => job.Quality = _q;
}

/// <summary>interlace,0|1: a progressive JPEG, an interlaced PNG or GIF.</summary>
public sealed class InterlaceStep : IEncodeStep
{
    private readonly bool _on;

    public InterlaceStep(MediaAction a)
    {
        a.OnlyKeys();
        _on = a.BareInt(0, 1) == 1;
    }

    public void Configure(ImageJob job) => job.Interlace = _on;
}

/// <summary>Windows bitmaps, which libvips has no saver for: 24-bit BGR rows, bottom-up, padded to four bytes.</summary>
public static class BmpWriter
{
    public static byte[] Write(Image image)
    {
        if (image.Bands == 1) image = image.Bandjoin(image, image);
        if (image.Bands > 3) image = image.ExtractBand(0, 3);
        int w = image.Width, h = image.Height, stride = (w * 3 + 3) & ~3;
        var pixels = image.WriteToMemory<byte>();
        var size = 54 + (long)stride * h;
        if (size > int.MaxValue) throw S3Errors.InvalidArgument("The bitmap would be larger than 2 GiB.", MediaParameter.Name, "format,bmp");
        var bmp = new byte[size];
        void U32(int at, int v) => BitConverter.TryWriteBytes(bmp.AsSpan(at, 4), v);
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        U32(2, (int)size);
        U32(10, 54);
        U32(14, 40);
        U32(18, w);
        U32(22, h);
        bmp[26] = 1;
        bmp[28] = 24;
        U32(34, stride * h);
        U32(38, 2835);
        U32(42, 2835);
        for (var y = 0; y < h; y++)
        {
            var row = 54 + (h - 1 - y) * stride;
            var src = y * w * 3;
            for (var x = 0; x < w; x++)
            {
                bmp[row + x * 3] = pixels[src + x * 3 + 2];
                bmp[row + x * 3 + 1] = pixels[src + x * 3 + 1];
                bmp[row + x * 3 + 2] = pixels[src + x * 3];
            }
        }
        return bmp;
    }
}
