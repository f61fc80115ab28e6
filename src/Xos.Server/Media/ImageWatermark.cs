using NetVips;

namespace Xos.Server.Media;

/// <summary>
/// watermark: text (text_, base64url; type_ font, base64url; color_; size_; rotate_) or another object of the same bucket
/// (image_, its key base64url), placed by gravity g_ (se by default) with margins x_ and y_ (10 by default), voffset_ for
/// the middle row, and opacity t_ (percent, 100 by default).
/// </summary>
public sealed class WatermarkStep : IImageStep
{
    private readonly string? _text;
    private readonly string _font;
    private readonly double[] _color;
    private readonly int _size, _opacity, _x, _y, _voffset, _rotate;
    private readonly string _g;

    /// <summary>The key of the object used as the mark; the handler loads it (authorised as a GetObject) before processing.</summary>
    public string? MarkKey { get; }

    public WatermarkStep(MediaAction a)
    {
        a.OnlyKeys("text", "type", "color", "size", "rotate", "image", "t", "g", "x", "y", "voffset");
        _text = a.Base64Url("text");
        MarkKey = a.Base64Url("image");
        if (_text is null == MarkKey is null) throw a.Invalid("text", null, "a watermark needs exactly one of text or image");
        if (_text is { Length: 0 or > 64 }) throw a.Invalid("text", a.Get("text"), "the text must have 1 to 64 characters");
        if (MarkKey is { Length: 0 } || MarkKey?.Contains('?') == true) throw a.Invalid("image", a.Get("image"), "it must be the key of an object in the same bucket");
        var font = a.Base64Url("type") ?? "sans";
        _font = font.Length is > 0 and <= 64 && font.All(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')
            ? font : throw a.Invalid("type", a.Get("type"), "it must name a font");
        _color = a.Color("color", "000000");
        _size = a.Int("size", 1, 1000, 40);
        _rotate = a.Int("rotate", 0, 360, 0);
        _opacity = a.Int("t", 0, 100, 100);
        _g = a.Choice("g", "se", ImageSteps.Gravities);
        _x = a.Int("x", 0, 4096, 10);
        _y = a.Int("y", 0, 4096, 10);
        _voffset = a.Int("voffset", -1000, 1000, 0);
    }

    public Image Apply(Image image, ImageJob job)
    {
        var mark = MarkKey is null ? TextMark() : ImageMark(job);
        if (_rotate % 360 != 0) mark = mark.Rotate(_rotate, background: [0, 0, 0, 0]);
        if (_opacity < 100) mark = mark.ExtractBand(0, 3).Bandjoin((mark.ExtractBand(3) * (_opacity / 100.0)).Cast(Enums.BandFormat.Uchar));
        var main = image.Interpretation is Enums.Interpretation.Srgb ? image : image.Colourspace(Enums.Interpretation.Srgb);
        var (ox, oy) = ImageSteps.Origin(_g, main.Width, main.Height, mark.Width, mark.Height);
        var x = _g is "nw" or "west" or "sw" ? ox + _x : _g is "ne" or "east" or "se" ? ox - _x : ox;
        var y = _g is "nw" or "north" or "ne" ? oy + _y : _g is "sw" or "south" or "se" ? oy - _y : oy - _voffset;
        var hadAlpha = main.HasAlpha();
        var composed = main.Composite2(mark, Enums.BlendMode.Over, x, y);
        composed = composed.Cast(Enums.BandFormat.Uchar);
        return hadAlpha ? composed : composed.ExtractBand(0, 3);
    }

    private Image TextMark()
    {
        var mask = Image.Text(_text!, font: $"{_font} {_size}px", dpi: 72);
        var colour = mask.NewFromImage(_color).Cast(Enums.BandFormat.Uchar);
        return colour.Bandjoin(mask).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    private Image ImageMark(ImageJob job)
    {
        var path = job.Marks.TryGetValue(MarkKey!, out var p) ? p : throw new InvalidOperationException("watermark object not loaded");
        var mark = ImageSource.OpenChecked(path, job.Limits).Image;
        if (mark.Interpretation is not Enums.Interpretation.Srgb) mark = mark.Colourspace(Enums.Interpretation.Srgb);
        if (mark.Format != Enums.BandFormat.Uchar) mark = mark.Cast(Enums.BandFormat.Uchar);
        return mark.HasAlpha() ? mark : mark.Bandjoin(255);
    }
}
