using System.Data.Common;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Files;

/// <summary>
/// Keeps a reserve of free space where bodies go (the data folder's filesystem, or with <c>--blobs rados://</c> the pool):
/// a write that would eat into it is refused with 507 InsufficientStorage before the disk is actually full, so the
/// metadata database always has room to commit and clients get an answer they do not retry as a transient error. The
/// free space is read at most once a second, and again before a write is refused.
/// </summary>
public sealed partial class FreeSpaceGuard
{
    private readonly string _place;
    private readonly Func<long> _measure;
    private readonly Func<long> _total;
    private readonly long _reserveBytes;

    /// <summary>A reserve on the filesystem of <paramref name="directory"/>.</summary>
    public FreeSpaceGuard(string directory, long reserveBytes)
        : this(directory, () => new DriveInfo(directory).AvailableFreeSpace, () => new DriveInfo(directory).TotalSize, reserveBytes) { }

    /// <summary>A reserve on storage measured elsewhere (a RADOS pool): <paramref name="place"/> names it in the warning.</summary>
    public FreeSpaceGuard(string place, Func<long> available, Func<long> total, long reserveBytes)
    {
        _place = place;
        _measure = available;
        _total = total;
        _reserveBytes = reserveBytes;
    }

    /// <summary>Where the warning goes when writes start being refused (set once the host's logging exists).</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private long _available = long.MaxValue;
    // Far enough in the past that the first read and the first warning happen, without overflowing the subtraction.
    private long _checkedAt = -1_000_000;
    private long _warnedAt = -1_000_000;

    /// <summary>The reserve asked for with --min-free / XOS_MIN_FREE: a size (512m, 2g) or a share of the filesystem (5%).</summary>
    public static long ParseReserve(string? text, string directory) => ParseReserve(text, new DriveInfo(Path.GetFullPath(directory)).TotalSize);

    /// <summary>The reserve of <paramref name="text"/> on storage of <paramref name="total"/> bytes.</summary>
    public static long ParseReserve(string? text, long total)
    {
        // Default: 256 MiB, but never more than 5% of a small filesystem.
        if (string.IsNullOrWhiteSpace(text)) return Math.Min(256L << 20, total / 20);
        // The spelling is CheckReserve's (the command line checked it already); here it becomes bytes.
        var t = CheckReserve(text);
        if (t.EndsWith('%'))
            return (long)(total * double.Parse(t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) / 100);
        return t == "0" ? 0 : Bench.BenchOptions.ParseSize(t);
    }

    /// <summary>Checks a reserve's spelling before anything starts (a size, a percentage or 0) and gives it back.</summary>
    public static string CheckReserve(string text)
    {
        var t = text.Trim();
        if (t.EndsWith('%'))
            return double.TryParse(t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 100
                ? t : throw new ArgumentException($"must be a size such as 512m or a percentage such as 5%, not '{text}'");
        try
        {
            if (t != "0") Bench.BenchOptions.ParseSize(t);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"must be a size such as 512m, a percentage such as 5%, or 0, not '{text}'");
        }
        return t;
    }

    public long ReserveBytes => _reserveBytes;

    /// <summary>Bytes free for bodies: for the server's user on the data folder's filesystem, or in the pool.</summary>
    public long AvailableBytes => Available(fresh: false);

    /// <summary>The size of the filesystem or pool.</summary>
    public long TotalBytes => _total();

    private long Available(bool fresh)
    {
        var now = Environment.TickCount64;
        if (fresh || now - Interlocked.Read(ref _checkedAt) > 1000)
        {
            Interlocked.Exchange(ref _available, _measure());
            Interlocked.Exchange(ref _checkedAt, now);
        }
        return Interlocked.Read(ref _available);
    }

    public bool BelowReserve => AvailableBytes < _reserveBytes;

    /// <summary>Refuses a write of <paramref name="bytes"/> (0 when its length is not known yet) that would leave less than the reserve.</summary>
    public void EnsureRoom(long bytes)
    {
        var available = AvailableBytes;
        if (available - bytes >= _reserveBytes) return;
        // The cached figure may predate deletes that freed room: a refusal is decided on the filesystem's own figure.
        available = Available(fresh: true);
        if (available - bytes >= _reserveBytes) return;
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _warnedAt) > 60_000)
        {
            Interlocked.Exchange(ref _warnedAt, now);
            LogBelowReserve(Logger, _place, available, _reserveBytes);
        }
        throw InsufficientStorage();
    }

    public static S3Exception InsufficientStorage() =>
        new("InsufficientStorage", 507, "The server does not have enough free space to store this data; delete objects or add capacity, then retry.");

    /// <summary>Whether an exception of the file system or the database means the disk is full.</summary>
    public static bool IsDiskFull(Exception e) => e switch
    {
        IOException io => io.HResult is 28 or unchecked((int)0x80070070) || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)
                          || io.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase),
        DbException db => db.Message.Contains("disk is full", StringComparison.OrdinalIgnoreCase)
                          || db.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase),
        _ => e.InnerException is { } inner && IsDiskFull(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "writes refused: {Place} has {Available} bytes free, below the reserve of {Reserve} bytes (--min-free)")]
    private static partial void LogBelowReserve(ILogger log, string place, long available, long reserve);
}
