namespace Xos.Server.Storage.Files;

/// <summary>
/// One server per data folder with the embedded store, which assumes no other server writes its blobs (the start-up
/// orphan sweep relies on it): a second `xos server` on the same folder is refused with one clear line instead of
/// racing it. Gateways of a shared store take the lock shared: any number of them run together, but never beside a
/// server with an embedded store of its own, which would take their blobs for orphans. The lock is the kernel's
/// (flock), so a crashed server never leaves it behind. `xos admin` does not take it.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    private readonly FileStream _file;

    private DataFolderLock(FileStream file) => _file = file;

    public static DataFolderLock Acquire(string dataDirectory, bool shared)
    {
        var path = Path.Combine(dataDirectory, "server.lock");
        try
        {
            return new DataFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, shared ? FileShare.ReadWrite : FileShare.None));
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new IOException(shared
                ? $"an xos server with its own SQLite metadata is using the data folder {dataDirectory}; gateways sharing a metadata database need a folder of their own"
                : $"another xos server is already using the data folder {dataDirectory}; run one server per data folder (or share a PostgreSQL metadata database: --metadata)", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
