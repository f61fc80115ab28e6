using System.Buffers;
using System.Diagnostics;

namespace Xos.Server.Bench;

/// <summary>
/// Media processing workloads (XOS's x-xos-process, also Aliyun's x-oss-process on servers that take it):
/// <list type="bullet">
/// <item><c>thumbnail</c>: a 12-megapixel JPEG to a 256-pixel thumbnail, every request a pipeline the server has not made before
/// (the width and quality change), so each one decodes and encodes;</item>
/// <item><c>thumbnail-cached</c>: the same thumbnail again and again, answered from the server's result cache;</item>
/// <item><c>snapshot</c>: a JPEG frame of a 20-second 720p H.264 video, at a time not asked for before.</item>
/// </list>
/// The sources are made once in a folder (<c>--media-files</c>), so `vipsthumbnail` can be timed on the very same file.
/// </summary>
public static class BenchMedia
{
    public static readonly string[] Workloads = ["thumbnail", "thumbnail-cached", "snapshot"];
    public const string Photo = "photo-12mp.jpg";
    public const string Video = "clip-720p.mp4";

    public delegate Task<WorkloadResult> Measure(Workload w, long bytesPerOp, Func<int, long, CancellationToken, Task> operation);

    public static async Task<WorkloadResult> RunAsync(S3BenchClient client, BenchOptions options, string bucket, Workload w, List<string> created,
        Measure measure, CancellationToken ct)
    {
        var folder = options.MediaFiles ?? Path.Combine(Path.GetTempPath(), "xos-bench-media");
        Directory.CreateDirectory(folder);
        var video = w.Name == "snapshot";
        var file = Path.Combine(folder, video ? Video : Photo);
        if (!File.Exists(file))
        {
            if (video) await MakeVideoAsync(file, ct);
            else MakePhoto(file);
        }
        var key = $"media/{Path.GetFileName(file)}";
        await client.SendForTextAsync(client.Create(HttpMethod.Put, bucket, key, content: new StreamContent(File.OpenRead(file))), ct);
        lock (created) created.Add(key);

        Func<long, string> pipeline = w.Name switch
        {
            // 64 widths times 40 qualities: 2,560 pipelines that no earlier request made.
            "thumbnail" => n => $"image/resize,m_lfit,w_{256 - n % 64},h_256/quality,q_{90 - n / 64 % 40}",
            "thumbnail-cached" => _ => "image/resize,m_lfit,w_256,h_256/quality,q_90",
            _ => n => $"video/snapshot,t_{n % 19_000 + 500},f_jpg,w_640,m_fast",
        };
        // One request first: it checks that the endpoint processes media, warms the cached workload, and sizes a result.
        var size = await GetAsync(client, bucket, key, pipeline(w.Name == "thumbnail" ? 2559 : 0), ct);
        long next = 0;
        return await measure(w with { ObjectSize = size }, size, async (_, _, token) =>
            await GetAsync(client, bucket, key, pipeline(Interlocked.Increment(ref next) % 2559), token));
    }

    private static async Task<long> GetAsync(S3BenchClient client, string bucket, string key, string pipeline, CancellationToken ct)
    {
        using var response = await client.SendAsync(client.Create(HttpMethod.Get, bucket, key, "x-xos-process=" + Uri.EscapeDataString(pipeline)), ct);
        if (!response.IsSuccessStatusCode) throw new BenchRequestException((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0) total += n;
            if (total == 0) throw new BenchRequestException(200, "an empty result");
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A photo-like 4000x3000 JPEG (smooth shapes and grain), quality 90: what a camera's file costs to decode.</summary>
    private static void MakePhoto(string path)
    {
        using var red = NetVips.Image.Perlin(4000, 3000, cellSize: 400, uchar: true, seed: 1);
        using var green = NetVips.Image.Perlin(4000, 3000, cellSize: 250, uchar: true, seed: 2);
        using var blue = NetVips.Image.Perlin(4000, 3000, cellSize: 600, uchar: true, seed: 3);
        using var grain = NetVips.Image.Gaussnoise(4000, 3000, mean: 0, sigma: 6);
        using var joined = red.Bandjoin(green, blue);
        using var grained = joined + grain;
        using var photo = grained.Cast(NetVips.Enums.BandFormat.Uchar).Copy(interpretation: NetVips.Enums.Interpretation.Srgb);
        var tmp = path + ".tmp.jpg";
        photo.Jpegsave(tmp, q: 90);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>20 seconds of 1280x720 H.264 at 25 frames a second (a key frame each 2 s), made by ffmpeg.</summary>
    private static async Task MakeVideoAsync(string path, CancellationToken ct)
    {
        var tmp = path + ".tmp.mp4";
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=20", "-c:v", "libx264",
                     "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", tmp })
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new BenchRequestException(0, "the snapshot workload makes its video with ffmpeg, which is not on PATH (apt-get install ffmpeg)");
        }
        using (process)
        {
            var errors = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0) throw new BenchRequestException(0, $"ffmpeg could not make the video: {errors.Trim()}");
        }
        File.Move(tmp, path, overwrite: true);
    }
}
