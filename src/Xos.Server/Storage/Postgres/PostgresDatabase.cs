using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.IO.Hashing;
using System.Text;
using Npgsql;
using Xos.Server.Storage.Sql;

namespace Xos.Server.Storage.Postgres;

/// <summary>
/// PostgreSQL under the shared store, for several gateways on one database. Transactions run at READ COMMITTED;
/// what SQLite gets from its single writer, this gets from transaction-scoped advisory locks per object key and per
/// multipart upload, so writers of different keys never wait for each other and never need retrying.
/// </summary>
public sealed class PostgresDatabase : SqlDatabase
{
    private readonly NpgsqlDataSource _source;
    /// <summary>The LISTEN connection, never pooled: a pooled one would keep listening for whoever takes it next.</summary>
    private readonly NpgsqlDataSource _listenSource;

    public PostgresDatabase(string url)
    {
        var builder = ConnectionString(url);
        Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        _source = NpgsqlDataSource.Create(builder);
        // TCP keepalive and a short ping timeout: a silent network cut must end the listener's trust within seconds.
        _listenSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builder.ConnectionString)
            { Pooling = false, ApplicationName = "xos listener", KeepAlive = 5, CommandTimeout = 3 });
    }

    /// <summary>
    /// postgres://user:password@host:port/database?option=value; the options are Npgsql's connection-string keywords
    /// (sslmode=require, "maximum pool size"=50, ...). User and password are percent-decoded.
    /// </summary>
    public static NpgsqlConnectionStringBuilder ConnectionString(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new ArgumentException($"not a PostgreSQL URL (postgres://user:password@host:port/database): {Redact(url)}");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
            // Writes of one object are serialised by advisory locks while they wait on fsync: a request's one
            // connection is held only for its own statements, so a pool this size serves thousands of clients.
            MaxPoolSize = 64,
            ApplicationName = "xos",
            // The store keeps no session state (its locks are transaction-scoped), so a connection returned to the pool
            // needs no DISCARD ALL round trip, and the statements it keeps running are prepared once per connection.
            NoResetOnClose = true,
            MaxAutoPrepare = 256,
            AutoPrepareMinUsages = 2,
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length == 2) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            try
            {
                builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"unknown PostgreSQL option in the metadata URL: {kv[0]} ({e.Message})");
            }
        }
        return builder;
    }

    /// <summary>The URL without its password, for messages.</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':')
            ? url.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***", StringComparison.Ordinal)
            : url;

    public override bool IsSharedByProcesses => true;
    public override string Description { get; }
    public override SqlSchema Schema => PostgresSchema.Current;

    public override async Task<DbConnection> OpenReaderAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    public override async Task<DbConnection> OpenWriterAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection db, CancellationToken ct) =>
        await db.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    private const long SchemaLockKey = 0x786f735f736368; // "xos_sch"

    public override Task LockSchemaAsync(DbConnection db, DbTransaction tx, CancellationToken ct) => AdvisoryLockAsync(db, tx, SchemaLockKey, ct);

    public override Task LockAsync(DbConnection db, DbTransaction tx, string scope, long id, byte[] name, CancellationToken ct)
    {
        // A 64-bit hash of what is locked: two names that collide only make their writers take turns.
        var hash = new XxHash64();
        hash.Append(Encoding.UTF8.GetBytes(scope));
        Span<byte> idBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(idBytes, id);
        hash.Append(idBytes);
        hash.Append(name);
        return AdvisoryLockAsync(db, tx, (long)hash.GetCurrentHashAsUInt64(), ct);
    }

    private static async Task AdvisoryLockAsync(DbConnection db, DbTransaction tx, long key, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT pg_advisory_xact_lock(@k)";
        var p = cmd.CreateParameter();
        p.ParameterName = "@k";
        p.Value = key;
        cmd.Parameters.Add(p);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private const string CredentialsChannel = "xos_credentials";

    public override async Task NotifyCredentialsChangedAsync(DbConnection db, DbTransaction tx, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"NOTIFY {CredentialsChannel}";
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// One connection of its own LISTENs; it checks itself every few seconds, so a connection that died quietly (the
    /// server restarted, the network cut) stops the trust within that time, and listening resumes on a new one.
    /// </summary>
    public override async Task ListenForCredentialChangesAsync(Action changed, Action<bool> listening, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenSource.OpenConnectionAsync(stop);
                connection.Notification += (_, _) => changed();
                await using (var listen = new NpgsqlCommand($"LISTEN {CredentialsChannel}", connection)) await listen.ExecuteNonQueryAsync(stop);
                listening(true);
                while (true)
                {
                    if (await connection.WaitAsync(TimeSpan.FromSeconds(2), stop)) continue;
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    await ping.ExecuteScalarAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                listening(false);
                try { await Task.Delay(TimeSpan.FromSeconds(1), stop); }
                catch (OperationCanceledException) { break; }
            }
        }
        listening(false);
    }

    public override string JsonObjectAggregate(string name, string value) => $"json_object_agg({name}, {value})";

    public override bool IsForeignKeyViolation(DbException e) => e is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };

    public override void DiscardPooledConnections() => _source.Clear();

    public override void Dispose()
    {
        _source.Dispose();
        _listenSource.Dispose();
    }
}
