using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Notifications;

/// <summary>What the S3 operations hand the metadata store so that their changes queue the events a bucket's rules ask for.</summary>
public static class ObjectEvents
{
    /// <summary>
    /// The origin of a change the request makes to <paramref name="bucket"/>; null when the bucket has no notification
    /// rules (the usual case, which costs nothing). When the outbox is over its limit and the administrator asked writes
    /// to be refused then (--notify-refuse-when-full), the write is refused with 503 SlowDown before anything is stored.
    /// </summary>
    public static EventOrigin? For(S3Request req, ServerContext ctx, BucketRecord bucket, string action)
    {
        if (NotificationConfiguration.FromJson(bucket.Notification) is not { Rules.Count: > 0 } rules) return null;
        if (QueueStatus.Full && ctx.Options.NotifyRefuseWhenFull)
            throw new S3Exception("SlowDown", 503, "The event notification queue is full: writes to buckets with notifications are refused until it drains.");
        var ip = req.Http.Connection.RemoteIpAddress;
        return new EventOrigin(bucket, rules, action, req.Identity?.OwnerId ?? "anonymous",
            ip is null ? "" : (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString(), req.RequestId, ctx.Options.Region);
    }

    /// <summary>The origin of lifecycle expirations in <paramref name="bucket"/> (read with its settings); null without rules.</summary>
    public static EventOrigin? ForLifecycle(BucketRecord bucket, string region) =>
        NotificationConfiguration.FromJson(bucket.Notification) is { Rules.Count: > 0 } rules
            ? new EventOrigin(bucket, rules, EventTypes.Expiration, "AmazonS3", "s3.amazonaws.com", RequestIds.Next(), region)
            : null;
}

/// <summary>The outbox's state as the delivery worker last measured it, read by writes, the readiness check and metrics.</summary>
public static class QueueStatus
{
    private static volatile bool _full;

    /// <summary>More events wait than --notify-queue-limit allows.</summary>
    public static bool Full { get => _full; set => _full = value; }

    /// <summary>Events waiting, over all targets, at the last measure.</summary>
    public static long Queued { get; set; }

    public static long Limit { get; set; } = long.MaxValue;

    /// <summary>The readiness detail: null while the queue is under its limit.</summary>
    public static string? Warning => Full
        ? $"warning: {Queued} events wait for delivery, over the limit of {Limit} (--notify-queue-limit): nothing is dropped; check the targets"
        : null;
}
