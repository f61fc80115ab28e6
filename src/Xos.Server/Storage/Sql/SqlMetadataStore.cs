using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Sql;

/// <summary>
/// The metadata store, written once in SQL that SQLite and PostgreSQL both run; <see cref="SqlDatabase"/> supplies
/// connections, write transactions and the few things the two engines spell differently. Every invariant (one latest
/// version per key, no object without its bucket, one completion per upload, conditional writes) is enforced by the
/// database inside a transaction, so it holds across any number of server processes sharing the database.
/// </summary>
public sealed partial class SqlMetadataStore(SqlDatabase database) : IMetadataStore
{
    private const string ObjectColumns =
        "o.id, o.key, o.version_id, o.delete_marker, o.size, o.etag, o.last_modified, o.content_type, o.headers, " +
        "o.storage_class, o.owner_id, o.blob_id, o.parts_count, o.acl, o.tags, o.encryption, o.is_latest, " +
        "o.checksum_algorithm, o.checksum_type, o.checksum, o.upload_id, o.lock_mode, o.lock_until, o.legal_hold, o.inline_data";
    /// <summary>After the latest version of @key in @b is removed, the newest remaining one becomes the latest.</summary>
    private const string PromoteNewestSql =
        "UPDATE objects SET is_latest = 1 WHERE id = (SELECT id FROM objects WHERE bucket_id = @b AND key = @key ORDER BY seq DESC LIMIT 1)";
    private const string UploadColumns =
        "id, upload_id, bucket_id, key, initiated, owner_id, content_type, headers, storage_class, acl, tags, encryption, checksum_algorithm, checksum_type, lock_mode, lock_until, legal_hold";

    private readonly SqlDatabase _db = database;
    private readonly NotifiedCache<Auth.AccessKeyRecord> _credentials =
        new(key => key.Temporary is not { Grant.Expires: var expires } || expires >= DateTimeOffset.UtcNow);
    private readonly NotifiedCache<BucketRecord> _buckets = new();

    public bool IsSharedByProcesses => _db.IsSharedByProcesses;

    /// <summary>Where the metadata lives, for the start-up banner (never with a password).</summary>
    public string Description => _db.Description;

    /// <summary>
    /// Brings the schema to this server's version, each migration applied once even when several servers start
    /// together; a database written by a newer server is refused rather than misread.
    /// </summary>
    public async Task InitializeAsync(CancellationToken ct, bool migrate = true)
    {
        await using var db = await _db.OpenWriterAsync(ct);
        await _db.PrepareAsync(db, ct);
        await using var tx = await _db.BeginWriteAsync(db, ct);
        await _db.LockSchemaAsync(db, tx, ct);
        var schema = _db.Schema;
        await ExecAsync(db, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", ct);
        var found = await ScalarAsync(db, tx, "SELECT MAX(version) FROM schema_version", ct);
        var version = found is null or DBNull ? schema.Version : Convert.ToInt32(found);
        if (version > schema.Version)
            throw new SchemaTooNewException($"the metadata database has schema version {version}, newer than this server's ({schema.Version}): run the newer xos, or restore a backup made before the upgrade");
        if (!migrate && version < schema.Version)
            throw new SchemaTooOldException($"the metadata database has schema version {version}, older than this xos ({schema.Version}): stop the server that uses it and start this version's server, which upgrades it (xos admin does not upgrade a database that a running server of the older version may be using)");
        foreach (var (to, sql) in schema.Migrations)
            if (version < to) await ExecAsync(db, tx, sql, ct);
        await ExecAsync(db, tx, schema.Create, ct);
        await ExecAsync(db, tx, "DELETE FROM schema_version", ct);
        await ExecAsync(db, tx, $"INSERT INTO schema_version(version) VALUES ({schema.Version})", ct);
        await tx.CommitAsync(ct);
    }

    public void DiscardPooledConnections() => _db.DiscardPooledConnections();

    private Task<DbConnection> OpenWriterAsync(CancellationToken ct, [CallerMemberName] string call = "")
    {
        var started = Stopwatch.GetTimestamp();
        return TimedAsync(_db.OpenWriterAsync(ct), call, write: true, started);
    }

    private Task<DbConnection> OpenAsync(CancellationToken ct, [CallerMemberName] string call = "")
    {
        var started = Stopwatch.GetTimestamp();
        return TimedAsync(_db.OpenReaderAsync(ct), call, write: false, started);
    }

    /// <summary>
    /// Runs <paramref name="work"/> as one write transaction of the engine, committed when it returns and rolled back
    /// when it throws. The engine may commit it together with concurrent writes (SQLite's group commit), so the work
    /// reads and writes only through the connection and transaction it is given.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "")
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await _db.RunWriteAsync(work, ct);
        }
        finally
        {
            Hosting.ServerMetrics.StoreCallFinished(call, write: true, started);
        }
    }

    private Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken ct, [CallerMemberName] string call = "") =>
        WriteAsync<bool>(async (db, tx) =>
        {
            await work(db, tx);
            return true;
        }, ct, call);

    /// <summary>
    /// A write to records other processes may cache (<paramref name="change"/>): every process sharing the database is
    /// told when the transaction commits, and this one forgets what it cached at once.
    /// </summary>
    private async Task<T> WriteSharedAsync<T>(SharedChange change, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct,
        [CallerMemberName] string call = "")
    {
        // Cached object rows carry their bucket's record: none is served while a bucket's settings may be changing.
        var rows = change == SharedChange.Credentials ? null : _objectRows;
        rows?.BeginClear();
        try
        {
            return await WriteAsync<T>(async (db, tx) =>
            {
                var result = await work(db, tx);
                await _db.NotifyChangedAsync(db, tx, change, ct);
                return result;
            }, ct, call);
        }
        finally
        {
            Forget(change); // drops the object rows too (rows is set only for changes that are not credentials)
            rows?.EndClear();
            // A process that keeps nothing in memory (`xos admin --data`) tells the one that does.
            if (!_watchesOtherProcesses) _db.AnnounceChange();
        }
    }

    private Task WriteSharedAsync(SharedChange change, Func<DbConnection, DbTransaction, Task> work, CancellationToken ct,
        [CallerMemberName] string call = "") =>
        WriteSharedAsync<bool>(change, async (db, tx) =>
        {
            await work(db, tx);
            return true;
        }, ct, call);

    /// <summary>Empties the cache of what <paramref name="change"/> names.</summary>
    private void Forget(SharedChange change)
    {
        if (change == SharedChange.Credentials) _credentials.Clear();
        else
        {
            _buckets.Clear();
            _objectRows?.Clear();
        }
    }

    /// <summary>
    /// The database says the bucket is gone (no row, or a foreign key with nothing to point at): whatever this process
    /// cached of it is dropped, should the notification of its deletion not have arrived (yet).
    /// </summary>
    private S3Exception BucketGone()
    {
        _buckets.Clear();
        _objectRows?.Clear();
        return S3Errors.NoSuchBucket("");
    }

    /// <summary>A store call lasts from asking for its connection (a writer may wait for the write lock) until it closes it.</summary>
    private static async Task<DbConnection> TimedAsync(Task<DbConnection> opening, string call, bool write, long started)
    {
        var db = await opening;
        // Unsubscribes itself: a connection an engine reuses would otherwise gather one handler per call.
        System.Data.StateChangeEventHandler? closed = null;
        closed = (_, e) =>
        {
            if (e.CurrentState != System.Data.ConnectionState.Closed) return;
            db.StateChange -= closed;
            Hosting.ServerMetrics.StoreCallFinished(call, write, started);
        };
        db.StateChange += closed;
        return db;
    }

    internal static DbCommand Command(DbConnection db, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        DbCommand cmd;
        if (db is IPreparedCommands prepared) cmd = prepared.Command(sql);
        else
        {
            cmd = db.CreateCommand();
            cmd.CommandText = sql;
        }
        cmd.Transaction = tx;
        foreach (var (name, value) in args) AddParameter(cmd, name, value);
        return cmd;
    }

    private static void AddParameter(DbCommand cmd, string name, object? value) => cmd.Parameters.Add(Parameter(cmd.CreateParameter(), name, value));

    /// <summary>A parameter of a command or batch command: a null value is SQL NULL.</summary>
    internal static DbParameter Parameter(DbParameter p, string name, object? value)
    {
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        return p;
    }

    private static async Task<int> ExecAsync(DbConnection db, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(DbConnection db, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    /// <summary>Serialises, across processes, the writers of one object key for the rest of the transaction.</summary>
    private Task LockKeyAsync(DbConnection db, DbTransaction tx, long bucketId, string key, CancellationToken ct) =>
        _db.LockAsync(db, tx, "object", bucketId, KeyRange.Bytes(key), ct);

    /// <summary>Serialises the part writes, completion and abort of one multipart upload.</summary>
    private Task LockUploadAsync(DbConnection db, DbTransaction tx, long uploadPk, CancellationToken ct) =>
        _db.LockAsync(db, tx, "upload", uploadPk, [], ct);

    private static long Millis(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    private static DateTimeOffset FromMillis(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string? HeadersJson(IReadOnlyDictionary<string, string> headers) =>
        headers.Count == 0 ? null : JsonSerializer.Serialize(headers, StorageJson.Default.IReadOnlyDictionaryStringString);

    private static IReadOnlyDictionary<string, string> ParseHeaders(DbDataReader r, int i) =>
        r.IsDBNull(i) ? ObjectRecord.EmptyHeaders
                      : JsonSerializer.Deserialize(r.GetString(i), StorageJson.Default.DictionaryStringString)!;

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public void Dispose() => _db.Dispose();
}

/// <summary>The database was written by a newer server; it is left untouched.</summary>
public sealed class SchemaTooNewException(string message) : Exception(message);

/// <summary>A database of an older schema, which only a server upgrades (<see cref="SqlMetadataStore.InitializeAsync"/>).</summary>
public sealed class SchemaTooOldException(string message) : Exception(message);
