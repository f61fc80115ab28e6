using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>
/// video/snapshot,t_MS,w_,h_,m_fast,f_jpg|png,ar_auto (Aliyun's parameters: w and h 0 or absent keep the video's size,
/// one of them alone keeps its aspect) or video/info.
/// </summary>
public sealed record VideoAction(bool Info, long TimeMs, int Width, int Height, bool Fast, string Format, bool AutoRotate)
{
    public static VideoAction Compile(MediaAction a)
    {
        switch (a.Name)
        {
            case "info":
                ImageSteps.NoParameters(a);
                return new VideoAction(true, 0, 0, 0, false, "json", false);
            case "snapshot":
                a.OnlyKeys("t", "w", "h", "m", "f", "ar");
                if (a.Bare is not null) throw a.Invalid(a.Bare, null, "snapshot takes only key_value parameters");
                var t = a.Get("t") is { } text
                    ? long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms <= 86_400_000L * 7
                        ? ms : throw a.Invalid("t", text, "it must be a time in milliseconds from 0")
                    : 0;
                return new VideoAction(false, t, a.Int("w", 0, ResizeStep.MaxSide, 0), a.Int("h", 0, ResizeStep.MaxSide, 0),
                    a.Choice("m", "", "fast") == "fast", a.Choice("f", "jpg", "jpg", "png"), a.Choice("ar", "", "auto") == "auto");
            default:
                throw S3Errors.InvalidArgument($"Invalid processing parameter: unknown video action '{a.Name}': it must be snapshot or info.", MediaParameter.Name, a.Name);
        }
    }
}
