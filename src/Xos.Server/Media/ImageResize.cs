using NetVips;

namespace Xos.Server.Media;

/// <summary>
/// image/resize as Aliyun OSS defines it: a box from w/h (or l/s, the long and short sides, or p percent), fitted by
/// m = lfit (inside, the default), mfit (outside), fill (outside, then centre-cropped), pad (inside, then padded with
/// color) or fixed (stretched); limit_1 (the default) leaves an image smaller than the box as it is.
/// </summary>
public sealed class ResizeStep : IImageStep
{
    public const int MaxSide = 16384;
    private readonly string _mode;
    private readonly int? _w, _h, _l, _s, _p;
    private readonly bool _limit;
    private readonly double[] _color;

    public ResizeStep(MediaAction a)
    {
        a.OnlyKeys("m", "w", "h", "l", "s", "p", "limit", "color");
        _mode = a.Choice("m", "lfit", "lfit", "mfit", "fill", "pad", "fixed");
        _w = a.OptionalInt("w", 1, MaxSide);
        _h = a.OptionalInt("h", 1, MaxSide);
        _l = a.OptionalInt("l", 1, MaxSide);
        _s = a.OptionalInt("s", 1, MaxSide);
        _p = a.OptionalInt("p", 1, 1000);
        _limit = a.Int("limit", 0, 1, 1) == 1;
        _color = a.Color("color", "FFFFFF");
        if (_w is null && _h is null && _l is null && _s is null && _p is null)
            throw a.Invalid("w", null, "resize needs at least one of w, h, l, s or p");
        if (a.Bare is not null) throw a.Invalid(a.Bare, null, "resize takes only key_value parameters");
    }

    /// <summary>What resizing a <paramref name="width"/> x <paramref name="height"/> image does: the size it is scaled
    /// to, then the box it is centre-cropped (fill) or padded (pad) to; null when it stays as it is.</summary>
    public ResizePlan? Plan(int width, int height)
    {
        if (_w is null && _h is null && _l is null && _s is null)
        {
            var scale = _p!.Value / 100.0;
            return new ResizePlan(Round(width * scale), Round(height * scale), null, false);
        }
        var (bw, bh) = Box(width, height);
        double sx = (double)bw / width, sy = (double)bh / height;
        int tw, th;
        switch (_mode)
        {
            case "fixed":
                (tw, th) = (bw, bh);
                break;
            case "mfit":
            case "fill":
                var up = Math.Max(sx, sy);
                (tw, th) = (Round(width * up), Round(height * up));
                break;
            default:
                var down = Math.Min(sx, sy);
                (tw, th) = (Round(width * down), Round(height * down));
                break;
        }
        if (_limit && (tw > width || th > height)) return null;
        return _mode switch
        {
            "fill" => new ResizePlan(tw, th, (bw, bh), false),
            "pad" => new ResizePlan(tw, th, (bw, bh), true),
            _ => new ResizePlan(tw, th, null, false),
        };
    }

    private (int W, int H) Box(int width, int height)
    {
        var square = _mode is "fill" or "pad";
        if (_w is { } w && _h is { } h) return (w, h);
        if (_w is { } onlyW) return square ? (onlyW, onlyW) : (onlyW, Math.Max(1, Round((double)height * onlyW / width)));
        if (_h is { } onlyH) return square ? (onlyH, onlyH) : (Math.Max(1, Round((double)width * onlyH / height)), onlyH);
        var landscape = width >= height;
        if (_l is { } l && _s is { } s) return landscape ? (l, s) : (s, l);
        if (_l is { } onlyL)
        {
            if (square) return (onlyL, onlyL);
            return landscape ? (onlyL, Math.Max(1, Round((double)height * onlyL / width))) : (Math.Max(1, Round((double)width * onlyL / height)), onlyL);
        }
        var onlyS = _s!.Value;
        if (square) return (onlyS, onlyS);
        return landscape ? (Math.Max(1, Round((double)width * onlyS / height)), onlyS) : (onlyS, Math.Max(1, Round((double)height * onlyS / width)));
    }

    private static int Round(double v) => Math.Max(1, (int)Math.Round(v, MidpointRounding.AwayFromZero));

    public Image Apply(Image image, ImageJob job) => Finish(image, Plan(image.Width, image.Height), job, (w, h) => image.ThumbnailImage(w, height: h, size: Enums.Size.Force));

    /// <summary>Runs a plan with <paramref name="scale"/> doing the scaling (libvips' thumbnail, which shrinks a JPEG while decoding it when it is the first step).</summary>
    public Image Finish(Image image, ResizePlan? plan, ImageJob job, Func<int, int, Image> scale)
    {
        if (plan is not { } p) return image;
        job.CheckPixels(p.Width, p.Height);
        if (p.Box is { } box) job.CheckPixels(box.W, box.H);
        var scaled = p.Width == image.Width && p.Height == image.Height ? image : scale(p.Width, p.Height);
        if (p.Box is not { } b) return scaled;
        if (!p.Pad)
        {
            int cw = Math.Min(b.W, scaled.Width), ch = Math.Min(b.H, scaled.Height);
            return scaled.ExtractArea((scaled.Width - cw) / 2, (scaled.Height - ch) / 2, cw, ch);
        }
        var background = scaled.HasAlpha() ? [.. _color, 255] : scaled.Bands == 1 ? [_color[0]] : _color;
        return scaled.Gravity(Enums.CompassDirection.Centre, b.W, b.H, Enums.Extend.Background, background);
    }
}

/// <summary>The size an image is scaled to, and the box it is then cropped to (or padded to, when <see cref="Pad"/>).</summary>
public readonly record struct ResizePlan(int Width, int Height, (int W, int H)? Box, bool Pad);
