using System.Data.Common;
using Xos.Server.Caching;
using Xos.Server.Notifications;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// The rows of hot small objects kept in memory (<see cref="ObjectCache"/>), where this process sees every write to the
/// metadata: SQLite, whose database only this server writes but for `xos admin --data`, which says so through
/// <see cref="SqlDatabase.ChangesByOtherProcesses"/> (as must anyone who edits it by hand while the server runs). On PostgreSQL other gateways write the same rows and their
/// notifications arrive late, so every read reads its row there (the cache still spares the blob file).
/// </summary>
public sealed partial class SqlMetadataStore
{
    private ObjectCache? _objectRows;
    private bool _watchesOtherProcesses;
    private long _othersChanges;

    /// <summary>
    /// Keeps object rows in <paramref name="cache"/> when this engine allows it (see above). On SQLite the access keys
    /// found are then kept in memory too (as every gateway of PostgreSQL keeps them): this process makes every change to
    /// them but for `xos admin --data`'s, which it learns of the same way.
    /// </summary>
    public void UseObjectCache(ObjectCache cache)
    {
        if (_db.IsSharedByProcesses) return;
        _othersChanges = _db.ChangesByOtherProcesses();
        _watchesOtherProcesses = true;
        _objectRows = cache;
        _credentials.SetListening(true);
    }

    /// <summary>Empties what this process keeps when another process says it changed the database.</summary>
    private void CheckOtherProcesses()
    {
        if (!_watchesOtherProcesses) return;
        var changes = _db.ChangesByOtherProcesses();
        if (changes == Volatile.Read(ref _othersChanges)) return;
        // Emptied before the new value is recorded: a reader that sees the value has the emptying behind it.
        _credentials.Clear();
        _objectRows?.Clear();
        Volatile.Write(ref _othersChanges, changes);
    }

    /// <summary>The object rows to use for this read: none when disabled.</summary>
    private ObjectCache? ObjectRows()
    {
        if (_objectRows is not { } rows) return null;
        CheckOtherProcesses();
        return rows;
    }

    /// <summary>
    /// A write to the rows of <paramref name="key"/> (any version): from before its transaction begins until after it
    /// ends, no cached row of the key is served or kept, so none read before its commit is served after it. Every writer
    /// of the objects table goes through here, or clears all rows.
    /// </summary>
    private async Task<T> WriteObjectAsync<T>(string key, EventOrigin? events, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct,
        [System.Runtime.CompilerServices.CallerMemberName] string call = "")
    {
        _objectRows?.BeginWrite(key);
        try
        {
            return await WriteWithEventsAsync(events, work, ct, call);
        }
        finally
        {
            _objectRows?.EndWrite(key);
        }
    }
}
