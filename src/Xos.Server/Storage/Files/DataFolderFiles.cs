namespace Xos.Server.Storage.Files;

/// <summary>
/// Small files of the data folder that several processes may create at once (the master key, the root account's
/// identity): written to a private temporary file, flushed, then linked into place only if no other process got there
/// first, so every process ends up reading the same content and none overwrites another's.
/// </summary>
public static class DataFolderFiles
{
    /// <summary>The file's content: what is already there, else <paramref name="create"/>'s, unless a racing process won.</summary>
    public static string ReadOrCreate(string path, Func<string> create)
    {
        if (TryRead(path) is { } existing) return existing;
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            WritePrivate(tmp, create());
            try
            {
                File.Move(tmp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: theirs is the one every process uses.
            }
        }
        finally
        {
            File.Delete(tmp);
        }
        return TryRead(path) ?? throw new IOException($"{path} vanished while it was being created");
    }

    /// <summary>Replaces the file's content atomically (readers see the old or the new file, never a torn one).</summary>
    public static void Replace(string path, string content)
    {
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        WritePrivate(tmp, content);
        File.Move(tmp, path, overwrite: true);
    }

    private static string? TryRead(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Length > 0 ? text : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
