using System.Runtime.InteropServices;
using static Xos.Server.Storage.Rados.LibradosNative;

namespace Xos.Server.Storage.Rados;

/// <summary>A connection to a Ceph cluster (librados' <c>rados_t</c>), shut down when released.</summary>
public sealed class RadosCluster : SafeHandle
{
    private RadosCluster() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        rados_shutdown(handle);
        return true;
    }

    /// <summary>
    /// Connects as <c>client.<paramref name="id"/></c> with the settings of <paramref name="confPath"/> (null: librados'
    /// default search, /etc/ceph/ceph.conf and $CEPH_CONF) and then <paramref name="settings"/> (e.g. time-outs).
    /// Throws <see cref="RadosException"/>; nothing is left open on failure.
    /// </summary>
    public static RadosCluster Connect(string? confPath, string id, IEnumerable<KeyValuePair<string, string>> settings)
    {
        RadosException.Check(rados_create2(out var raw, "ceph", "client." + id, 0), "rados_create2");
        var cluster = new RadosCluster();
        cluster.SetHandle(raw);
        try
        {
            RadosException.Check(rados_conf_read_file(raw, confPath), "rados_conf_read_file", confPath);
            foreach (var (name, value) in settings) RadosException.Check(rados_conf_set(raw, name, value), "rados_conf_set", name);
            RadosException.Check(rados_connect(raw), "rados_connect");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fetches the monitors' newest OSD map and waits for it (bounded by the monitor time-out). A client whose operations
    /// timed out on an OSD that was restarted can keep the old map and time out forever; this is how it learns the new address.
    /// </summary>
    public void WaitForLatestOsdMap()
    {
        var added = false;
        DangerousAddRef(ref added);
        try { RadosException.Check(rados_wait_for_latest_osdmap(handle), "rados_wait_for_latest_osdmap"); }
        finally { if (added) DangerousRelease(); }
    }

    /// <summary>
    /// Runs a monitor command (<paramref name="json"/>, e.g. <c>{"prefix":"df","format":"json"}</c>) and returns its output;
    /// needs the user's <c>mon 'allow r'</c> for read-only commands. Waits at most the monitor time-out.
    /// </summary>
    public unsafe string MonCommand(string json)
    {
        var added = false;
        DangerousAddRef(ref added);
        var command = Marshal.StringToCoTaskMemUTF8(json);
        try
        {
            var commands = stackalloc nint[1];
            commands[0] = command;
            var r = rados_mon_command(handle, commands, 1, null, 0, out var output, out var outputLength, out var status, out _);
            try
            {
                RadosException.Check(r, "rados_mon_command", json);
                return output == 0 ? "" : Marshal.PtrToStringUTF8(output, checked((int)outputLength));
            }
            finally
            {
                if (output != 0) rados_buffer_free(output);
                if (status != 0) rados_buffer_free(status);
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(command);
            if (added) DangerousRelease();
        }
    }

    /// <summary>
    /// An I/O context on <paramref name="pool"/>, limited to objects of <paramref name="ns"/> (null: the default namespace);
    /// throws <see cref="RadosException"/> ENOENT when there is no such pool.
    /// </summary>
    public RadosPool OpenPool(string pool, string? ns = null)
    {
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            RadosException.Check(rados_ioctx_create(handle, pool, out var ioctx), "rados_ioctx_create", pool);
            var io = new RadosPool(this, pool);
            io.Attach(ioctx);
            if (ns is not null) rados_ioctx_set_namespace(ioctx, ns);
            added = false; // the pool keeps the reference until it is released
            return io;
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }
}

/// <summary>
/// An I/O context on one pool (librados' <c>rados_ioctx_t</c>): reads and writes of its objects. It holds a reference on
/// its cluster, so the cluster is shut down only after every pool (and every operation in flight on it) is released.
/// </summary>
public sealed class RadosPool : SafeHandle
{
    private readonly RadosCluster _cluster;

    internal RadosPool(RadosCluster cluster, string name) : base(0, ownsHandle: true)
    {
        _cluster = cluster;
        Name = name;
    }

    public string Name { get; }

    internal void Attach(nint ioctx) => SetHandle(ioctx);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        rados_ioctx_destroy(handle);
        _cluster.DangerousRelease();
        return true;
    }

    /// <summary>Runs a call with the context kept alive for its duration.</summary>
    private T Use<T>(Func<nint, T> call)
    {
        var added = false;
        DangerousAddRef(ref added);
        try { return call(handle); }
        finally { if (added) DangerousRelease(); }
    }

    /// <summary>Runs a call on a pinned span, with the context kept alive for its duration.</summary>
    private unsafe int WithBytes(ReadOnlySpan<byte> bytes, Func<nint, nint, nuint, int> call)
    {
        fixed (byte* p = bytes)
        {
            var ptr = (nint)p;
            var len = (nuint)bytes.Length;
            return Use(io => call(io, ptr, len));
        }
    }

    /// <summary>
    /// The stripe width every write must start at a multiple of, for pools that take only appends (erasure-coded without
    /// allow_ec_overwrites); null when the pool takes writes anywhere.
    /// </summary>
    public long? RequiredAlignment() => Use(io =>
    {
        RadosException.Check(rados_ioctx_pool_requires_alignment2(io, out var requires), "rados_ioctx_pool_requires_alignment2", Name);
        if (requires == 0) return (long?)null;
        RadosException.Check(rados_ioctx_pool_required_alignment2(io, out var alignment), "rados_ioctx_pool_required_alignment2", Name);
        return (long)alignment;
    });

    public unsafe void WriteFull(string oid, ReadOnlySpan<byte> data) =>
        WithBytes(data, (io, p, n) => RadosException.Check(rados_write_full(io, oid, (byte*)p, n), "rados_write_full", oid));

    public unsafe void Write(string oid, ReadOnlySpan<byte> data, long offset) =>
        WithBytes(data, (io, p, n) => RadosException.Check(rados_write(io, oid, (byte*)p, n, (ulong)offset), "rados_write", oid));

    public unsafe void Append(string oid, ReadOnlySpan<byte> data) =>
        WithBytes(data, (io, p, n) => RadosException.Check(rados_append(io, oid, (byte*)p, n), "rados_append", oid));

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; the count read (short at the object's end).</summary>
    public unsafe int Read(string oid, Span<byte> buffer, long offset) =>
        WithBytes(buffer, (io, p, n) => RadosException.Check(rados_read(io, oid, (byte*)p, n, (ulong)offset), "rados_read", oid));

    public (long Size, DateTimeOffset Modified) Stat(string oid) => Use(io =>
    {
        RadosException.Check(rados_stat(io, oid, out var size, out var mtime), "rados_stat", oid);
        return ((long)size, DateTimeOffset.FromUnixTimeSeconds(mtime));
    });

    /// <summary>Removes an object; false when it did not exist.</summary>
    public bool Remove(string oid) => Use(io =>
    {
        var r = rados_remove(io, oid);
        if (r == -RadosException.ENOENT) return false;
        RadosException.Check(r, "rados_remove", oid);
        return true;
    });

    public unsafe void SetXattr(string oid, string name, ReadOnlySpan<byte> value) =>
        WithBytes(value, (io, p, n) => RadosException.Check(rados_setxattr(io, oid, name, (byte*)p, n), "rados_setxattr", oid));

    /// <summary>An attribute's value into <paramref name="buffer"/>: its length, or null when the object has no such attribute.</summary>
    public unsafe int? GetXattr(string oid, string name, Span<byte> buffer)
    {
        var r = WithBytes(buffer, (io, p, n) => rados_getxattr(io, oid, name, (byte*)p, n));
        return r == -RadosException.ENODATA ? null : RadosException.Check(r, "rados_getxattr", oid);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>; completes once the write is durable on the OSDs.</summary>
    public unsafe Task WriteAsync(string oid, ReadOnlyMemory<byte> data, long offset) =>
        RunAsync("rados_aio_write", oid, data, (io, c, p) => rados_aio_write(io, oid, c, p, (nuint)data.Length, (ulong)offset));

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>: the count read.</summary>
    public unsafe Task<int> ReadAsync(string oid, Memory<byte> buffer, long offset) =>
        RunAsync("rados_aio_read", oid, buffer, (io, c, p) => rados_aio_read(io, oid, c, p, (nuint)buffer.Length, (ulong)offset));

    /// <summary>An attribute's value into <paramref name="buffer"/>: completes with its length, or null when the object has no such attribute.</summary>
    public async Task<int?> GetXattrAsync(string oid, string name, Memory<byte> buffer)
    {
        try
        {
            return await StartGetXattr(oid, name, buffer).ConfigureAwait(false);
        }
        catch (RadosException e) when (e.Errno == RadosException.ENODATA)
        {
            return null;
        }
    }

    private unsafe Task<int> StartGetXattr(string oid, string name, Memory<byte> buffer) =>
        RunAsync("rados_aio_getxattr", oid, buffer, (io, c, p) => rados_aio_getxattr(io, oid, c, name, p, (nuint)buffer.Length));

    /// <summary>Removes an object; completes with false when it did not exist.</summary>
    public async Task<bool> RemoveAsync(string oid)
    {
        try
        {
            await StartRemove(oid);
            return true;
        }
        catch (RadosException e) when (e.Errno == RadosException.ENOENT)
        {
            return false;
        }
    }

    private unsafe Task StartRemove(string oid) =>
        RunAsync("rados_aio_remove", oid, ReadOnlyMemory<byte>.Empty, (io, c, _) => rados_aio_remove(io, oid, c));

    /// <summary>Replaces an object's body and sets one attribute, atomically, in one round trip.</summary>
    public Task WriteFullWithXattrAsync(string oid, ReadOnlyMemory<byte> data, string name, ReadOnlyMemory<byte> value) =>
        WriteOpAsync(oid, data, offset: -1, name, value);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> and sets one attribute, atomically, in one round trip.</summary>
    public Task WriteWithXattrAsync(string oid, ReadOnlyMemory<byte> data, long offset, string name, ReadOnlyMemory<byte> value) =>
        WriteOpAsync(oid, data, offset, name, value);

    /// <summary>Sets one attribute of an object (creating it when missing).</summary>
    public Task SetXattrAsync(string oid, string name, ReadOnlyMemory<byte> value) =>
        WriteOpAsync(oid, ReadOnlyMemory<byte>.Empty, offset: null, name, value);

    /// <summary>One write operation: the body replaced (offset -1), written at an offset, or untouched (null), and an attribute set.</summary>
    private unsafe Task WriteOpAsync(string oid, ReadOnlyMemory<byte> data, long? offset, string name, ReadOnlyMemory<byte> value)
    {
        return RunAsync("rados_aio_write_op_operate", oid, data, (io, c, p) =>
        {
            var op = rados_create_write_op();
            if (op == 0) return -RadosException.ENOMEM;
            try
            {
                fixed (byte* v = value.Span)
                {
                    // librados copies both buffers into the operation as it is built.
                    if (offset == -1) rados_write_op_write_full(op, p, (nuint)data.Length);
                    else if (offset is { } at) rados_write_op_write(op, p, (nuint)data.Length, (ulong)at);
                    rados_write_op_setxattr(op, name, v, (nuint)value.Length);
                    return rados_aio_write_op_operate(op, io, c, oid, 0, 0);
                }
            }
            finally
            {
                rados_release_write_op(op);
            }
        });
    }

    private unsafe delegate int AioStart(nint ioctx, nint completion, byte* buffer);

    /// <summary>
    /// Starts an asynchronous operation on a pinned buffer and waits for its completion without blocking a thread. It
    /// always waits for librados' callback (the client's operation time-out bounds the wait), so the buffer, the
    /// completion and this context stay alive until librados is done with them.
    /// </summary>
    private async Task<int> RunAsync(string call, string oid, ReadOnlyMemory<byte> buffer, AioStart start)
    {
        using var pin = buffer.Pin();
        using var completion = new RadosCompletion();
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            RadosException.Check(StartOn(start, completion.Handle, pin), call, oid);
            return RadosException.Check(await completion.Task.ConfigureAwait(false), call, oid);
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    private unsafe int StartOn(AioStart start, nint completion, System.Buffers.MemoryHandle pin) => start(handle, completion, (byte*)pin.Pointer);

    /// <summary>The names of every object in the pool (librados' listing, in no particular order).</summary>
    public IEnumerable<string> ListObjects()
    {
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            RadosException.Check(rados_nobjects_list_open(handle, out var list), "rados_nobjects_list_open", Name);
            try
            {
                while (true)
                {
                    var r = rados_nobjects_list_next(list, out var entry, out _, out _);
                    if (r == -RadosException.ENOENT) yield break;
                    RadosException.Check(r, "rados_nobjects_list_next", Name);
                    yield return Marshal.PtrToStringUTF8(entry)!;
                }
            }
            finally
            {
                rados_nobjects_list_close(list);
            }
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }
}
