using System.Globalization;
using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>What a processing parameter asks for: an image pipeline, a video action, or a bucket's named style.</summary>
public enum PipelineKind { Image, Video, Style }

/// <summary>
/// One action of a pipeline as written: its name, an optional bare value (<c>rotate,90</c>, <c>format,png</c>) and its
/// <c>key_value</c> parameters in order. The typed accessors refuse a bad value with 400 InvalidArgument naming the action
/// and the parameter, in the words Aliyun OSS and CTyun use.
/// </summary>
public sealed record MediaAction(string Kind, string Name, string? Bare, IReadOnlyList<KeyValuePair<string, string>> Params)
{
    public string? Get(string key)
    {
        foreach (var (k, v) in Params)
            if (k == key) return v;
        return null;
    }

    public bool Has(string key) => Get(key) is not null;

    public S3Exception Invalid(string parameter, string? value, string why) =>
        S3Errors.InvalidArgument($"The {Kind}/{Name} parameter '{parameter}' is invalid{(value is null ? "" : $": '{value}'")}; {why}",
            MediaParameter.Name, $"{Kind}/{Name},{parameter}{(value is null ? "" : "_" + value)}");

    /// <summary>An integer parameter in [min, max]; <paramref name="fallback"/> when absent.</summary>
    public int Int(string key, int min, int max, int fallback)
    {
        var text = Get(key);
        if (text is null) return fallback;
        return ParseInt(key, text, min, max);
    }

    public int? OptionalInt(string key, int min, int max) => Get(key) is { } text ? ParseInt(key, text, min, max) : null;

    /// <summary>The bare value as an integer in [min, max] (<c>rotate,90</c>); required.</summary>
    public int BareInt(int min, int max)
    {
        if (Bare is null) throw Invalid("value", null, $"a value in [{min}, {max}] is required");
        return ParseInt("value", Bare, min, max);
    }

    private int ParseInt(string key, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw Invalid(key, text, $"it must be an integer in [{min}, {max}]");
        return v;
    }

    /// <summary>One of <paramref name="allowed"/>; <paramref name="fallback"/> when absent.</summary>
    public string Choice(string key, string fallback, params string[] allowed)
    {
        var text = Get(key);
        if (text is null) return fallback;
        if (!allowed.Contains(text, StringComparer.Ordinal)) throw Invalid(key, text, $"it must be one of {string.Join(", ", allowed)}");
        return text;
    }

    /// <summary>An RGB colour written as six hex digits (<c>FF0000</c>).</summary>
    public double[] Color(string key, string fallback)
    {
        var text = Get(key) ?? fallback;
        if (text.Length != 6 || !int.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
            throw Invalid(key, text, "it must be an RGB colour of six hexadecimal digits, such as FF0000");
        return [(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF];
    }

    /// <summary>A URL-safe base64 text parameter (watermark text, object keys), decoded as UTF-8.</summary>
    public string? Base64Url(string key)
    {
        var text = Get(key);
        if (text is null) return null;
        return DecodeBase64Url(text) ?? throw Invalid(key, text, "it must be URL-safe base64 of UTF-8 text");
    }

    public static string? DecodeBase64Url(string text)
    {
        try
        {
            var s = text.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            return new System.Text.UTF8Encoding(false, true).GetString(Convert.FromBase64String(s));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Refuses parameters the action does not know, so a typo is an error rather than silently ignored.</summary>
    public void OnlyKeys(params string[] known)
    {
        foreach (var (k, v) in Params)
            if (!known.Contains(k, StringComparer.Ordinal)) throw Invalid(k, v, $"{Kind}/{Name} takes {(known.Length == 0 ? "no parameters" : string.Join(", ", known))}");
    }
}

/// <summary>A "sys/saveas,o_KEY,b_BUCKET" step: where the result of a POST is stored (both base64url in the request).</summary>
public sealed record SaveAsTarget(string Key, string? Bucket);

/// <summary>
/// A parsed processing parameter: <c>image/a,k_v/b,...</c>, <c>video/snapshot,...</c> or <c>style/NAME</c>, with an
/// optional <c>|sys/saveas,...</c>. <see cref="Canonical"/> is the pipeline text without the save step, which keys the
/// result cache and the derived ETag.
/// </summary>
public sealed record MediaPipeline(PipelineKind Kind, string? StyleName, IReadOnlyList<MediaAction> Actions, SaveAsTarget? SaveAs, string Canonical)
{
    public const int MaxLength = 4096;
    public const int MaxActions = 32;

    public static MediaPipeline Parse(string text)
    {
        if (text.Length == 0) throw Bad(text, "the processing parameter is empty");
        if (text.Length > MaxLength) throw Bad(text[..64] + "...", $"the processing parameter is longer than {MaxLength} characters");
        var pieces = text.Split('|');
        SaveAsTarget? saveAs = null;
        foreach (var sys in pieces.Skip(1)) saveAs = ParseSys(sys, saveAs);
        var main = pieces[0];
        var slash = main.IndexOf('/');
        var kindText = slash < 0 ? main : main[..slash];
        var rest = slash < 0 ? "" : main[(slash + 1)..];
        switch (kindText)
        {
            case "style":
                if (rest.Length == 0 || rest.Contains('/') || rest.Length > 64 || !rest.All(IsStyleChar))
                    throw Bad(text, "style/NAME needs a style name of 1 to 64 letters, digits, '-', '_' or '.'");
                return new MediaPipeline(PipelineKind.Style, rest, [], saveAs, main);
            case "image":
            case "video":
                var actions = new List<MediaAction>();
                foreach (var segment in rest.Split('/'))
                {
                    if (segment.Length == 0) continue;
                    actions.Add(ParseAction(kindText, segment));
                }
                if (actions.Count == 0) throw Bad(text, $"{kindText}/ needs at least one action, such as {kindText}/{(kindText == "image" ? "resize,w_100" : "snapshot,t_0")}");
                if (actions.Count > MaxActions) throw Bad(text, $"a pipeline has at most {MaxActions} actions");
                var kind = kindText == "image" ? PipelineKind.Image : PipelineKind.Video;
                if (kind == PipelineKind.Video && actions.Count != 1)
                    throw Bad(text, "video/ takes exactly one action: snapshot or info");
                return new MediaPipeline(kind, null, actions, saveAs, kindText + "/" + string.Join('/', actions.Select(Format)));
            default:
                throw Bad(text, $"unknown processing type '{kindText}': it must be image, video or style");
        }
    }

    private static bool IsStyleChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';

    private static MediaAction ParseAction(string kind, string segment)
    {
        var tokens = segment.Split(',');
        var name = tokens[0];
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || c == '-'))
            throw Bad(segment, $"'{name}' is not an action name");
        string? bare = null;
        var ps = new List<KeyValuePair<string, string>>();
        foreach (var token in tokens.Skip(1))
        {
            if (token.Length == 0) continue;
            var us = token.IndexOf('_');
            if (us <= 0)
            {
                if (bare is not null) throw Bad(segment, $"{kind}/{name} takes one bare value, got '{bare}' and '{token}'");
                bare = token;
                continue;
            }
            var key = token[..us];
            if (ps.Any(p => p.Key == key)) throw Bad(segment, $"{kind}/{name} repeats the parameter '{key}'");
            ps.Add(new(key, token[(us + 1)..]));
        }
        return new MediaAction(kind, name, bare, ps);
    }

    private static string Format(MediaAction a) =>
        string.Join(',', new[] { a.Name }.Concat(a.Bare is null ? [] : [a.Bare]).Concat(a.Params.Select(p => p.Key + "_" + p.Value)));

    private static SaveAsTarget ParseSys(string text, SaveAsTarget? earlier)
    {
        if (earlier is not null) throw Bad(text, "only one sys/saveas step is allowed");
        if (!text.StartsWith("sys/saveas", StringComparison.Ordinal) || (text.Length > 10 && text[10] != ','))
            throw Bad(text, "after '|' only sys/saveas,o_KEY,b_BUCKET is supported");
        var action = ParseAction("sys", text["sys/".Length..]);
        action.OnlyKeys("o", "b");
        var key = action.Base64Url("o") ?? throw action.Invalid("o", null, "the target key (URL-safe base64) is required");
        if (key.Length == 0) throw action.Invalid("o", "", "the target key must not be empty");
        return new SaveAsTarget(key, action.Base64Url("b"));
    }

    private static S3Exception Bad(string value, string why) =>
        S3Errors.InvalidArgument($"Invalid processing parameter: {why}.", MediaParameter.Name, value);
}
