using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Xos.Server.Storage.Sql;

namespace Xos.Server.Storage.Sqlite;

public sealed partial class SqliteDatabase
{
    /// <summary>
    /// Group commit: writes that arrive while a transaction is being written out wait in this queue, and the next
    /// transaction runs all of them, each in a savepoint of its own (a write that throws rolls back to its savepoint
    /// and leaves the others alone), then commits once: one fsync of the write-ahead log for the whole group instead
    /// of one per write. Every write's task completes after that commit, so acknowledged still means on disk.
    /// </summary>
    public override Task<T> RunWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var write = new GroupedWrite<T>(work, ct);
        _groupQueue.Enqueue(write);
        if (Interlocked.CompareExchange(ref _groupCommitting, 1, 0) == 0) _ = Task.Run(CommitGroupsAsync, CancellationToken.None);
        return write.Task;
    }

    private const int MaxGroup = 256;
    private readonly ConcurrentQueue<GroupedWrite> _groupQueue = new();
    private int _groupCommitting;

    private async Task CommitGroupsAsync()
    {
        while (true)
        {
            var group = new List<GroupedWrite>();
            while (group.Count < MaxGroup && _groupQueue.TryDequeue(out var write)) group.Add(write);
            try
            {
                // Writes SQLite threw out with a lost transaction are run again in a new one; the group shrinks each time.
                while (group.Count > 0) group = await CommitGroupAsync(group);
            }
            catch (Exception e)
            {
                // Nothing may leave a write waiting for ever or stop the committer: whatever escaped fails this group.
                foreach (var write in group) write.Complete(e);
            }
            // A full fence: the flag must be clear before the queue is looked at, or a write queued in between would
            // find the flag still set, start no committer, and wait until some other write came along.
            Interlocked.Exchange(ref _groupCommitting, 0);
            if (_groupQueue.IsEmpty || Interlocked.CompareExchange(ref _groupCommitting, 1, 0) != 0) return;
        }
    }

    /// <summary>
    /// Runs and commits one group; returns the writes to run again: when a write's error made SQLite abandon the whole
    /// transaction (a full disk, an I/O error), that write fails with its own error and the others of the group, whose
    /// work was rolled back with it, go into the next transaction.
    /// </summary>
    private async Task<List<GroupedWrite>> CommitGroupAsync(List<GroupedWrite> group)
    {
        Exception? failure = null;
        var again = new List<GroupedWrite>();
        var lost = false;
        DbConnection? db = null;
        DbTransaction? tx = null;
        try
        {
            db = await OpenWriterAsync(CancellationToken.None);
            tx = await db.BeginTransactionAsync();
            for (var i = 0; i < group.Count; i++)
            {
                var write = group[i];
                if (write.Cancellation.IsCancellationRequested) continue;
                await ExecuteAsync(db, tx, "SAVEPOINT grouped_write");
                if (await write.RunAsync(db, tx))
                {
                    await ExecuteAsync(db, tx, "RELEASE grouped_write");
                    continue;
                }
                if (TransactionLost(db))
                {
                    lost = true;
                    (db as ReusableSqliteConnection)?.DiscardOnRelease();
                    write.Complete(null);
                    again.AddRange(group.Where((w, at) => at != i && !w.Cancellation.IsCancellationRequested).Select(w => w.Reset()));
                    group.RemoveAll(w => !w.Cancellation.IsCancellationRequested);
                    break;
                }
                await ExecuteAsync(db, tx, "ROLLBACK TO grouped_write");
                await ExecuteAsync(db, tx, "RELEASE grouped_write");
            }
            if (!lost) await tx.CommitAsync();
        }
        catch (Exception e)
        {
            failure = e;
            again.Clear();
            try { tx?.Rollback(); }
            catch (Exception) { }
            // A connection whose transaction could not be ended is not given to the next group.
            (db as ReusableSqliteConnection)?.DiscardOnRelease();
        }
        finally
        {
            try { tx?.Dispose(); }
            catch (Exception) { }
            if (db is not null) await db.DisposeAsync();
        }
        foreach (var write in group) write.Complete(failure);
        return again;
    }

    /// <summary>True when SQLite rolled the whole transaction back by itself (it does after SQLITE_FULL, IOERR, NOMEM).</summary>
    private static bool TransactionLost(DbConnection db) =>
        db is SqliteConnection { Handle: { } handle } && SQLitePCL.raw.sqlite3_get_autocommit(handle) != 0;

    private static async Task ExecuteAsync(DbConnection db, DbTransaction tx, string sql)
    {
        DbCommand cmd;
        if (db is IPreparedCommands prepared) cmd = prepared.Command(sql);
        else
        {
            cmd = db.CreateCommand();
            cmd.CommandText = sql;
        }
        await using (cmd)
        {
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync();
        }
    }

    private abstract class GroupedWrite
    {
        public abstract CancellationToken Cancellation { get; }

        /// <summary>Runs the write in the group's transaction; false when it threw (its own error, kept for its caller).</summary>
        public abstract Task<bool> RunAsync(DbConnection db, DbTransaction tx);

        /// <summary>After the group's commit (or its failure): completes the caller's task.</summary>
        public abstract void Complete(Exception? groupFailure);

        /// <summary>Forgets a run whose transaction was lost, so that the write runs again; returns itself.</summary>
        public abstract GroupedWrite Reset();
    }

    private sealed class GroupedWrite<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct) : GroupedWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _ran;
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _done.Task;
        public override CancellationToken Cancellation => ct;

        public override async Task<bool> RunAsync(DbConnection db, DbTransaction tx)
        {
            _ran = true;
            try
            {
                _result = await work(db, tx);
                return true;
            }
            catch (Exception e)
            {
                _error = e;
                return false;
            }
        }

        public override GroupedWrite Reset()
        {
            _ran = false;
            _result = default;
            _error = null;
            return this;
        }

        public override void Complete(Exception? groupFailure)
        {
            if (_error is not null) _done.TrySetException(_error);
            else if (groupFailure is not null) _done.TrySetException(groupFailure);
            else if (!_ran) _done.TrySetCanceled(ct);
            else _done.TrySetResult(_result!);
        }
    }
}
