using Xos.Server.Storage;

namespace Xos.Server.Hosting;

/// <summary>
/// GET /health/live and /health/ready. Only unsigned path-style requests are health checks, so a bucket
/// named "health" stays reachable to signed S3 requests.
/// </summary>
public static class Health
{
    public static Task? TryHandle(HttpContext http, IMetadataStore store, Storage.Files.FreeSpaceGuard space)
    {
        var path = http.Request.Path.Value;
        if (path is not ("/health/live" or "/health/ready") || !HttpMethods.IsGet(http.Request.Method)) return null;
        if (http.Request.Headers.Authorization.Count > 0 || http.Request.Query.ContainsKey("X-Amz-Signature") || http.Request.Query.ContainsKey("Signature"))
            return null;
        return path == "/health/live" ? Write(http, 200, "ok") : ReadyAsync(http, store, space);
    }

    private static async Task ReadyAsync(HttpContext http, IMetadataStore store, Storage.Files.FreeSpaceGuard space)
    {
        try
        {
            await store.GetBucketAsync("health-check-probe", http.RequestAborted);
            // Reads still work below the free-space reserve, so the server stays ready; the detail tells the operator why writes fail.
            var text = space.BelowReserve
                ? $"ready\nwarning: {space.AvailableBytes} bytes free, below the reserve of {space.ReserveBytes} bytes: writes are refused (507)"
                : "ready";
            // A full event queue is a detail, not unreadiness: the server still serves, and refuses writes only if asked to.
            if (Notifications.QueueStatus.Warning is { } events) text += "\n" + events;
            await Write(http, 200, text);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (Storage.Sql.SqlDatabase.IsUnavailable(e)) store.DiscardPooledConnections();
            await Write(http, 503, "metadata store unavailable");
        }
    }

    private static Task Write(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain";
        return http.Response.WriteAsync(text + "\n");
    }
}
