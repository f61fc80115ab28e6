using System.Data.Common;
using Microsoft.Data.Sqlite;
using Xos.Server.Storage.Sql;

namespace Xos.Server.Storage.Sqlite;

/// <summary>
/// The embedded engine: one SQLite database in WAL mode with full fsync on commit. Write transactions start with
/// BEGIN IMMEDIATE, which takes the database's single write lock: writers are serialised whole, so the per-object
/// locks other engines need are already held.
/// </summary>
public sealed partial class SqliteDatabase : SqlDatabase
{
    private readonly string _connectionString;
    private readonly string _path;

    public SqliteDatabase(string databasePath)
    {
        _path = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // The connections stay open in this database's own pools, with their statements prepared.
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = 60,
        }.ToString();
        _writers = new SqliteConnectionPool(_connectionString, static async (db, ct) =>
        {
            await using var pragma = db.CreateCommand();
            // Each write of a group commit runs in a savepoint of its own, so every page it changes that an earlier write
            // of the group changed is first copied to the statement journal. With temp_store=MEMORY that journal stays
            // in memory; by default it spills to a temporary file past 64 KiB, a pwrite per page (4 KiB PUTs +20%).
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;";
            await pragma.ExecuteNonQueryAsync(ct);
        });
        _readers = new SqliteConnectionPool(_connectionString, static (_, _) => Task.CompletedTask);
    }

    public override bool IsSharedByProcesses => false;
    public override string Description => $"SQLite {_path}";
    public override SqlSchema Schema => SqliteSchema.Current;

    /// <summary>
    /// SQLite has one writer at a time; queueing this process's writers here avoids the busy-retry sleeps of
    /// contending connections. Correctness does not depend on it: every invariant is in the transaction itself.
    /// </summary>
    private readonly SemaphoreSlim _writerGate = new(1, 1);
    private readonly SqliteConnectionPool _writers;
    private readonly SqliteConnectionPool _readers;

    public override async Task<DbConnection> OpenWriterAsync(CancellationToken ct)
    {
        await _writerGate.WaitAsync(ct);
        try
        {
            return await _writers.TakeAsync(ct, released: () => _writerGate.Release());
        }
        catch
        {
            _writerGate.Release();
            throw;
        }
    }

    public override async Task<DbConnection> OpenReaderAsync(CancellationToken ct) => await _readers.TakeAsync(ct);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection db, CancellationToken ct) => await db.BeginTransactionAsync(ct);

    public override async Task PrepareAsync(DbConnection db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL;";
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override Task LockSchemaAsync(DbConnection db, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>One more than the highest id queued or ever deleted (<see cref="SqliteSchema"/>'s event_ids), taken in the write's turn.</summary>
    public override string InsertEventSql =>
        "INSERT INTO events(id, target, created, payload) VALUES (" +
        "MAX(COALESCE((SELECT MAX(floor) FROM event_ids), 0), COALESCE((SELECT MAX(id) FROM events), 0)) + 1, @t, @c, @p) RETURNING id";

    public override string KeepEventIdsSql =>
        "UPDATE event_ids SET floor = (SELECT MAX(id) FROM events) WHERE (SELECT MAX(id) FROM events) > floor";

    /// <summary>Writers take turns, and each numbers its events inside its transaction.</summary>
    public override bool EventIdsFollowCommits => true;

    public override string JsonObjectAggregate(string name, string value) => $"json_group_object({name}, {value})";

    public override bool IsForeignKeyViolation(DbException e) =>
        e is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 787 };

    public override void DiscardPooledConnections()
    {
        _readers.Clear();
        _writers.Clear();
    }

    public override void Dispose()
    {
        DisposeChanges();
        _readers.Dispose();
        _writers.Dispose();
    }
}
