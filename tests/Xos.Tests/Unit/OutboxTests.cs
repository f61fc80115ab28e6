using Microsoft.Data.Sqlite;
using Xos.Server.Notifications;
using Xos.Server.Storage.Sql;
using Xos.Server.Storage.Sqlite;

namespace Xos.Tests.Unit;

/// <summary>
/// The SQLite outbox numbers events itself (no AUTOINCREMENT): ids, which become sequencers, must never go back, not when
/// the outbox empties, not when a target's events are dropped with it, not across a restart or the migration from schema 7.
/// </summary>
public sealed class OutboxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xos-outbox-").FullName;
    private string Path => System.IO.Path.Combine(_dir, "metadata.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(SqlMetadataStore Store, long BucketId)> OpenAsync()
    {
        var store = new SqlMetadataStore(new SqliteDatabase(Path));
        await store.InitializeAsync(default);
        await store.EnsureUserAsync("owner", "owner", default);
        var (bucket, _) = await store.CreateBucketAsync("media", "owner", "", null, null, null, default);
        return (store, bucket.Id);
    }

    private static Task QueueAsync(SqlMetadataStore store, long bucketId, params string[] targets) =>
        store.SetNotificationConfigurationAsync(bucketId, null, targets.Select(t => new OutboxEvent(t, "{}")).ToList(), default);

    private static async Task<List<long>> DeliverAllAsync(SqlMetadataStore store, string target)
    {
        var events = await store.PeekEventsAsync(target, 0, long.MaxValue, 1000, default);
        await store.DeleteEventsAsync(events.Select(e => e.Id).ToList(), default);
        return events.Select(e => e.Id).ToList();
    }

    [Fact]
    public async Task IdsKeepGrowingWhenTheOutboxEmptiesAndTheServerRestarts()
    {
        var (store, bucket) = await OpenAsync();
        await QueueAsync(store, bucket, "a", "a", "a");
        var first = await DeliverAllAsync(store, "a");
        Assert.Equal(3, first.Count);
        Assert.Empty(await store.PeekEventsAsync("a", 0, long.MaxValue, 10, default));

        // The outbox is empty: the next id still comes after the last one, in this process and the next.
        await QueueAsync(store, bucket, "a");
        var second = await DeliverAllAsync(store, "a");
        Assert.True(second.Single() > first.Max(), $"{second.Single()} after {first.Max()}");
        store.Dispose();
        SqliteConnection.ClearAllPools();

        using var reopened = new SqlMetadataStore(new SqliteDatabase(Path));
        await reopened.InitializeAsync(default);
        await QueueAsync(reopened, bucket, "a");
        var third = await DeliverAllAsync(reopened, "a");
        Assert.True(third.Single() > second.Single(), $"{third.Single()} after {second.Single()}");
    }

    [Fact]
    public async Task IdsKeepGrowingWhenATargetIsRemovedWithItsEvents()
    {
        var (store, bucket) = await OpenAsync();
        using var _ = store;
        await store.PutNotifyTargetAsync(new NotifyTarget("webhook", "gone", new Dictionary<string, string> { ["endpoint"] = "http://127.0.0.1:1/" }, DateTimeOffset.UtcNow), default);
        var arn = "arn:xos:sqs::gone:webhook";
        await QueueAsync(store, bucket, arn, arn, arn);
        var queued = (await store.PeekEventsAsync(arn, 0, long.MaxValue, 10, default)).Select(e => e.Id).ToList();
        Assert.Equal(3, await store.DeleteNotifyTargetAsync(arn, default));
        await QueueAsync(store, bucket, "b");
        Assert.True((await DeliverAllAsync(store, "b")).Single() > queued.Max());
    }

    [Fact]
    public async Task ATargetIsReadOnFromTheLastIdItDelivered()
    {
        var (store, bucket) = await OpenAsync();
        using var _ = store;
        await QueueAsync(store, bucket, "a", "b", "a", "b", "a");
        var a = await store.PeekEventsAsync("a", 0, long.MaxValue, 10, default);
        Assert.Equal(3, a.Count);
        Assert.True(a[0].Id < a[1].Id && a[1].Id < a[2].Id);
        Assert.Equal([a[1].Id, a[2].Id], (await store.PeekEventsAsync("a", a[0].Id, long.MaxValue, 10, default)).Select(e => e.Id));
        Assert.Equal([a[2].Id], (await store.PeekEventsAsync("a", a[1].Id, long.MaxValue, 1, default)).Select(e => e.Id));
        Assert.Equal(2, (await store.PeekEventsAsync("b", a[0].Id, long.MaxValue, 10, default)).Count);
        // The read stops at the id given: the outbox's highest when the delivery pass began.
        var last = await store.LastEventIdAsync(default);
        Assert.Equal(a[2].Id, last);
        Assert.Equal([a[0].Id, a[1].Id], (await store.PeekEventsAsync("a", 0, a[1].Id, 10, default)).Select(e => e.Id));
        Assert.Empty(await store.PeekEventsAsync("a", last, last, 10, default));
        Assert.True(store.EventIdsFollowCommits);
    }

    [Fact]
    public async Task Schema7sOutboxIsRebuiltKeepingItsEventsAndItsCounter()
    {
        var (store, bucket) = await OpenAsync();
        store.Dispose();
        SqliteConnection.ClearAllPools();
        // Schema 7's outbox: AUTOINCREMENT had reached 100, events 41 and 42 still wait.
        await using (var db = new SqliteConnection($"Data Source={Path}"))
        {
            await db.OpenAsync();
            var cmd = db.CreateCommand();
            cmd.CommandText = """
                DROP TABLE events;
                DROP TABLE event_ids;
                CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, created INTEGER NOT NULL, payload TEXT NOT NULL);
                CREATE INDEX events_target ON events(target, id);
                INSERT INTO events(id, target, created, payload) VALUES (41, 'a', 1, '{"n":41}'), (42, 'a', 2, '{"n":42}'), (100, 'a', 3, '{}');
                DELETE FROM events WHERE id = 100;
                UPDATE schema_version SET version = 7;
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        using var migrated = new SqlMetadataStore(new SqliteDatabase(Path));
        await migrated.InitializeAsync(default);
        var kept = await migrated.PeekEventsAsync("a", 0, long.MaxValue, 10, default);
        Assert.Equal([(41L, "{\"n\":41}"), (42L, "{\"n\":42}")], kept.Select(e => (e.Id, e.Payload)));
        await QueueAsync(migrated, bucket, "a");
        var ids = await DeliverAllAsync(migrated, "a");
        Assert.Equal([41L, 42L, 101L], ids);

        await using var check = new SqliteConnection($"Data Source={Path}");
        await check.OpenAsync();
        var schema = check.CreateCommand();
        schema.CommandText = "SELECT group_concat(sql, ';') FROM sqlite_master WHERE tbl_name = 'events'";
        var sql = (string)(await schema.ExecuteScalarAsync())!;
        Assert.DoesNotContain("AUTOINCREMENT", sql);
        Assert.DoesNotContain("events_target", sql);
    }
}
