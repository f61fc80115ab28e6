using System.Runtime.InteropServices;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// A librados call that failed: the call, the object (when there is one), the errno's name and its text, e.g.
/// <c>rados_read(0123abcd.1): ETIMEDOUT (Connection timed out)</c>. An <see cref="IOException"/>, so start-up reports it in
/// one line; <see cref="IOException.HResult"/> is the errno.
/// </summary>
public sealed class RadosException(string call, string? objectName, int errno)
    : IOException($"{call}{(objectName is null ? "" : $"({objectName})")}: {Describe(errno)}", errno)
{
    public int Errno { get; } = errno;
    public string ErrnoName => Name(Errno);

    public const int ENOENT = 2, EIO = 5, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, EINVAL = 22, EFBIG = 27,
        ENOSPC = 28, ERANGE = 34, ENODATA = 61, ENOTCONN = 107, ESHUTDOWN = 108, ETIMEDOUT = 110, ECONNREFUSED = 111,
        EDQUOT = 122, ECANCELED = 125, EPERM = 1;

    /// <summary>The result of a librados call: unchanged when zero or positive (a count), an exception when negative.</summary>
    public static int Check(int result, string call, string? objectName = null) =>
        result >= 0 ? result : throw new RadosException(call, objectName, -result);

    /// <summary>Errors that say the cluster is slow or out of reach for the moment (an OSD down, the time-out passed), not that the request was wrong.</summary>
    public bool IsTransient => Errno is ETIMEDOUT or EAGAIN or ENOTCONN or ESHUTDOWN or ECONNREFUSED or EBUSY or ECANCELED;

    /// <summary>The pool or the cluster is full.</summary>
    public bool IsFull => Errno is ENOSPC or EDQUOT;

    public static string Describe(int errno) => $"{Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EIO => "EIO",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        EFBIG => "EFBIG",
        ENOSPC => "ENOSPC",
        ERANGE => "ERANGE",
        ENODATA => "ENODATA",
        ENOTCONN => "ENOTCONN",
        ESHUTDOWN => "ESHUTDOWN",
        ETIMEDOUT => "ETIMEDOUT",
        ECONNREFUSED => "ECONNREFUSED",
        EDQUOT => "EDQUOT",
        ECANCELED => "ECANCELED",
        _ => $"errno {errno}",
    };
}
