using System.Data.Common;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// A connection that keeps its statements prepared between calls: it hands out the command of a SQL text it ran
/// before, parsed and planned once. Engines that prepare by themselves (Npgsql's auto-prepare) need not offer it.
/// </summary>
public interface IPreparedCommands
{
    DbCommand Command(string sql);
}

/// <summary>What a process caches from a shared database and is told of when another one changes it.</summary>
public enum SharedChange
{
    /// <summary>Access keys, users, roles.</summary>
    Credentials,
    /// <summary>Buckets, their settings, and the account settings read with them.</summary>
    Buckets,
}

/// <summary>The schema one engine runs: its current version, the statements that create it, and the steps from older versions.</summary>
public sealed record SqlSchema(int Version, string Create, IReadOnlyList<(int Version, string Sql)> Migrations);

/// <summary>
/// One SQL engine under <see cref="SqlMetadataStore"/>: how to connect, how write transactions begin, how a writer
/// excludes other writers of the same object, and how the engine reports a foreign-key violation.
/// </summary>
public abstract class SqlDatabase : IDisposable
{
    public abstract bool IsSharedByProcesses { get; }
    public abstract string Description { get; }
    public abstract SqlSchema Schema { get; }

    public abstract Task<DbConnection> OpenReaderAsync(CancellationToken ct);
    public abstract Task<DbConnection> OpenWriterAsync(CancellationToken ct);
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection db, CancellationToken ct);

    /// <summary>
    /// Runs a write as one transaction: committed when <paramref name="work"/> returns, rolled back when it throws.
    /// An engine may run several concurrent writes in one transaction (each isolated by a savepoint) and commit them
    /// together; each caller's task completes only once its write is durable.
    /// </summary>
    public virtual async Task<T> RunWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var db = await OpenWriterAsync(ct);
        await using var tx = await BeginWriteAsync(db, ct);
        var result = await work(db, tx);
        // Once the work is done the commit is not abandoned for a client that went away: a COMMIT cancelled midway may
        // still land, and the caller would then delete the blob of an object that exists.
        await tx.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>Once per database, before the schema transaction (settings that cannot change inside one).</summary>
    public virtual Task PrepareAsync(DbConnection db, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Keeps servers that start together from migrating the schema at the same time.</summary>
    public abstract Task LockSchemaAsync(DbConnection db, DbTransaction tx, CancellationToken ct);

    /// <summary>Holds, until <paramref name="tx"/> ends, a lock other writers of the same (scope, id, name) wait for.</summary>
    public async Task LockAsync(DbConnection db, DbTransaction tx, string scope, long id, byte[] name, CancellationToken ct)
    {
        if (LockStatement(scope, id, name) is not { } statement) return;
        await using var cmd = SqlMetadataStore.Command(db, tx, statement.Sql, statement.Args);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The statement of <see cref="LockAsync"/>, returning one row, so that it can also run first in a
    /// <see cref="SqlBatch"/>; null where the engine needs no lock (SQLite's writers already take turns).
    /// </summary>
    public virtual (string Sql, (string Name, object? Value)[] Args)? LockStatement(string scope, long id, byte[] name) => null;

    /// <summary>
    /// Queues an event (@t target, @c created, @p payload), returning its id. Here the identity column numbers it when it
    /// is inserted, which with concurrent writers is not the order in which they commit.
    /// </summary>
    public virtual string InsertEventSql => "INSERT INTO events(target, created, payload) VALUES (@t, @c, @p) RETURNING id";

    /// <summary>
    /// Run before events are deleted, in the same transaction, where the engine numbers events itself: keeps the next
    /// id above every id given so far once the newest events are gone. Null where an identity column never reuses ids.
    /// </summary>
    public virtual string? KeepEventIdsSql => null;

    /// <summary>
    /// Whether event ids follow commit order: a reader that has seen the events up to id N then never sees another at
    /// or below N, so it may read on from N (<see cref="SqlMetadataStore.PeekEventsAsync"/>).
    /// </summary>
    public virtual bool EventIdsFollowCommits => false;

    /// <summary>Whether a <see cref="SqlBatch"/> goes to the database in one round trip rather than statement by statement.</summary>
    public virtual bool SendsBatches => false;

    public abstract bool IsForeignKeyViolation(DbException e);

    /// <summary>
    /// Tells every process sharing the database, when <paramref name="tx"/> commits, that records of the kind
    /// <paramref name="change"/> names changed. Engines that cannot (SQLite, which only this process and the admin
    /// command use) do nothing.
    /// </summary>
    public virtual Task NotifyChangedAsync(DbConnection db, DbTransaction tx, SharedChange change, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Until <paramref name="stop"/>: calls <paramref name="changed"/> on every notification of
    /// <see cref="NotifyChangedAsync"/>, and <paramref name="listening"/> with whether notifications can be trusted to
    /// arrive right now. Engines without notifications return at once, never listening.
    /// </summary>
    public virtual Task ListenForChangesAsync(Action<SharedChange> changed, Action<bool> listening, CancellationToken stop) => Task.CompletedTask;

    /// <summary>
    /// A value that changes whenever another process announces (<see cref="AnnounceChange"/>) a change it committed to
    /// credentials, buckets or account settings; read before every cached key or object row is served, so it must cost
    /// no database read. Engines whose other writers notify otherwise (<see cref="NotifyChangedAsync"/>) return 0.
    /// </summary>
    public virtual long ChangesByOtherProcesses() => 0;

    /// <summary>After a committed change to credentials, buckets or account settings by a process that keeps none in memory (`xos admin`).</summary>
    public virtual void AnnounceChange() { }

    /// <summary>The aggregate that folds rows of (name, value) text into one JSON object: the engines name it differently.</summary>
    public abstract string JsonObjectAggregate(string name, string value);

    /// <summary>
    /// The database could not be reached or shed the request (connection lost, server restarting, too many
    /// connections, lock timeout): nothing of the request was committed, and the same request may simply be retried.
    /// </summary>
    public static bool IsUnavailable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is DbException { SqlState: { Length: 5 } state }
                && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)
                    || state.StartsWith("57P", StringComparison.Ordinal) || state is "40001" or "40P01"))
                return true;
            if (x is DbException { IsTransient: true } or TimeoutException or System.Net.Sockets.SocketException) return true;
        }
        return false;
    }

    public abstract void DiscardPooledConnections();

    public abstract void Dispose();
}
