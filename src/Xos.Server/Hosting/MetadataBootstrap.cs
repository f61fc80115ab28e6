using Xos.Server.Auth;
using Xos.Server.Storage;
using Xos.Server.Storage.Sqlite;

namespace Xos.Server.Hosting;

/// <summary>Opens the data folder's metadata store and makes the root account's current key its only key.</summary>
public static class MetadataBootstrap
{
    public static async Task<IMetadataStore> OpenAsync(ServerOptions options, RootCredentials root, CancellationToken ct)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var store = new SqliteMetadataStore(Path.Combine(options.DataDirectory, "metadata.db"));
        await store.InitializeAsync(ct);
        await store.EnsureUserAsync(root.UserId, RootCredentials.DisplayName, ct);
        await store.PutAccessKeyAsync(new AccessKeyRecord(root.AccessKey, root.SecretKey, root.UserId, RootCredentials.DisplayName), ct);
        // A rotated root key (new XOS_ROOT_* values) must stop the old one from working.
        foreach (var old in await store.ListAccessKeysAsync(root.UserId, ct))
            if (old.AccessKey != root.AccessKey) await store.DeleteAccessKeyAsync(old.AccessKey, ct);
        return store;
    }
}
