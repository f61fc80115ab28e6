using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>ffmpeg and ffprobe as found on PATH at start-up (Debian's ffmpeg package); null when absent.</summary>
public sealed record VideoTools(string? Ffmpeg, string? Ffprobe)
{
    public bool Available => Ffmpeg is not null && Ffprobe is not null;

    public static VideoTools Find() => new(OnPath("ffmpeg"), OnPath("ffprobe"));

    private static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>
/// video/snapshot and video/info with ffmpeg and ffprobe reading a local file, only the file and pipe protocols allowed
/// (a crafted playlist cannot make them fetch URLs), killed at the time limit; their failures become S3 errors.
/// </summary>
public static class VideoProcessor
{
    private const int MaxStderr = 4096;

    public static async Task<MediaResult> RunAsync(VideoTools tools, string path, VideoAction action, string tempDirectory, MediaLimits limits, CancellationToken ct)
    {
        if (!tools.Available) throw S3Errors.NotImplemented("Video processing needs ffmpeg and ffprobe, which are not installed on this server (Debian: apt-get install ffmpeg).");
        if (action.Info) return await InfoAsync(tools.Ffprobe!, path, ct);
        var output = Path.Combine(tempDirectory, Guid.NewGuid().ToString("N") + "." + action.Format);
        try
        {
            var (code, err) = await RunToolAsync(tools.Ffmpeg!, SnapshotArguments(path, action, output, fromEnd: false), path, ct);
            // Past the end of the video there is no frame at t: the last frame instead, as the services answer.
            if (code == 0 && !HasOutput(output))
                (code, err) = await RunToolAsync(tools.Ffmpeg!, SnapshotArguments(path, action, output, fromEnd: true), path, ct);
            if (code != 0 || !HasOutput(output)) throw NotAVideo(err);
            var info = new FileInfo(output);
            if (info.Length > limits.MaxOutputBytes)
                throw new S3Exception("InvalidArgument", 400, $"The snapshot is {info.Length} bytes: more than the limit of {limits.MaxOutputBytes} (--media-max-output).");
            return new MediaResult(await File.ReadAllBytesAsync(output, ct), action.Format == "png" ? "image/png" : "image/jpeg");
        }
        finally
        {
            try { File.Delete(output); } catch (IOException) { }
        }
    }

    private static bool HasOutput(string path) => File.Exists(path) && new FileInfo(path).Length > 0;

    private static List<string> SnapshotArguments(string input, VideoAction a, string output, bool fromEnd)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-v", "error", "-protocol_whitelist", "file,pipe" };
        if (!a.AutoRotate) args.Add("-noautorotate");
        if (fromEnd) args.AddRange(["-sseof", "-3"]);
        else
        {
            if (a.Fast) args.Add("-noaccurate_seek");
            args.AddRange(["-ss", (a.TimeMs / 1000.0).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)]);
        }
        args.AddRange(["-i", input, "-an", "-sn", "-dn"]);
        if (a.Width > 0 || a.Height > 0)
            args.AddRange(["-vf", $"scale={(a.Width > 0 ? a.Width : -2)}:{(a.Height > 0 ? a.Height : -2)}"]);
        // From the end: every frame of the last seconds overwrites the file, so the last one stays.
        args.AddRange(fromEnd ? ["-update", "1"] : ["-frames:v", "1"]);
        args.AddRange(["-f", "image2", "-c:v", a.Format == "png" ? "png" : "mjpeg"]);
        if (a.Format == "jpg") args.AddRange(["-q:v", "3", "-pix_fmt", "yuvj420p"]);
        args.AddRange(["-y", output]);
        return args;
    }

    private static async Task<MediaResult> InfoAsync(string ffprobe, string path, CancellationToken ct)
    {
        var stdout = new StringBuilder();
        var (code, err) = await RunToolAsync(ffprobe,
            ["-hide_banner", "-v", "error", "-protocol_whitelist", "file,pipe", "-print_format", "json", "-show_format", "-show_streams", path], path, ct, stdout);
        if (code != 0) throw NotAVideo(err);
        JsonNode? probe;
        try
        {
            probe = JsonNode.Parse(stdout.ToString());
        }
        catch (JsonException)
        {
            throw NotAVideo("ffprobe answered something that is not JSON");
        }
        if (probe?["format"] is not JsonObject format) throw NotAVideo(err);
        var streams = new JsonArray();
        foreach (var s in probe["streams"]?.AsArray() ?? [])
        {
            if (s is null) continue;
            var stream = new JsonObject
            {
                ["Index"] = Number(s["index"]),
                ["CodecType"] = s["codec_type"]?.ToString(),
                ["CodecName"] = s["codec_name"]?.ToString(),
                ["CodecLongName"] = s["codec_long_name"]?.ToString(),
                ["Duration"] = Number(s["duration"]),
                ["Bitrate"] = Number(s["bit_rate"]),
            };
            if (s["codec_type"]?.ToString() == "video")
            {
                stream["Width"] = Number(s["width"]);
                stream["Height"] = Number(s["height"]);
                stream["FrameRate"] = Rate(s["avg_frame_rate"]?.ToString()) ?? Rate(s["r_frame_rate"]?.ToString());
                stream["PixelFormat"] = s["pix_fmt"]?.ToString();
            }
            else if (s["codec_type"]?.ToString() == "audio")
            {
                stream["SampleRate"] = Number(s["sample_rate"]);
                stream["Channels"] = Number(s["channels"]);
            }
            streams.Add(stream);
        }
        var info = new JsonObject
        {
            ["Duration"] = Number(format["duration"]),
            ["Container"] = format["format_name"]?.ToString(),
            ["Size"] = Number(format["size"]),
            ["Bitrate"] = Number(format["bit_rate"]),
            ["Streams"] = streams,
        };
        return new MediaResult(Encoding.UTF8.GetBytes(info.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), "application/json");
    }

    private static JsonNode? Number(JsonNode? node) =>
        node is null ? null
        : double.TryParse(node.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? (d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d)) : null;

    private static JsonNode? Rate(string? text)
    {
        var parts = text?.Split('/');
        if (parts is not [var n, var d] || !double.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out var num)
            || !double.TryParse(d, System.Globalization.CultureInfo.InvariantCulture, out var den) || den == 0 || num == 0) return null;
        return JsonValue.Create(Math.Round(num / den, 3));
    }

    private static S3Exception NotAVideo(string detail) => new("InvalidArgument", 400,
        $"The source object could not be read as a video: {(detail.Length == 0 ? "ffmpeg found no video frame" : detail)}.", ("ArgumentName", MediaParameter.Name));

    /// <summary>Runs a tool to its end (killed with its children when <paramref name="ct"/> fires); returns its exit code and
    /// the first line of its error output with the input's path taken out.</summary>
    private static async Task<(int Code, string Error)> RunToolAsync(string tool, IReadOnlyList<string> args, string input, CancellationToken ct, StringBuilder? stdout = null)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = false, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var err = new StringBuilder();
        var readErr = Task.Run(async () =>
        {
            var buffer = new char[1024];
            int n;
            while ((n = await process.StandardError.ReadAsync(buffer, CancellationToken.None)) > 0)
                if (err.Length < MaxStderr) err.Append(buffer, 0, Math.Min(n, MaxStderr - err.Length));
        }, CancellationToken.None);
        var readOut = Task.Run(async () =>
        {
            var buffer = new char[8192];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer, CancellationToken.None)) > 0)
                if (stdout is not null && stdout.Length < 1 << 20) stdout.Append(buffer, 0, n);
        }, CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        await Task.WhenAll(readErr, readOut);
        var first = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return (process.ExitCode, first.Replace(input, "input").Replace(input.TrimStart('/'), "input"));
    }
}
