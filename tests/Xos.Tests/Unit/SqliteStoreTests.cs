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
            using var store = new SqliteMetadataStore(Path.Combine(dir, "metadata.db"));
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
}
