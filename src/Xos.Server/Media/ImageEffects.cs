using NetVips;

namespace Xos.Server.Media;

/// <summary>crop,w_,h_,x_,y_,g_: a rectangle placed by gravity (nw by default) and moved by x, y; clipped to the image.</summary>
public sealed class CropStep : IImageStep
{
    private readonly MediaAction _a;
    private readonly int? _w, _h;
    private readonly int _x, _y;
    private readonly string _g;

    public CropStep(MediaAction a)
    {
        _a = a;
        a.OnlyKeys("w", "h", "x", "y", "g");
        _w = a.OptionalInt("w", 1, ResizeStep.MaxSide * 2);
        _h = a.OptionalInt("h", 1, ResizeStep.MaxSide * 2);
        _x = a.Int("x", 0, int.MaxValue / 2, 0);
        _y = a.Int("y", 0, int.MaxValue / 2, 0);
        _g = a.Choice("g", "nw", ImageSteps.Gravities);
    }

    public Image Apply(Image image, ImageJob job)
    {
        int w = Math.Min(_w ?? image.Width, image.Width), h = Math.Min(_h ?? image.Height, image.Height);
        var (ox, oy) = ImageSteps.Origin(_g, image.Width, image.Height, w, h);
        int x = ox + _x, y = oy + _y;
        if (x >= image.Width || y >= image.Height)
            throw _a.Invalid(x >= image.Width ? "x" : "y", (x >= image.Width ? _x : _y).ToString(), $"the crop starts outside the {image.Width}x{image.Height} image");
        return image.ExtractArea(x, y, Math.Min(w, image.Width - x), Math.Min(h, image.Height - y));
    }
}

/// <summary>indexcrop,x_ or y_,i_: cuts the image into strips of x (or y) pixels and keeps strip i; past the last, the image as it is.</summary>
public sealed class IndexCropStep : IImageStep
{
    private readonly int? _x, _y;
    private readonly int _i;

    public IndexCropStep(MediaAction a)
    {
        a.OnlyKeys("x", "y", "i");
        _x = a.OptionalInt("x", 1, int.MaxValue / 2);
        _y = a.OptionalInt("y", 1, int.MaxValue / 2);
        _i = a.Int("i", 0, int.MaxValue / 2, 0);
        if (_x is null == _y is null) throw a.Invalid("x", null, "indexcrop needs exactly one of x or y");
    }

    public Image Apply(Image image, ImageJob job)
    {
        if (_x is { } x)
        {
            var from = (long)x * _i;
            return from >= image.Width ? image : image.ExtractArea((int)from, 0, (int)Math.Min(x, image.Width - from), image.Height);
        }
        var y = _y!.Value;
        var top = (long)y * _i;
        return top >= image.Height ? image : image.ExtractArea(0, (int)top, image.Width, (int)Math.Min(y, image.Height - top));
    }
}

/// <summary>circle,r_: the centred disc of radius r (at most half the shorter side), transparent outside (white in JPEG).</summary>
public sealed class CircleStep(MediaAction a) : IImageStep
{
    private readonly int _r = Check(a);

    /// <summary>The required radius r of circle and rounded-corners, in [1, 4096], and no other parameter.</summary>
    internal static int Check(MediaAction a)
    {
        a.OnlyKeys("r");
        return a.Get("r") is null ? throw a.Invalid("r", null, "the radius r is required") : a.Int("r", 1, 4096, 1);
    }

    public Image Apply(Image image, ImageJob job)
    {
        var r = Math.Min(_r, Math.Min(image.Width, image.Height) / 2);
        if (r < 1) return image;
        var d = 2 * r;
        var square = image.ExtractArea((image.Width - d) / 2, (image.Height - d) / 2, d, d);
        var xy = Image.Xyz(d, d) - new[] { r - 0.5, r - 0.5 };
        var dist = (xy[0] * xy[0] + xy[1] * xy[1]).Pow(0.5);
        var mask = (dist < r).Ifthenelse(255, 0);
        return ImageSteps.WithMask(square, mask);
    }
}

/// <summary>rounded-corners,r_: corners rounded with radius r (at most half the shorter side), transparent outside.</summary>
public sealed class RoundedCornersStep(MediaAction a) : IImageStep
{
    private readonly int _r = CircleStep.Check(a);


    public Image Apply(Image image, ImageJob job)
    {
        var r = Math.Min(_r, Math.Min(image.Width, image.Height) / 2);
        if (r < 1) return image;
        int w = image.Width, h = image.Height;
        var xy = Image.Xyz(w, h);
        var x = xy[0] + 0.5;
        var y = xy[1] + 0.5;
        var cx = (x < r).Ifthenelse(r, (x > w - r).Ifthenelse(w - r, x));
        var cy = (y < r).Ifthenelse(r, (y > h - r).Ifthenelse(h - r, y));
        var dx = x - cx;
        var dy = y - cy;
        var mask = ((dx * dx + dy * dy) <= r * r).Ifthenelse(255, 0);
        return ImageSteps.WithMask(image, mask);
    }
}

/// <summary>rotate,[0,360]: clockwise; right angles exactly, other angles on an enlarged white (or transparent) canvas.</summary>
public sealed class RotateStep : IImageStep
{
    private readonly int _degrees;

    public RotateStep(MediaAction a)
    {
        a.OnlyKeys();
        _degrees = a.BareInt(0, 360) % 360;
    }

    public Image Apply(Image image, ImageJob job) => _degrees switch
    {
        0 => image,
        90 => image.Rot(Enums.Angle.D90),
        180 => image.Rot(Enums.Angle.D180),
        270 => image.Rot(Enums.Angle.D270),
        _ => Rotate(image, job),
    };

    private Image Rotate(Image image, ImageJob job)
    {
        var rad = _degrees * Math.PI / 180;
        var (cos, sin) = (Math.Abs(Math.Cos(rad)), Math.Abs(Math.Sin(rad)));
        job.CheckPixels((int)Math.Ceiling(image.Width * cos + image.Height * sin), (int)Math.Ceiling(image.Width * sin + image.Height * cos));
        var background = image.HasAlpha() ? Enumerable.Repeat(0.0, image.Bands).ToArray() : Enumerable.Repeat(255.0, image.Bands).ToArray();
        return image.Rotate(_degrees, background: background);
    }
}

/// <summary>auto-orient,0|1: 1 turns the image upright by its EXIF orientation.</summary>
public sealed class AutoOrientStep : IImageStep
{
    private readonly bool _on;

    public AutoOrientStep(MediaAction a)
    {
        a.OnlyKeys();
        _on = a.BareInt(0, 1) == 1;
    }

    public Image Apply(Image image, ImageJob job) => _on ? image.Autorot() : image;
}

/// <summary>blur,r_[1,50],s_[1,50]: a Gaussian blur of standard deviation s (r, the radius, bounds the kernel).</summary>
public sealed class BlurStep : IImageStep
{
    private readonly int _r, _s;

    public BlurStep(MediaAction a)
    {
        a.OnlyKeys("r", "s");
        if (!a.Has("r")) throw a.Invalid("r", null, "the radius r is required");
        if (!a.Has("s")) throw a.Invalid("s", null, "the standard deviation s is required");
        _r = a.Int("r", 1, 50, 1);
        _s = a.Int("s", 1, 50, 1);
    }

    public Image Apply(Image image, ImageJob job)
    {
        // The kernel reaches about r pixels: the amplitude at r of a Gaussian of deviation s, floored.
        var minAmpl = Math.Clamp(Math.Exp(-(double)_r * _r / (2.0 * _s * _s)), 0.001, 0.5);
        return ImageSteps.MapColour(image, c => c.Gaussblur(_s, minAmpl: minAmpl));
    }
}

/// <summary>bright,[-100,100]: adds a brightness offset to every colour channel.</summary>
public sealed class BrightStep : IImageStep
{
    private readonly int _value;

    public BrightStep(MediaAction a)
    {
        a.OnlyKeys();
        _value = a.BareInt(-100, 100);
    }

    public Image Apply(Image image, ImageJob job) => ImageSteps.MapColour(image, c => c.Linear([1.0], [_value * 2.55]));
}

/// <summary>contrast,[-100,100]: stretches (or flattens) the colour channels around mid-grey.</summary>
public sealed class ContrastStep : IImageStep
{
    private readonly int _value;

    public ContrastStep(MediaAction a)
    {
        a.OnlyKeys();
        _value = a.BareInt(-100, 100);
    }

    public Image Apply(Image image, ImageJob job)
    {
        var gain = _value >= 0 ? 1 + _value / 50.0 : 1 + _value / 100.0;
        return ImageSteps.MapColour(image, c => c.Linear([gain], [128 * (1 - gain)]));
    }
}

/// <summary>sharpen,[50,399]: unsharp masking; larger values sharpen more.</summary>
public sealed class SharpenStep : IImageStep
{
    private readonly int _value;

    public SharpenStep(MediaAction a)
    {
        a.OnlyKeys();
        _value = a.BareInt(50, 399);
    }

    public Image Apply(Image image, ImageJob job) =>
        ImageSteps.MapColour(image, c => c.Sharpen(sigma: _value / 100.0, m2: _value / 50.0));
}
