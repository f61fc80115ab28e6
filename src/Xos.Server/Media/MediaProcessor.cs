using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>
/// The processing service, one per server: libvips set up for untrusted input, the bound on concurrent work, the time
/// limit, ffmpeg when installed, the result cache. It works on local files; <see cref="ProcessObject"/> (the S3 side)
/// and other callers (console, bench) turn objects into files with <see cref="LocalSource"/>.
/// </summary>
public sealed partial class MediaProcessor
{
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _log;

    public MediaLimits Limits { get; }
    public MediaCache Cache { get; }
    public VideoTools Video { get; }
    public string TempDirectory { get; }

    /// <summary>Why libvips cannot be used here (its native library did not load); null when it works.</summary>
    public static string? LibvipsError { get; } = InitLibvips();

    /// <summary>The libvips version in use, for the start-up banner; null when it did not load.</summary>
    public static string? LibvipsVersion => LibvipsError is null ? $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}" : null;

    public MediaProcessor(string dataDirectory, MediaLimits limits, ILogger log)
    {
        Limits = limits;
        _log = log;
        _slots = new SemaphoreSlim(limits.Concurrency, limits.Concurrency);
        var root = Path.Combine(dataDirectory, "media");
        TempDirectory = Path.Combine(root, "tmp");
        Directory.CreateDirectory(TempDirectory);
        SweepTemporaryFiles(TempDirectory, TimeSpan.FromHours(1) + 2 * limits.Timeout);
        Cache = new MediaCache(Path.Combine(root, "cache"), limits.CacheBytes);
        Video = VideoTools.Find();
    }

    /// <summary>
    /// Removes what a crashed process left in the temporary folder. Several gateways may share the data folder, so only
    /// files older than any request can run are removed, never another process's work in flight.
    /// </summary>
    private static void SweepTemporaryFiles(string directory, TimeSpan age)
    {
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (DateTime.UtcNow - file.LastWriteTimeUtc < age) continue;
            try { file.Delete(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string? InitLibvips()
    {
        try
        {
            if (!NetVips.ModuleInitializer.VipsInitialized)
                return NetVips.ModuleInitializer.Exception?.Message ?? "libvips did not initialise";
            // Loaders libvips marks untrusted (ImageMagick, PDF, SVG, ...) never see data from clients.
            NetVips.NetVips.BlockUntrusted = true;
            // No operation cache: each request's images are its own, and memory stays bounded by the work in flight.
            NetVips.Cache.Max = 0;
            NetVips.Cache.MaxFiles = 0;
            NetVips.Cache.MaxMem = 0;
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return e.Message;
        }
    }

    /// <summary>Runs <paramref name="work"/> in a processing slot (waiting up to the queue wait, else 503 SlowDown) with the time limit.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (!await _slots.WaitAsync(Limits.QueueWait, ct))
            throw new S3Exception("SlowDown", 503, "Please reduce your request rate. (Every media processing slot is busy: --media-concurrency.)");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Limits.Timeout);
        try
        {
            return await work(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new S3Exception("RequestTimeout", 400,
                $"Processing took longer than the limit of {Limits.Timeout.TotalMilliseconds:0} ms (--media-timeout).");
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Runs a compiled pipeline on a local file in a processing slot: the entry point for callers other than S3
    /// (the console, the bench); <paramref name="marks"/> maps watermark keys to local files.</summary>
    public Task<MediaResult> ProcessFileAsync(string path, CompiledPipeline work, IReadOnlyDictionary<string, string>? marks, CancellationToken ct) =>
        RunAsync(token => work.Video is { } video ? VideoAsync(path, video, token) : ExecuteImageAsync(path, work.Steps, marks, token), ct);

    /// <summary>Runs image steps on a local file (the caller holds a slot). A source libvips cannot read, or any failure of
    /// its decoders on hostile data, is the client's 400, never a 500.</summary>
    public Task<MediaResult> ExecuteImageAsync(string path, IReadOnlyList<IImageStep> steps, IReadOnlyDictionary<string, string>? marks, CancellationToken token)
    {
        if (LibvipsError is { } error) throw S3Errors.NotImplemented($"Image processing is unavailable: libvips did not load ({error}).");
        return Task.Run(() =>
        {
            var job = new ImageJob(Limits);
            foreach (var (k, v) in marks ?? new Dictionary<string, string>()) job.Marks[k] = v;
            try
            {
                return ImageProcessor.Run(path, steps, job, token);
            }
            catch (Exception e) when (e is not (S3Exception or OperationCanceledException))
            {
                LogDecodeFailure(_log, e.GetType().Name, e.Message.Split('\n')[0].Replace(path, "<source>"));
                throw ImageSource.NotAnImage();
            }
        }, token);
    }

    /// <summary>Runs a video action (snapshot or info) with ffmpeg/ffprobe on a local file (the caller holds a slot).</summary>
    public Task<MediaResult> VideoAsync(string path, VideoAction action, CancellationToken token) =>
        VideoProcessor.RunAsync(Video, path, action, TempDirectory, Limits, token);

    [LoggerMessage(Level = LogLevel.Information, Message = "media: source refused by the decoder ({Kind}: {Reason})")]
    private static partial void LogDecodeFailure(ILogger log, string kind, string reason);
}
