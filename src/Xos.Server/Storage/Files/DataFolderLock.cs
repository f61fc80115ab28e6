namespace Xos.Server.Storage.Files;

/// <summary>
/// One server per data folder: the embedded store assumes no other server writes its blobs (the start-up orphan sweep
/// relies on it), so a second `xos server` on the same folder is refused with one clear line instead of racing it.
/// The lock is the kernel's (flock), so a crashed server never leaves it behind. `xos admin` does not take it.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    private readonly FileStream _file;

    private DataFolderLock(FileStream file) => _file = file;

    public static DataFolderLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "server.lock");
        try
        {
            return new DataFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new IOException($"another xos server is already using the data folder {dataDirectory}; run one server per data folder", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
