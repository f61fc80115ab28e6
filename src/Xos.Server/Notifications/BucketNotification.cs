using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Notifications;

/// <summary>
/// Put/GetBucketNotificationConfiguration and the older ?notification forms the SDKs still send (same document).
/// Every destination must name a target the administrator configured (arn:xos:sqs::NAME:KIND); saving a configuration
/// queues an s3:TestEvent for each of its targets in the same transaction, as S3 sends one.
/// </summary>
public static class BucketNotification
{
    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketNotification", ct);
        var config = NotificationConfiguration.Parse(await S3Xml.ReadBodyAsync(req, ct));
        var known = (await ctx.Store.ListNotifyTargetsAsync(ct)).Select(t => t.Arn).ToHashSet(StringComparer.Ordinal);
        var unknown = config.Arns.Where(a => !known.Contains(a)).ToList();
        if (unknown.Count > 0)
            throw new S3Exception("InvalidArgument", 400, "Unable to validate the following destination configurations",
                [.. unknown.SelectMany((arn, i) => new[]
                {
                    ($"ArgumentName{i + 1}", arn),
                    ($"ArgumentValue{i + 1}", "The destination is not a notification target of this server (xos admin notify list)"),
                })]);
        var now = DateTimeOffset.UtcNow;
        var tests = config.Arns.Select(arn => new OutboxEvent(arn, EventOrigin.TestEvent(bucket.Name, req.RequestId, now))).ToList();
        await ctx.Store.SetNotificationConfigurationAsync(bucket.Id, config.Rules.Count == 0 ? null : config.ToJson(), tests, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketNotification", ct);
        var config = NotificationConfiguration.FromJson(bucket.Notification);
        await S3Xml.WriteAsync(req.Http, 200, "NotificationConfiguration", w => config?.Write(w));
    }
}
