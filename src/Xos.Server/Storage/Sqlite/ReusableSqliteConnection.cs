using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Xos.Server.Storage.Sql;

namespace Xos.Server.Storage.Sqlite;

/// <summary>
/// A SQLite connection that stays open between store calls and keeps each statement it ran prepared. Parsing and
/// planning a statement costs more than running the point lookups the store makes, and Microsoft.Data.Sqlite keeps
/// prepared statements only as long as their command object lives; so commands are kept per connection, by SQL text.
/// Disposing the connection hands it back to its <see cref="SqliteConnectionPool"/> instead of closing it.
/// </summary>
internal sealed class ReusableSqliteConnection(string connectionString, SqliteConnectionPool pool) : SqliteConnection(connectionString), IPreparedCommands
{
    private readonly Dictionary<string, ReusedCommand> _commands = new(StringComparer.Ordinal);
    private int _leased;
    private Action? _released;
    private bool _discard;

    /// <summary>Connections of an older generation than the pool's are closed when they come back.</summary>
    internal int Generation { get; init; }

    public DbCommand Command(string sql)
    {
        if (_commands.TryGetValue(sql, out var cached))
        {
            // The same statement may be asked for again while its reader is still open (a nested query): that one call
            // gets a command of its own.
            if (cached.InUse) return new SqliteCommand(sql, this);
            cached.InUse = true;
            return cached;
        }
        var command = new ReusedCommand(sql, this) { InUse = true };
        _commands[sql] = command;
        return command;
    }

    /// <summary>Closes the connection for good when it is given back (its state is in doubt).</summary>
    internal void DiscardOnRelease() => _discard = true;

    internal void Lease(Action? released)
    {
        _released = released;
        Volatile.Write(ref _leased, 1);
    }

    /// <summary>Ends the caller's use: observers of <see cref="DbConnection.StateChange"/> see it close, the pool gets it back.</summary>
    private void Release()
    {
        if (Interlocked.Exchange(ref _leased, 0) == 0) return;
        var released = _released;
        _released = null;
        try
        {
            OnStateChange(new StateChangeEventArgs(ConnectionState.Open, ConnectionState.Closed));
            if (_discard) Destroy();
            else pool.Return(this);
        }
        finally
        {
            // The writer's gate opens whatever happened, or every later write would wait for ever.
            released?.Invoke();
        }
    }

    public override void Close() => Release();

    protected override void Dispose(bool disposing)
    {
        if (disposing) Release();
    }

    public override ValueTask DisposeAsync()
    {
        Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>Really closes the connection and finalizes its statements.</summary>
    internal void Destroy()
    {
        foreach (var command in _commands.Values) command.Destroy();
        _commands.Clear();
        base.Close();
        base.Dispose(true);
    }

    /// <summary>A command whose Dispose only forgets the call's parameters, so its prepared statements survive.</summary>
    private sealed class ReusedCommand(string sql, SqliteConnection connection) : SqliteCommand(sql, connection)
    {
        public bool InUse;

        protected override void Dispose(bool disposing)
        {
            if (!disposing) return;
            Parameters.Clear();
            Transaction = null;
            InUse = false;
        }

        public void Destroy() => base.Dispose(true);
    }
}

/// <summary>
/// The open connections of one database. Readers are taken and given back freely; the single writer is guarded by
/// the caller's gate. At most <see cref="MaxIdle"/> idle readers are kept, more are closed when given back.
/// </summary>
internal sealed class SqliteConnectionPool(string connectionString, Func<SqliteConnection, CancellationToken, Task> initialize) : IDisposable
{
    private const int MaxIdle = 32;
    private readonly ConcurrentBag<ReusableSqliteConnection> _idle = new();
    private int _generation;

    /// <summary>An open connection; <paramref name="released"/> runs when the caller disposes it.</summary>
    public async Task<ReusableSqliteConnection> TakeAsync(CancellationToken ct, Action? released = null)
    {
        ReusableSqliteConnection? connection;
        // A connection of an older generation may have been given back while Clear ran: it is closed, not used.
        while (_idle.TryTake(out connection) && connection.Generation != Volatile.Read(ref _generation)) connection.Destroy();
        if (connection is null)
        {
            connection = new ReusableSqliteConnection(connectionString, this) { Generation = Volatile.Read(ref _generation) };
            try
            {
                await connection.OpenAsync(ct);
                await initialize(connection, ct);
            }
            catch
            {
                connection.Destroy();
                throw;
            }
        }
        connection.Lease(released);
        return connection;
    }

    public void Return(ReusableSqliteConnection connection)
    {
        if (connection.Generation != Volatile.Read(ref _generation) || _idle.Count >= MaxIdle) connection.Destroy();
        else _idle.Add(connection);
    }

    /// <summary>Closes every idle connection; connections in use are closed when they come back.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        while (_idle.TryTake(out var connection)) connection.Destroy();
    }

    public void Dispose() => Clear();
}
