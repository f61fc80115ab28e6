using System.Collections.Concurrent;
using System.Data.Common;
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
            if (group.Count > 0) await CommitGroupAsync(group);
            Volatile.Write(ref _groupCommitting, 0);
            // A write queued after the last dequeue and before the flag was cleared started no committer: take it on.
            if (_groupQueue.IsEmpty || Interlocked.CompareExchange(ref _groupCommitting, 1, 0) != 0) return;
        }
    }

    private async Task CommitGroupAsync(List<GroupedWrite> group)
    {
        Exception? failure = null;
        DbConnection? db = null;
        DbTransaction? tx = null;
        try
        {
            db = await OpenWriterAsync(CancellationToken.None);
            tx = await db.BeginTransactionAsync();
            foreach (var write in group)
            {
                if (write.Cancellation.IsCancellationRequested) continue;
                await ExecuteAsync(db, tx, "SAVEPOINT grouped_write");
                if (await write.RunAsync(db, tx)) await ExecuteAsync(db, tx, "RELEASE grouped_write");
                else
                {
                    // If even the rollback fails, the transaction is lost: every write of the group fails with that error.
                    await ExecuteAsync(db, tx, "ROLLBACK TO grouped_write");
                    await ExecuteAsync(db, tx, "RELEASE grouped_write");
                }
            }
            await tx.CommitAsync();
        }
        catch (Exception e)
        {
            failure = e;
            // The error that ended the transaction is what the writers are told (a full disk is answered 507), not a
            // failure of the rollback after it, which SQLite may already have done by itself.
            try { tx?.Rollback(); }
            catch (Exception) { }
        }
        finally
        {
            try { tx?.Dispose(); }
            catch (Exception) { }
            if (db is not null) await db.DisposeAsync();
        }
        foreach (var write in group) write.Complete(failure);
    }

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

        public override void Complete(Exception? groupFailure)
        {
            if (_error is not null) _done.TrySetException(_error);
            else if (groupFailure is not null) _done.TrySetException(groupFailure);
            else if (!_ran) _done.TrySetCanceled(ct);
            else _done.TrySetResult(_result!);
        }
    }
}
