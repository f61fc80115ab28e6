using NetVips;
using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>
/// A source image opened from a local file: only its header is read, and its dimensions are checked against the pixel
/// limit before libvips decodes any pixel, so a small file claiming 60000x60000 is refused without a large allocation.
/// </summary>
public sealed record ImageSource(string Path, Image Image, string Loader, string Format, long Size) : IDisposable
{
    public void Dispose() => Image.Dispose();

    public static ImageSource OpenChecked(string path, MediaLimits limits)
    {
        Image image;
        try
        {
            image = Image.NewFromFile(path, access: Enums.Access.Sequential);
        }
        catch (VipsException)
        {
            throw NotAnImage();
        }
        var loader = image.Contains("vips-loader") ? image.Get("vips-loader") as string ?? "" : "";
        var (width, height) = (image.Width, image.Height);
        if (width > MediaLimits.MaxSourceSide || height > MediaLimits.MaxSourceSide || (long)width * height > limits.MaxPixels)
        {
            image.Dispose();
            throw new S3Exception("InvalidArgument", 400,
                $"The source image is {width}x{height} pixels: more than the limit of {limits.MaxPixels} pixels (--media-max-pixels) or {MediaLimits.MaxSourceSide} pixels a side.",
                ("ArgumentName", MediaParameter.Name));
        }
        return new ImageSource(path, image, loader, ImageFormats.FromLoader(loader, image), new FileInfo(path).Length);
    }

    public static S3Exception NotAnImage() => new("InvalidArgument", 400,
        "The source object is not an image XOS can process (JPEG, PNG, WebP, GIF, TIFF, HEIF/AVIF), or it is damaged.",
        ("ArgumentName", MediaParameter.Name));
}

/// <summary>The state a pipeline's steps share: output encoding, limits, and the local files of watermark objects.</summary>
public sealed class ImageJob(MediaLimits limits)
{
    public MediaLimits Limits { get; } = limits;
    public string Format { get; set; } = "jpg";
    public int? Quality { get; set; }
    public bool Interlace { get; set; }
    public Dictionary<string, string> Marks { get; } = new(StringComparer.Ordinal);

    /// <summary>Refuses an intermediate or final image larger than the output limits before it is computed.</summary>
    public void CheckPixels(int width, int height)
    {
        if (width > MediaLimits.MaxOutputSide || height > MediaLimits.MaxOutputSide || (long)width * height > Limits.MaxPixels)
            throw new S3Exception("InvalidArgument", 400,
                $"The result would be {width}x{height} pixels: more than {MediaLimits.MaxOutputSide} a side or {Limits.MaxPixels} in all.",
                ("ArgumentName", MediaParameter.Name));
    }
}
