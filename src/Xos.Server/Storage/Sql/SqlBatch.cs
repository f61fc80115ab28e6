using System.Data.Common;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// Statements of one store call that do not depend on each other's answers, sent together: in one round trip where
/// the engine takes batches (PostgreSQL, <see cref="SqlDatabase.SendsBatches"/>), one after another where a statement
/// costs no round trip (SQLite, in process). They run in order in the caller's transaction, each seeing what the
/// earlier ones did. Every statement returns rows (a write says RETURNING), so each has a result set of its own and
/// the two ways of running them read alike.
/// </summary>
public sealed class SqlBatch
{
    private readonly List<(string Sql, (string Name, object? Value)[] Args)> _statements = [];

    /// <summary>Adds a statement; returns its index, the one <see cref="RunAsync"/> passes with its rows.</summary>
    public int Add(string sql, params (string Name, object? Value)[] args)
    {
        _statements.Add((sql, args));
        return _statements.Count - 1;
    }

    /// <summary>
    /// Runs the statements and calls <paramref name="read"/> with each one's index and its result, in order. When it
    /// throws, the statements after it may or may not have run: the caller's transaction is rolled back either way.
    /// </summary>
    public async Task RunAsync(SqlDatabase engine, DbConnection db, DbTransaction? tx, Func<int, DbDataReader, Task> read, CancellationToken ct)
    {
        if (_statements.Count == 0) return;
        if (engine.SendsBatches && db.CanCreateBatch)
        {
            await using var batch = db.CreateBatch();
            batch.Transaction = tx;
            foreach (var (sql, args) in _statements)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = sql;
                foreach (var (name, value) in args) command.Parameters.Add(SqlMetadataStore.Parameter(command.CreateParameter(), name, value));
                batch.BatchCommands.Add(command);
            }
            await using var r = await batch.ExecuteReaderAsync(ct);
            for (var i = 0; ; i++)
            {
                await read(i, r);
                if (!await r.NextResultAsync(ct))
                {
                    if (i != _statements.Count - 1) throw new InvalidOperationException($"a batched statement returned no rows: {_statements[i + 1].Sql}");
                    return;
                }
            }
        }
        for (var i = 0; i < _statements.Count; i++)
        {
            await using var cmd = SqlMetadataStore.Command(db, tx, _statements[i].Sql, _statements[i].Args);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await read(i, r);
            while (await r.ReadAsync(ct)) { }
        }
    }
}
