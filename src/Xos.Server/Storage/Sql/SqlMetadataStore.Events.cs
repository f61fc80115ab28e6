using System.Data.Common;
using Xos.Server.Notifications;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// Event notifications: the outbox of events (written in the transaction of the change that causes them, read and
/// deleted by the delivery worker once a target acknowledged them) and the targets the administrator configured.
/// </summary>
public sealed partial class SqlMetadataStore
{
    public OutboxSignal EventsQueued { get; } = new();

    /// <summary>Adds the events to <paramref name="batch"/>, to be written with the change they describe.</summary>
    private void AddEvents(SqlBatch batch, IReadOnlyList<OutboxEvent>? events)
    {
        if (events is null) return;
        var now = Millis(DateTimeOffset.UtcNow);
        foreach (var e in events) batch.Add(_db.InsertEventSql, ("@t", e.Target), ("@c", now), ("@p", e.Payload));
    }

    /// <summary>Writes the events in the caller's transaction.</summary>
    private async Task AddEventsAsync(DbConnection db, DbTransaction tx, IReadOnlyList<OutboxEvent>? events, CancellationToken ct)
    {
        if (events is null) return;
        var batch = new SqlBatch();
        AddEvents(batch, events);
        await batch.RunAsync(_db, db, tx, static (_, _) => Task.CompletedTask, ct);
    }

    /// <summary>The events <paramref name="origin"/>'s rules ask for when <paramref name="eventName"/> happens to a version.</summary>
    private static List<OutboxEvent>? Events(EventOrigin? origin, string eventName, string key, ObjectRecord? version, string? versionId) =>
        origin?.Render(eventName, key, version?.Size ?? 0, version is { IsDeleteMarker: false } ? version.ETag : null, versionId ?? version?.VersionId,
            DateTimeOffset.UtcNow);

    /// <summary>Runs a write that may queue events, and wakes the delivery worker once it committed.</summary>
    private async Task<T> WriteWithEventsAsync<T>(EventOrigin? origin, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct,
        [System.Runtime.CompilerServices.CallerMemberName] string call = "")
    {
        var result = await WriteAsync(work, ct, call);
        if (origin is not null) EventsQueued.Raise();
        return result;
    }

    public async Task SetNotificationConfigurationAsync(long bucketId, string? value, IReadOnlyList<OutboxEvent> testEvents, CancellationToken ct)
    {
        await WriteBucketAsync(async (db, tx) =>
        {
            await WriteBucketSettingAsync(db, tx, bucketId, NotificationConfiguration.SettingName, value, ct);
            await AddEventsAsync(db, tx, testEvents, ct);
        }, ct);
        if (testEvents.Count > 0) EventsQueued.Raise();
    }

    public async Task<IReadOnlyList<NotifyTarget>> ListNotifyTargetsAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT kind, name, settings, created FROM notify_targets ORDER BY kind, name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<NotifyTarget>();
        while (await r.ReadAsync(ct))
            list.Add(new NotifyTarget(r.GetString(0), r.GetString(1), NotifyTarget.SettingsFromJson(r.GetString(2)), FromMillis(r.GetInt64(3))));
        return list;
    }

    public Task PutNotifyTargetAsync(NotifyTarget target, CancellationToken ct) => WriteAsync(async (db, tx) =>
    {
        await ExecAsync(db, tx,
            "INSERT INTO notify_targets(arn, kind, name, settings, created) VALUES (@arn, @kind, @name, @settings, @created) " +
            "ON CONFLICT(arn) DO UPDATE SET settings = excluded.settings", ct,
            ("@arn", target.Arn), ("@kind", target.Kind), ("@name", target.Name), ("@settings", target.SettingsJson()), ("@created", Millis(target.Created)));
    }, ct);

    public Task<int?> DeleteNotifyTargetAsync(string arn, CancellationToken ct) => WriteAsync<int?>(async (db, tx) =>
    {
        if (await ExecAsync(db, tx, "DELETE FROM notify_targets WHERE arn = @arn", ct, ("@arn", arn)) == 0) return null;
        if (_db.KeepEventIdsSql is { } keep) await ExecAsync(db, tx, keep, ct);
        return await ExecAsync(db, tx, "DELETE FROM events WHERE target = @arn", ct, ("@arn", arn));
    }, ct);

    public async Task<IReadOnlyList<EventQueueStats>> GetEventQueueStatsAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT target, COUNT(*), MIN(created) FROM events GROUP BY target");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<EventQueueStats>();
        while (await r.ReadAsync(ct)) list.Add(new EventQueueStats(r.GetString(0), r.GetInt64(1), FromMillis(r.GetInt64(2))));
        return list;
    }

    public bool EventIdsFollowCommits => _db.EventIdsFollowCommits;

    /// <summary>
    /// The first <paramref name="limit"/> events queued for <paramref name="target"/> with ids above
    /// <paramref name="after"/> (0: all) and up to <paramref name="upTo"/>, in order. Where ids follow commits
    /// (<see cref="EventIdsFollowCommits"/>) the delivery worker passes the id up to which it delivered everything, and
    /// the outbox's highest id when the pass began (<see cref="LastEventIdAsync"/>): the read covers that range and no
    /// more, and the worker need not read it again, however many events of other targets it holds (SQLite's outbox has
    /// no index on target).
    /// </summary>
    public async Task<IReadOnlyList<QueuedEvent>> PeekEventsAsync(string target, long after, long upTo, int limit, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, "SELECT id, payload, created FROM events WHERE target = @t AND id > @after AND id <= @upTo ORDER BY id LIMIT @limit",
            ("@t", target), ("@after", after), ("@upTo", upTo), ("@limit", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<QueuedEvent>();
        while (await r.ReadAsync(ct)) list.Add(new QueuedEvent(r.GetInt64(0), r.GetString(1), FromMillis(r.GetInt64(2))));
        return list;
    }

    public async Task<long> LastEventIdAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return Convert.ToInt64(await ScalarAsync(db, null, "SELECT COALESCE(MAX(id), 0) FROM events", ct));
    }

    /// <summary>
    /// Deletes acknowledged events in one statement. Its IN list is padded (repeating the last id) to a power of two, so
    /// that a handful of statement texts serve every batch and each is prepared once per connection.
    /// </summary>
    public Task DeleteEventsAsync(IReadOnlyList<long> ids, CancellationToken ct) => ids.Count == 0 ? Task.CompletedTask : WriteAsync(async (db, tx) =>
    {
        if (_db.KeepEventIdsSql is { } keep) await ExecAsync(db, tx, keep, ct);
        for (var start = 0; start < ids.Count; start += MaxDeletedAtOnce)
        {
            var count = Math.Min(MaxDeletedAtOnce, ids.Count - start);
            var slots = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count);
            var args = new (string, object?)[slots];
            for (var i = 0; i < slots; i++) args[i] = (DeleteSlots[i], ids[start + Math.Min(i, count - 1)]);
            await ExecAsync(db, tx, DeleteEventsSql[System.Numerics.BitOperations.Log2((uint)slots)], ct, args);
        }
    }, ct);

    private const int MaxDeletedAtOnce = 256;
    private static readonly string[] DeleteSlots = Enumerable.Range(0, MaxDeletedAtOnce).Select(i => "@i" + i).ToArray();

    /// <summary>DELETE ... WHERE id IN (@i0 .. @i(2^n - 1)), by n.</summary>
    private static readonly string[] DeleteEventsSql = Enumerable.Range(0, System.Numerics.BitOperations.Log2(MaxDeletedAtOnce) + 1)
        .Select(n => $"DELETE FROM events WHERE id IN ({string.Join(", ", DeleteSlots.Take(1 << n))})").ToArray();
}

/// <summary>How many events wait for one target, and since when the oldest has.</summary>
public sealed record EventQueueStats(string Target, long Count, DateTimeOffset Oldest);

/// <summary>An event in the outbox: its id (which orders it and becomes its sequencer), its message, when it was queued.</summary>
public sealed record QueuedEvent(long Id, string Payload, DateTimeOffset Created);

/// <summary>Wakes the delivery worker when a committed write queued events, so it need not wait for its next poll.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Raise()
    {
        if (_signal.CurrentCount == 0)
            try { _signal.Release(); }
            catch (SemaphoreFullException) { }
    }

    /// <summary>Waits until <see cref="Raise"/> (true) or <paramref name="timeout"/> (false).</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
