using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Xos.Server.Storage.Sqlite;

/// <summary>
/// `xos admin --data` writes the database beside the running server. After it committed a change to buckets or account
/// settings it writes a new random number into <c>metadata.db.changes</c>; the server reads those 8 bytes (one pread of a
/// file it keeps open, no database read) before it serves a cached row, and empties its cache when they changed. The
/// admin writes the number before it exits, so a read that starts after the command returned finds it.
/// </summary>
public sealed partial class SqliteDatabase
{
    private SafeFileHandle? _changes;

    private string ChangesPath => _path + ".changes";

    public override long ChangesByOtherProcesses()
    {
        var handle = Volatile.Read(ref _changes);
        if (handle is null)
        {
            var opened = File.OpenHandle(ChangesPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            handle = Interlocked.CompareExchange(ref _changes, opened, null) ?? opened;
            if (!ReferenceEquals(handle, opened)) opened.Dispose();
        }
        Span<byte> value = stackalloc byte[8];
        return RandomAccess.Read(handle, value, 0) == 8 ? BinaryPrimitives.ReadInt64LittleEndian(value) : 0;
    }

    public override void AnnounceChange() => AnnounceChange(_path);

    /// <summary>What a process that changed the database at <paramref name="databasePath"/> behind the server's back does (hand edits, tests).</summary>
    public static void AnnounceChange(string databasePath)
    {
        using var handle = File.OpenHandle(databasePath + ".changes", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> value = stackalloc byte[8];
        var old = RandomAccess.Read(handle, value, 0) == 8 ? BinaryPrimitives.ReadInt64LittleEndian(value) : 0;
        // Random rather than counted: two admin commands that read the same old value must still write different ones.
        long next;
        do next = Random.Shared.NextInt64(long.MinValue, long.MaxValue); while (next == old || next == 0);
        BinaryPrimitives.WriteInt64LittleEndian(value, next);
        RandomAccess.Write(handle, value, 0);
    }

    private void DisposeChanges() => _changes?.Dispose();
}
