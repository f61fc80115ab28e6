using System.Data;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xos.Server.Auth;
using Xos.Server.Protocol;

namespace Xos.Server.Storage.Sqlite;

/// <summary>
/// The embedded metadata store: one SQLite database in WAL mode with full fsync on commit.
/// Write transactions start with BEGIN IMMEDIATE so concurrent writers queue instead of deadlocking.
/// </summary>
public sealed partial class SqliteMetadataStore : IMetadataStore
{
    private const string ObjectColumns =
        "o.id, o.key, o.version_id, o.delete_marker, o.size, o.etag, o.last_modified, o.content_type, o.headers, " +
        "o.storage_class, o.owner_id, o.blob_id, o.parts_count, o.acl, o.tags, o.encryption, o.is_latest, " +
        "o.checksum_algorithm, o.checksum_type, o.checksum, o.upload_id, o.lock_mode, o.lock_until, o.legal_hold";
    /// <summary>After the latest version of @key in @b is removed, the newest remaining one becomes the latest.</summary>
    private const string PromoteNewestSql =
        "UPDATE objects SET is_latest = 1 WHERE id = (SELECT id FROM objects WHERE bucket_id = @b AND key = @key ORDER BY seq DESC LIMIT 1)";
    private const string UploadColumns =
        "id, upload_id, bucket_id, key, initiated, owner_id, content_type, headers, storage_class, acl, tags, encryption, checksum_algorithm, checksum_type, lock_mode, lock_until, legal_hold";

    private readonly string _connectionString;

    public SqliteMetadataStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 60,
        }.ToString();
    }

    public bool IsSharedByProcesses => false;

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await ExecAsync(db, null, "PRAGMA journal_mode=WAL;", ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        await ExecAsync(db, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", ct);
        var found = await ScalarAsync(db, tx, "SELECT MAX(version) FROM schema_version", ct);
        var version = found is null or DBNull ? SqliteSchema.Version : Convert.ToInt32(found);
        if (version > SqliteSchema.Version)
            throw new InvalidOperationException($"The metadata database has schema version {version}, newer than this server ({SqliteSchema.Version}).");
        foreach (var (to, sql) in SqliteSchema.Migrations)
            if (version < to) await ExecAsync(db, tx, sql, ct);
        await ExecAsync(db, tx, SqliteSchema.Create, ct);
        await ExecAsync(db, tx, "DELETE FROM schema_version", ct);
        await ExecAsync(db, tx, $"INSERT INTO schema_version(version) VALUES ({SqliteSchema.Version})", ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// SQLite has one writer at a time; queueing this process's writers here avoids the busy-retry sleeps of
    /// contending connections. Correctness does not depend on it: every invariant is in the transaction itself.
    /// </summary>
    private readonly SemaphoreSlim _writerGate = new(1, 1);

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken ct)
    {
        await _writerGate.WaitAsync(ct);
        try
        {
            var db = new GatedConnection(_connectionString, _writerGate);
            await db.OpenAsync(ct);
            await PragmasAsync(db, ct);
            return db;
        }
        catch
        {
            _writerGate.Release();
            throw;
        }
    }

    /// <summary>A connection that lets the next writer in when it is disposed.</summary>
    private sealed class GatedConnection(string connectionString, SemaphoreSlim gate) : SqliteConnection(connectionString)
    {
        private int _released;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    private static async Task PragmasAsync(SqliteConnection db, CancellationToken ct)
    {
        await using var pragma = db.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL;";
        await pragma.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A connection for reading; writes go through <see cref="OpenWriterAsync"/>, which also sets full fsync.</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var db = new SqliteConnection(_connectionString);
        await db.OpenAsync(ct);
        return db;
    }

    private static SqliteCommand Command(SqliteConnection db, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    private static async Task<int> ExecAsync(SqliteConnection db, SqliteTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection db, SqliteTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        return await cmd.ExecuteScalarAsync(ct);
    }

    private static long Millis(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    private static DateTimeOffset FromMillis(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string? HeadersJson(IReadOnlyDictionary<string, string> headers) =>
        headers.Count == 0 ? null : JsonSerializer.Serialize(headers, StorageJson.Default.IReadOnlyDictionaryStringString);

    private static IReadOnlyDictionary<string, string> ParseHeaders(SqliteDataReader r, int i) =>
        r.IsDBNull(i) ? ObjectRecord.EmptyHeaders
                      : JsonSerializer.Deserialize(r.GetString(i), StorageJson.Default.DictionaryStringString)!;

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static bool IsForeignKeyViolation(SqliteException e) => e.SqliteErrorCode == 19 && e.SqliteExtendedErrorCode == 787;

    public void Dispose() => SqliteConnection.ClearAllPools();
}
