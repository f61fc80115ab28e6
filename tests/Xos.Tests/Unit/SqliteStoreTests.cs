using Xos.Server.Storage.Sql;
using Xos.Server.Storage.Sqlite;

namespace Xos.Tests.Unit;

/// <summary>Store behaviour that no client can reach directly.</summary>
public sealed class SqliteStoreTests
{
    [Fact]
    public async Task ExpiredSessionsAreDeletedAndLiveOnesKept()
    {
        var dir = Directory.CreateTempSubdirectory("xos-store-").FullName;
        try
        {
            using var store = new SqlMetadataStore(new SqliteDatabase(Path.Combine(dir, "metadata.db")));
            await store.InitializeAsync(default);
            await store.EnsureUserAsync("user-1", "alice", default);
            await store.CreateSessionAsync("XOSTOLD", "secret", "00", "user-1", "role", "s", null, DateTimeOffset.UtcNow.AddHours(-2), default);
            await store.CreateSessionAsync("XOSTLIVE", "secret", "00", "user-1", "role", "s", null, DateTimeOffset.UtcNow.AddHours(1), default);
            Assert.Equal(1, await store.DeleteExpiredSessionsAsync(DateTimeOffset.UtcNow.AddHours(-1), default));
            Assert.Null(await store.FindAccessKeyAsync("XOSTOLD", default));
            var live = await store.FindAccessKeyAsync("XOSTLIVE", default);
            Assert.NotNull(live?.Temporary);
            // The role does not exist: the session is granted nothing rather than everything.
            Assert.Contains("\"Deny\"", live!.Temporary!.Grant.RolePolicy);

            // A session without a role (GetSessionToken) has no policy of its own.
            await store.CreateSessionAsync("XOSTUSER", "secret", "00", "user-1", "", "alice", null, DateTimeOffset.UtcNow.AddHours(1), default);
            var grant = (await store.FindAccessKeyAsync("XOSTUSER", default))!.Temporary!.Grant;
            Assert.Equal((false, null, null), (grant.IsRoleSession, grant.RolePolicy, grant.SessionPolicy));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ADatabaseOfSchemaVersion1IsMigratedKeepingItsVersionsInOrder()
    {
        var dir = Directory.CreateTempSubdirectory("xos-store-").FullName;
        var path = Path.Combine(dir, "metadata.db");
        try
        {
            await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
            {
                await db.OpenAsync();
                var cmd = db.CreateCommand();
                cmd.CommandText = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Unit", "Fixtures", "metadata-schema-v1.sql")) + """
                    INSERT INTO schema_version(version) VALUES (1);
                    INSERT INTO buckets(id, name, owner_id, created, location, versioning) VALUES (1, 'old', 'owner', 0, '', 'Enabled');
                    INSERT INTO objects(id, bucket_id, key, version_id, is_latest, delete_marker, size, etag, last_modified, content_type,
                        storage_class, owner_id, blob_id, parts_count) VALUES
                        (1, 1, CAST('k' AS BLOB), '0123456789abcdef0123456789abcdef', 0, 0, 1, 'e1', 0, 'text/plain', 'STANDARD', 'owner', 'b1', 0),
                        (2, 1, CAST('k' AS BLOB), 'fedcba9876543210fedcba9876543210', 1, 0, 2, 'e2', 0, 'text/plain', 'STANDARD', 'owner', 'b2', 0);
                    """;
                await cmd.ExecuteNonQueryAsync();
            }
            using var store = new SqlMetadataStore(new SqliteDatabase(path));
            await store.InitializeAsync(default);
            var bucket = (await store.GetBucketAsync("old", default))!;
            var versions = await store.ListObjectVersionsAsync(bucket.Id, "", null, null, false, 10, default);
            Assert.Equal(["fedcba9876543210fedcba9876543210", "0123456789abcdef0123456789abcdef"], versions.Select(v => v.VersionId));
            // A version written after the migration is the newest, and deleting the latest promotes the next newest.
            await store.PutObjectAsync(new Xos.Server.Storage.ObjectRecord
            {
                BucketId = bucket.Id, Key = "k", VersionId = Xos.Server.Storage.VersionIds.New(), Size = 3, ETag = "e3", BlobId = "b3", OwnerId = "owner",
            }, null, default);
            versions = await store.ListObjectVersionsAsync(bucket.Id, "", null, null, false, 10, default);
            Assert.Equal(["e3", "e2", "e1"], versions.Select(v => v.ETag));
            await store.DeleteObjectVersionAsync(bucket.Id, "k", versions[0].VersionId, null, default);
            Assert.Equal("e2", (await store.GetObjectAsync(bucket.Id, "k", null, default))!.ETag);
            // Paging continues after a marker whose version was deleted in between.
            var page = await store.ListObjectVersionsAsync(bucket.Id, "", "k", versions[0].VersionId, false, 10, default);
            Assert.Equal(["e2", "e1"], page.Select(v => v.ETag));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}

public sealed class PostgresUrlTests
{
    [Fact]
    public void AUrlBecomesNpgsqlSettingsWithDecodedCredentialsAndOptions()
    {
        var b = Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString("postgres://xos%40media:p%3Ass@db.example:6543/meta?sslmode=require&Maximum%20Pool%20Size=20");
        Assert.Equal(("db.example", 6543, "meta", "xos@media", "p:ss"), (b.Host, b.Port, b.Database, b.Username, b.Password));
        Assert.Equal(Npgsql.SslMode.Require, b.SslMode);
        Assert.Equal(20, b.MaxPoolSize);
        var d = Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString("postgresql://localhost/xos");
        Assert.Equal(5432, d.Port);
    }

    [Theory]
    [InlineData("postgres://xos@/meta?host=/tmp/pgsock")]
    [InlineData("postgres:///meta?host=%2Ftmp%2Fpgsock&user=xos")]
    [InlineData("postgres://xos@%2Ftmp%2Fpgsock:/meta#ignored")]
    public void APostgresOnTheSameMachineIsReachedThroughItsUnixSocket(string url)
    {
        // libpq's spellings: a host that is a folder is the folder of the server's socket.
        var b = Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString(url);
        Assert.Equal(("/tmp/pgsock", 5432, "meta", "xos"), (b.Host, b.Port, b.Database, b.Username));
        // No host at all is Debian's socket folder, as for libpq there.
        Assert.Equal("/var/run/postgresql", Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString("postgres://xos@/meta").Host);
        var v6 = Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString("postgres://xos:p%40ss@[::1]:6543/meta");
        Assert.Equal(("::1", 6543, "p@ss"), (v6.Host, v6.Port, v6.Password));
    }

    [Theory]
    [InlineData("mysql://h/db")]
    [InlineData("not a url")]
    [InlineData("postgres://h/db?no-such-option=1")]
    [InlineData("postgres://xos:secret@h:port/db")]
    [InlineData("/var/lib/xos/metadata.db")]
    [InlineData("?x")]
    public void AnythingElseIsRefusedWithoutThePassword(string url)
    {
        var e = Assert.Throws<ArgumentException>(() => Xos.Server.Storage.Postgres.PostgresDatabase.ConnectionString(url));
        Assert.DoesNotContain("secret", e.Message);
        Assert.Equal("postgres://xos:***@h/db", Xos.Server.Storage.Postgres.PostgresDatabase.Redact("postgres://xos:secret@h/db"));
        Assert.Equal("postgres://xos:***@%2Frun/db?password=***&sslmode=require",
            Xos.Server.Storage.Postgres.PostgresDatabase.Redact("postgres://xos:secret@%2Frun/db?password=secret&sslmode=require"));
        Assert.Equal("postgres://xos:***@h/db", Xos.Server.Storage.Postgres.PostgresDatabase.Redact("postgres://xos:se/cr@t@h/db"));
        Assert.Equal("/not/a/url", Xos.Server.Storage.Postgres.PostgresDatabase.Redact("/not/a/url"));
    }
}
