using System.Text;
using System.Text.Json;
using NetVips;

namespace Xos.Server.Media;

/// <summary>info: the source's format, size, dimensions, frame count and EXIF fields, as Aliyun answers them ({"Name": {"value": "..."}}).</summary>
public sealed class InfoStep : IReportStep
{
    public InfoStep(MediaAction a) => ImageSteps.NoParameters(a);

    public byte[] Report(Image image, ImageSource source)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["FileSize"] = source.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Format"] = source.Format,
            ["FrameCount"] = (image.Contains("n-pages") ? image.Get("n-pages") : 1).ToString()!,
            ["ImageHeight"] = image.Height.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ImageWidth"] = image.Width.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var name in image.GetFields())
        {
            if (!name.StartsWith("exif-ifd", StringComparison.Ordinal)) continue;
            var tag = name[(name.LastIndexOf('-') + 1)..];
            if (image.Get(name) is not string value) continue;
            // libvips writes "VALUE (description, type, n components, n bytes)"; the value is what Aliyun reports.
            var paren = value.LastIndexOf(" (", StringComparison.Ordinal);
            fields.TryAdd(tag, (paren > 0 ? value[..paren] : value).Trim());
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            foreach (var (k, v) in fields)
            {
                w.WriteStartObject(k);
                w.WriteString("value", v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}

/// <summary>average-hue: the mean colour of the image as {"RGB": "0xRRGGBB"}.</summary>
public sealed class AverageHueStep : IReportStep
{
    public AverageHueStep(MediaAction a) => ImageSteps.NoParameters(a);

    public byte[] Report(Image image, ImageSource source)
    {
        // A thumbnail (shrunk while decoding) averages the same as the full image at a fraction of the cost.
        using var small = Image.Thumbnail(source.Path, 256, noRotate: true).CopyMemory();
        var rgb = small.Interpretation is Enums.Interpretation.Srgb ? small : small.Colourspace(Enums.Interpretation.Srgb);
        if (rgb.HasAlpha()) rgb = rgb.Flatten(background: [255, 255, 255]);
        var mean = Enumerable.Range(0, 3).Select(b => (int)Math.Round(Math.Clamp(rgb.ExtractBand(b).Avg(), 0, 255))).ToArray();
        return Encoding.UTF8.GetBytes($"{{\"RGB\": \"0x{mean[0]:x2}{mean[1]:x2}{mean[2]:x2}\"}}");
    }
}
