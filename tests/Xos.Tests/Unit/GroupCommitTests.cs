using System.Data.Common;
using Microsoft.Data.Sqlite;
using Xos.Server.Storage.Sqlite;

namespace Xos.Tests.Unit;

/// <summary>SQLite's group commit: writes committed together, each isolated from the others' failures.</summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xos-group-").FullName;
    private readonly SqliteDatabase _db;

    public GroupCommitTests()
    {
        _db = new SqliteDatabase(Path.Combine(_dir, "metadata.db"));
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<long> ExecAsync(DbConnection db, DbTransaction tx, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        return await cmd.ExecuteNonQueryAsync();
    }

    private Task<long> Insert(string name, int bytes = 10) => _db.RunWriteAsync((db, tx) =>
        ExecAsync(db, tx, "INSERT INTO t(name, data) VALUES (@n, zeroblob(@b))", ("@n", name), ("@b", bytes)), default);

    private async Task<List<string>> NamesAsync()
    {
        await using var db = await _db.OpenReaderAsync(default);
        await using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT name FROM t ORDER BY name";
        await using var r = await cmd.ExecuteReaderAsync();
        var names = new List<string>();
        while (await r.ReadAsync()) names.Add(r.GetString(0));
        return names;
    }

    [Fact]
    public async Task ConcurrentWritesAllCommitAndAFailingOneRollsBackOnlyItself()
    {
        await _db.RunWriteAsync((db, tx) => ExecAsync(db, tx, "CREATE TABLE t(name TEXT PRIMARY KEY, data BLOB)"), default);
        var writes = Enumerable.Range(0, 200).Select(i => Insert($"k{i:D3}")).ToList();
        // A duplicate key: its statement fails, inside its own savepoint.
        var duplicate = _db.RunWriteAsync(async (db, tx) =>
        {
            await ExecAsync(db, tx, "INSERT INTO t(name, data) VALUES ('dup-a', x'00')");
            return await ExecAsync(db, tx, "INSERT INTO t(name, data) VALUES ('k000', x'00')");
        }, default);
        await Task.WhenAll(writes);
        await Assert.ThrowsAsync<SqliteException>(() => duplicate);
        var names = await NamesAsync();
        Assert.Equal(200, names.Count);
        Assert.DoesNotContain("dup-a", names);
    }

    [Fact]
    public async Task AWriteThatFillsTheDatabaseFailsWithItsOwnErrorAndTheOthersOfItsGroupStillCommit()
    {
        await _db.RunWriteAsync((db, tx) => ExecAsync(db, tx, "CREATE TABLE t(name TEXT PRIMARY KEY, data BLOB)"), default);
        // A database that cannot grow past a few pages: a large row is SQLITE_FULL, after which SQLite abandons the
        // whole transaction of the group, not just the statement.
        await _db.RunWriteAsync(async (db, tx) =>
        {
            await using var cmd = db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "PRAGMA max_page_count = 40";
            await cmd.ExecuteScalarAsync();
            return 0;
        }, default);
        var before = Enumerable.Range(0, 20).Select(i => Insert($"a{i:D2}")).ToList();
        var full = Insert("huge", 1 << 20);
        var after = Enumerable.Range(0, 20).Select(i => Insert($"b{i:D2}")).ToList();
        var error = await Assert.ThrowsAsync<SqliteException>(() => full);
        Assert.Equal(13, error.SqliteErrorCode); // SQLITE_FULL, which the server answers 507
        await Task.WhenAll(before.Concat(after));
        var names = await NamesAsync();
        Assert.Equal(40, names.Count);
        Assert.DoesNotContain("huge", names);
        // And the writer is healthy for the next group.
        await Insert("later");
        Assert.Contains("later", await NamesAsync());
    }

    [Fact]
    public async Task AWriteCancelledBeforeItsGroupRunsIsNeverApplied()
    {
        await _db.RunWriteAsync((db, tx) => ExecAsync(db, tx, "CREATE TABLE t(name TEXT PRIMARY KEY, data BLOB)"), default);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _db.RunWriteAsync((db, tx) => ExecAsync(db, tx, "INSERT INTO t(name, data) VALUES ('never', x'00')"), cancelled.Token));
        await Insert("kept");
        Assert.Equal(["kept"], await NamesAsync());
    }
}
