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

    /// <summary>What each pooled connection runs once it is opened (see the constructor).</summary>
    public const string PlannerSettings = "SET enable_seqscan = off";

    public PostgresDatabase(string url)
    {
        var builder = ConnectionString(url);
        Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        // Every statement the store sends has an index made for it. On a small table whose few keys are rewritten over
        // and over (dead rows waiting for autovacuum), the generic plans of prepared statements would otherwise scan
        // the whole table: a tenth of the PostgreSQL time of a 4 KiB PUT, measured. Set once per physical connection
        // rather than as a startup option, which poolers such as PgBouncer refuse.
        _source = new NpgsqlDataSourceBuilder(builder.ConnectionString)
            .UsePhysicalConnectionInitializer(
                connection => { using var set = new NpgsqlCommand(PlannerSettings, connection); set.ExecuteNonQuery(); },
                async connection => { await using var set = new NpgsqlCommand(PlannerSettings, connection); await set.ExecuteNonQueryAsync(); })
            .Build();
        // TCP keepalive and a short ping timeout: a silent network cut must end the listener's trust within seconds.
        _listenSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builder.ConnectionString)
            { Pooling = false, ApplicationName = "xos listener", KeepAlive = 5, CommandTimeout = 3 });
    }

    /// <summary>
    /// postgres://user:password@host:port/database?option=value; the options are Npgsql's connection-string keywords
    /// (sslmode=require, "maximum pool size"=50, ...) and libpq's host, port, user, password and dbname. User, password
    /// and host are percent-decoded; a host that is a folder (postgres://xos@%2Fvar%2Frun%2Fpostgresql/xos, or
    /// ?host=/var/run/postgresql) is where the server's Unix socket is, and no host at all means Debian's socket folder.
    /// </summary>
    public static NpgsqlConnectionStringBuilder ConnectionString(string url)
    {
        var scheme = url.StartsWith("postgres://", StringComparison.Ordinal) ? "postgres://"
            : url.StartsWith("postgresql://", StringComparison.Ordinal) ? "postgresql://" : null;
        if (scheme is null || url.Contains(' '))
            throw new ArgumentException($"not a PostgreSQL URL (postgres://user:password@host:port/database): {Redact(url)}");
        var rest = url[scheme.Length..];
        if (rest.IndexOf('#') is var fragment and >= 0) rest = rest[..fragment];
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        var path = "";
        if (rest.IndexOf('/') is var slash and >= 0) (rest, path) = (rest[..slash], rest[(slash + 1)..]);
        var userInfo = "";
        if (rest.LastIndexOf('@') is var at and >= 0) (userInfo, rest) = (rest[..at], rest[(at + 1)..]);
        var host = rest;
        int? port = null;
        var colon = host.StartsWith('[') ? host.IndexOf("]:", StringComparison.Ordinal) + 1 : host.LastIndexOf(':');
        if (colon > 0 && colon == host.Length - 1) host = host[..colon];
        else if (colon > 0)
        {
            if (!int.TryParse(host[(colon + 1)..], out var p) || p is <= 0 or > 65535)
                throw new ArgumentException($"not a port in the PostgreSQL URL: {Redact(url)}");
            (host, port) = (host[..colon], p);
        }
        host = Uri.UnescapeDataString(host.Trim('[', ']'));
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host.Length > 0 ? host : "/var/run/postgresql",
            Port = port ?? 5432,
            Database = Uri.UnescapeDataString(path) is { Length: > 0 } db ? db : "postgres",
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
        var credentials = userInfo.Split(':', 2);
        if (credentials[0].Length > 0) builder.Username = Uri.UnescapeDataString(credentials[0]);
        if (credentials.Length == 2) builder.Password = Uri.UnescapeDataString(credentials[1]);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var name = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
            try
            {
                builder[name.ToLowerInvariant() switch { "user" => "Username", "dbname" => "Database", _ => name }] = value;
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"unknown PostgreSQL option in the metadata URL: {kv[0]} ({e.Message})");
            }
        }
        return builder;
    }

    /// <summary>The URL without its password, for messages.</summary>
    public static string Redact(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) is var s and >= 0 ? s + 3 : 0;
        // The password ends at the last '@' before the query, even when it holds a raw '/' the parser would stop at.
        var limit = url.IndexOf('?', start) is var q and >= 0 ? q : url.Length;
        var at = limit > start ? url.LastIndexOf('@', limit - 1, limit - start) : -1;
        var redacted = at > start && url.IndexOf(':', start, at - start) is var colon and >= 0
            ? url[..(colon + 1)] + "***" + url[at..]
            : url;
        return System.Text.RegularExpressions.Regex.Replace(redacted, "([?&]password=)[^&]*", "$1***", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
    }

    public override bool IsSharedByProcesses => true;
    public override string Description { get; }
    public override SqlSchema Schema => PostgresSchema.Current;

    public override async Task<DbConnection> OpenReaderAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    public override async Task<DbConnection> OpenWriterAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection db, CancellationToken ct) =>
        await db.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    private const long SchemaLockKey = 0x786f735f736368; // "xos_sch"

    public override async Task LockSchemaAsync(DbConnection db, DbTransaction tx, CancellationToken ct)
    {
        await using var cmd = SqlMetadataStore.Command(db, tx, AdvisoryLockSql, ("@k", SchemaLockKey));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override (string Sql, (string Name, object? Value)[] Args)? LockStatement(string scope, long id, byte[] name) =>
        (AdvisoryLockSql, [("@k", LockKey(scope, id, name))]);

    public override bool SendsBatches => true;

    private const string AdvisoryLockSql = "SELECT pg_advisory_xact_lock(@k)";

    /// <summary>A 64-bit hash of what is locked: two names that collide only make their writers take turns.</summary>
    private static long LockKey(string scope, long id, byte[] name)
    {
        var hash = new XxHash64();
        hash.Append(Encoding.UTF8.GetBytes(scope));
        Span<byte> idBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(idBytes, id);
        hash.Append(idBytes);
        hash.Append(name);
        return (long)hash.GetCurrentHashAsUInt64();
    }

    private static string Channel(SharedChange change) => change switch
    {
        SharedChange.Credentials => "xos_credentials",
        _ => "xos_buckets",
    };

    public override async Task NotifyChangedAsync(DbConnection db, DbTransaction tx, SharedChange change, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"NOTIFY {Channel(change)}";
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// One connection of its own LISTENs; it checks itself every few seconds, so a connection that died quietly (the
    /// server restarted, the network cut) stops the trust within that time, and listening resumes on a new one.
    /// </summary>
    public override async Task ListenForChangesAsync(Action<SharedChange> changed, Action<bool> listening, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenSource.OpenConnectionAsync(stop);
                connection.Notification += (_, e) =>
                {
                    foreach (var change in Enum.GetValues<SharedChange>())
                        if (e.Channel == Channel(change)) changed(change);
                };
                foreach (var change in Enum.GetValues<SharedChange>())
                {
                    await using var listen = new NpgsqlCommand($"LISTEN {Channel(change)}", connection);
                    await listen.ExecuteNonQueryAsync(stop);
                }
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
