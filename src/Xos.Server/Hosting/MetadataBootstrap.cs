using Xos.Server.Auth;
using Xos.Server.Storage;
using Xos.Server.Storage.Sql;
using Xos.Server.Storage.Sqlite;

namespace Xos.Server.Hosting;

/// <summary>
/// Opens the data folder's metadata store and sees that the root account exists. Only the server settles root's key,
/// and changes it only when told to (XOS_ROOT_* naming another key); administration never touches it.
/// </summary>
public static class MetadataBootstrap
{
    private static async Task<(IMetadataStore Store, RootCredentials.Stored Identity)> OpenStoreAsync(ServerOptions options, CancellationToken ct,
        bool migrate = true)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var identity = RootCredentials.LoadIdentity(options);
        var store = OpenStore(options);
        try
        {
            await store.InitializeAsync(ct, migrate);
            identity = await MatchDatabaseIdentityAsync(store, identity, options, ct);
            try
            {
                await store.EnsureUserAsync(identity.UserId, RootCredentials.DisplayName, ct);
            }
            catch (System.Data.Common.DbException)
            {
                // Another folder's server may have created its root at the same moment.
                var matched = await MatchDatabaseIdentityAsync(store, identity, options, ct);
                if (matched == identity) throw;
                identity = matched;
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return (store, identity);
    }

    /// <summary>
    /// A shared database serves one data folder (its blobs and root identity): a gateway started on another folder
    /// would answer with objects whose blobs it cannot find, so it is refused, in one line. With blobs in RADOS
    /// (--blobs rados://) the folders hold no blobs and every gateway has its own: a folder new to the database takes
    /// the database's root identity (kept in its root-credentials.json); the pool's owner mark
    /// (<see cref="Storage.Rados.RadosBlobStore.ClaimFor"/>) keeps a database from using another's blobs.
    /// </summary>
    private static async Task<RootCredentials.Stored> MatchDatabaseIdentityAsync(IMetadataStore store, RootCredentials.Stored identity, ServerOptions options, CancellationToken ct)
    {
        if (await store.GetUserByNameAsync(RootCredentials.DisplayName, ct) is not { } root || root.Id == identity.UserId) return identity;
        if (store.IsSharedByProcesses && Storage.Rados.RadosBlobsUrl.IsRados(options.BlobsUrl))
        {
            var adopted = new RootCredentials.Stored(root.Id, null, null);
            RootCredentials.SaveIdentity(options, adopted);
            return adopted;
        }
        throw new InvalidOperationException(
                $"the metadata database {Storage.Postgres.PostgresDatabase.Redact(options.MetadataUrl ?? "")} belongs to another data folder " +
                $"(its root account is {root.Id[..12]}..., this folder's {RootCredentials.FileName} names {identity.UserId[..12]}...): " +
                "every gateway of one database must use the same data folder (the shared blob folder, with its master key and root identity)");
    }

    /// <summary>The PostgreSQL database --metadata names, else the data folder's SQLite database.</summary>
    public static SqlMetadataStore OpenStore(ServerOptions options) =>
        new(options.MetadataUrl is { } url
            ? new Storage.Postgres.PostgresDatabase(url)
            : new SqliteDatabase(Path.Combine(options.DataDirectory, "metadata.db")));

    /// <summary>
    /// For `xos server`: root's key is XOS_ROOT_*'s when set (any other root key stops working: that is how it is
    /// rotated), else the one the store holds, else the one kept in root-credentials.json, else a new one.
    /// </summary>
    public static async Task<(IMetadataStore Store, RootCredentials Root)> OpenForServerAsync(ServerOptions options, CancellationToken ct)
    {
        var (store, identity) = await OpenStoreAsync(options, ct);
        Iam.AdministratorNamespace.AccountId = identity.UserId;
        RootCredentials root;
        if (options.RootAccessKey is { } envKey && options.RootSecretKey is { } envSecret)
        {
            root = new RootCredentials(identity.UserId, envKey, envSecret, FromEnvironment: true);
            await store.PutAccessKeyAsync(new AccessKeyRecord(envKey, envSecret, identity.UserId, RootCredentials.DisplayName), ct);
            foreach (var old in await store.ListAccessKeysAsync(identity.UserId, ct))
                if (old.AccessKey != envKey) await store.DeleteAccessKeyAsync(old.AccessKey, ct);
            return (store, root);
        }
        var held = await store.ListAccessKeysAsync(identity.UserId, ct);
        if ((held.FirstOrDefault(k => k.AccessKey == identity.AccessKey) ?? held.FirstOrDefault()) is { } existing)
            return (store, new RootCredentials(identity.UserId, existing.AccessKey, existing.SecretKey, FromEnvironment: false));
        var (accessKey, secretKey) = identity is { AccessKey: { } ak, SecretKey: { } sk }
            ? (ak, sk)
            : (RootCredentials.NewAccessKey(), RootCredentials.NewSecretKey());
        if (accessKey != identity.AccessKey) RootCredentials.SaveGeneratedKey(options, identity, accessKey, secretKey);
        await store.PutAccessKeyAsync(new AccessKeyRecord(accessKey, secretKey, identity.UserId, RootCredentials.DisplayName), ct);
        return (store, new RootCredentials(identity.UserId, accessKey, secretKey, FromEnvironment: false));
    }

    /// <summary>For `xos admin`: the store and root's account id; no key is created, changed or removed.</summary>
    public static async Task<(IMetadataStore Store, string RootUserId)> OpenForAdminAsync(ServerOptions options, CancellationToken ct)
    {
        var (store, identity) = await OpenStoreAsync(options, ct, migrate: false);
        return (store, identity.UserId);
    }

    /// <summary>`xos admin root rotate`: a new root key replaces every other one, and is kept in root-credentials.json.</summary>
    public static async Task<RootCredentials> RotateRootKeyAsync(ServerOptions options, IMetadataStore store, CancellationToken ct)
    {
        var identity = RootCredentials.LoadIdentity(options);
        var (accessKey, secretKey) = (RootCredentials.NewAccessKey(), RootCredentials.NewSecretKey());
        await store.PutAccessKeyAsync(new AccessKeyRecord(accessKey, secretKey, identity.UserId, RootCredentials.DisplayName), ct);
        foreach (var old in await store.ListAccessKeysAsync(identity.UserId, ct))
            if (old.AccessKey != accessKey) await store.DeleteAccessKeyAsync(old.AccessKey, ct);
        RootCredentials.SaveGeneratedKey(options, identity, accessKey, secretKey);
        return new RootCredentials(identity.UserId, accessKey, secretKey, FromEnvironment: false);
    }
}
