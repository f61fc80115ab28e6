using System.Runtime.InteropServices;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// The part of librados' C API (librados.so.2, Debian's librados2) XOS uses. Every call returns 0 or a count on success
/// and a negative errno on failure; <see cref="RadosException.Check"/> turns the latter into an exception. Only
/// <see cref="RadosCluster"/>, <see cref="RadosPool"/> and <see cref="RadosCompletion"/> call these.
/// </summary>
internal static unsafe partial class LibradosNative
{
    private const string Lib = "librados.so.2";

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_create2(out nint cluster, string clusterName, string name, ulong flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_conf_read_file(nint cluster, string? path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_conf_set(nint cluster, string option, string value);

    [LibraryImport(Lib)]
    public static partial int rados_connect(nint cluster);

    [LibraryImport(Lib)]
    public static partial void rados_shutdown(nint cluster);

    [LibraryImport(Lib)]
    public static partial int rados_wait_for_latest_osdmap(nint cluster);

    // A command to the monitors (JSON in, JSON out), e.g. {"prefix":"df"} for the pools' free space; rados_buffer_free frees what it returns.
    [LibraryImport(Lib)]
    public static partial int rados_mon_command(nint cluster, nint* cmd, nuint cmdlen, byte* inbuf, nuint inbuflen,
        out nint outbuf, out nuint outbuflen, out nint outs, out nuint outslen);

    [LibraryImport(Lib)]
    public static partial void rados_buffer_free(nint buf);

    // Whether a pool (erasure-coded without allow_ec_overwrites) takes only appends at multiples of its stripe width.
    [LibraryImport(Lib)]
    public static partial int rados_ioctx_pool_requires_alignment2(nint ioctx, out int requires);

    [LibraryImport(Lib)]
    public static partial int rados_ioctx_pool_required_alignment2(nint ioctx, out ulong alignment);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_ioctx_create(nint cluster, string poolName, out nint ioctx);

    [LibraryImport(Lib)]
    public static partial void rados_ioctx_destroy(nint ioctx);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void rados_ioctx_set_namespace(nint ioctx, string? nspace);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_write_full(nint ioctx, string oid, byte* buf, nuint len);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_write(nint ioctx, string oid, byte* buf, nuint len, ulong off);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_append(nint ioctx, string oid, byte* buf, nuint len);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_read(nint ioctx, string oid, byte* buf, nuint len, ulong off);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_stat(nint ioctx, string oid, out ulong size, out long mtime);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_remove(nint ioctx, string oid);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_getxattr(nint ioctx, string oid, string name, byte* buf, nuint len);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_setxattr(nint ioctx, string oid, string name, byte* buf, nuint len);

    // Asynchronous operations: a completion with a callback that librados calls on its own thread when the operation is done.
    [LibraryImport(Lib)]
    public static partial int rados_aio_create_completion2(nint arg, delegate* unmanaged<nint, nint, void> complete, out nint completion);

    [LibraryImport(Lib)]
    public static partial int rados_aio_wait_for_complete(nint completion);

    [LibraryImport(Lib)]
    public static partial int rados_aio_get_return_value(nint completion);

    [LibraryImport(Lib)]
    public static partial void rados_aio_release(nint completion);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_write(nint ioctx, string oid, nint completion, byte* buf, nuint len, ulong off);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_read(nint ioctx, string oid, nint completion, byte* buf, nuint len, ulong off);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_remove(nint ioctx, string oid, nint completion);

    // The completion's return value is the attribute's length (or a negative errno: ENODATA when the object has no such attribute).
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_getxattr(nint ioctx, string oid, nint completion, string name, byte* buf, nuint len);

    // Write operations: several changes to one object applied atomically (the body and its layout attribute in one round trip).
    [LibraryImport(Lib)]
    public static partial nint rados_create_write_op();

    [LibraryImport(Lib)]
    public static partial void rados_release_write_op(nint op);

    [LibraryImport(Lib)]
    public static partial void rados_write_op_write_full(nint op, byte* buf, nuint len);

    [LibraryImport(Lib)]
    public static partial void rados_write_op_write(nint op, byte* buf, nuint len, ulong offset);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void rados_write_op_setxattr(nint op, string name, byte* value, nuint len);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_write_op_operate(nint op, nint ioctx, nint completion, string oid, nint mtime, int flags);

    // Listing a pool's objects, for the orphan sweep.
    [LibraryImport(Lib)]
    public static partial int rados_nobjects_list_open(nint ioctx, out nint listCtx);

    [LibraryImport(Lib)]
    public static partial int rados_nobjects_list_next(nint listCtx, out nint entry, out nint key, out nint nspace);

    [LibraryImport(Lib)]
    public static partial void rados_nobjects_list_close(nint listCtx);
}
