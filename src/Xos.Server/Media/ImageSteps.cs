using NetVips;
using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>One compiled action of an image pipeline: its parameters are checked when compiled, before any data is read.</summary>
public interface IImageStep
{
    Image Apply(Image image, ImageJob job);
}

/// <summary>Steps that set how the result is encoded rather than change pixels (format, quality, interlace).</summary>
public interface IEncodeStep : IImageStep
{
    void Configure(ImageJob job);
    Image IImageStep.Apply(Image image, ImageJob job)
    {
        Configure(job);
        return image;
    }
}

/// <summary>Steps whose answer is JSON about the source (info, average-hue): the only action of their pipeline.</summary>
public interface IReportStep : IImageStep
{
    byte[] Report(Image image, ImageSource source);
    Image IImageStep.Apply(Image image, ImageJob job) => image;
}

/// <summary>Compiles the actions of an image pipeline into steps, refusing unknown actions and bad parameters with 400.</summary>
public static class ImageSteps
{
    public static IReadOnlyList<IImageStep> Compile(IReadOnlyList<MediaAction> actions)
    {
        var steps = actions.Select(Compile).ToList();
        if (steps.Count > 1 && steps.Any(s => s is IReportStep))
            throw S3Errors.InvalidArgument("Invalid processing parameter: image/info and image/average-hue cannot be combined with other actions.",
                MediaParameter.Name, string.Join('/', actions.Select(a => a.Name)));
        return steps;
    }

    public static IImageStep Compile(MediaAction a) => a.Name switch
    {
        "resize" => new ResizeStep(a),
        "crop" => new CropStep(a),
        "indexcrop" => new IndexCropStep(a),
        "circle" => new CircleStep(a),
        "rounded-corners" => new RoundedCornersStep(a),
        "rotate" => new RotateStep(a),
        "auto-orient" => new AutoOrientStep(a),
        "blur" => new BlurStep(a),
        "bright" => new BrightStep(a),
        "contrast" => new ContrastStep(a),
        "sharpen" => new SharpenStep(a),
        "format" => new FormatStep(a),
        "quality" => new QualityStep(a),
        "interlace" => new InterlaceStep(a),
        "watermark" => new WatermarkStep(a),
        "info" => new InfoStep(a),
        "average-hue" => new AverageHueStep(a),
        _ => throw S3Errors.InvalidArgument($"Invalid processing parameter: unknown image action '{a.Name}'.", MediaParameter.Name, a.Name),
    };

    internal static void NoParameters(MediaAction a)
    {
        a.OnlyKeys();
        if (a.Bare is not null) throw a.Invalid(a.Bare, null, $"image/{a.Name} takes no value");
    }

    /// <summary>Where a box of w x h sits in an image under a gravity (nw, north, ne, west, center, east, sw, south, se).</summary>
    internal static (int X, int Y) Origin(string gravity, int width, int height, int w, int h) => gravity switch
    {
        "north" => ((width - w) / 2, 0),
        "ne" => (width - w, 0),
        "west" => (0, (height - h) / 2),
        "center" => ((width - w) / 2, (height - h) / 2),
        "east" => (width - w, (height - h) / 2),
        "sw" => (0, height - h),
        "south" => ((width - w) / 2, height - h),
        "se" => (width - w, height - h),
        _ => (0, 0),
    };

    internal static readonly string[] Gravities = ["nw", "north", "ne", "west", "center", "east", "sw", "south", "se"];

    /// <summary>Applies <paramref name="map"/> to the colour bands only, keeping any alpha band as it is.</summary>
    internal static Image MapColour(Image image, Func<Image, Image> map)
    {
        if (!image.HasAlpha()) return map(image).Cast(Enums.BandFormat.Uchar);
        var colour = image.ExtractBand(0, image.Bands - 1);
        var alpha = image.ExtractBand(image.Bands - 1);
        return map(colour).Cast(Enums.BandFormat.Uchar).Bandjoin(alpha);
    }

    /// <summary>Multiplies the image's alpha (adding one when it has none) by a 0/255 mask of the same size.</summary>
    internal static Image WithMask(Image image, Image mask)
    {
        if (!image.HasAlpha()) return image.Bandjoin(mask.Cast(Enums.BandFormat.Uchar));
        var colour = image.ExtractBand(0, image.Bands - 1);
        var alpha = (image.ExtractBand(image.Bands - 1) * mask / 255).Cast(Enums.BandFormat.Uchar);
        return colour.Bandjoin(alpha);
    }
}
