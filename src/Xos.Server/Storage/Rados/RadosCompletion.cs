using System.Runtime.InteropServices;
using static Xos.Server.Storage.Rados.LibradosNative;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// One librados completion (<c>rados_completion_t</c>) whose callback completes <see cref="Task"/> with the operation's
/// return value. Released on dispose, which its owner does only after the callback ran or the operation failed to start.
/// </summary>
internal sealed unsafe class RadosCompletion : IDisposable
{
    private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GCHandle _self;

    public RadosCompletion()
    {
        _self = GCHandle.Alloc(this);
        var r = rados_aio_create_completion2(GCHandle.ToIntPtr(_self), &OnComplete, out var completion);
        if (r < 0)
        {
            _self.Free();
            RadosException.Check(r, "rados_aio_create_completion2");
        }
        Handle = completion;
    }

    public nint Handle { get; }

    /// <summary>The operation's return value: negative errno on failure.</summary>
    public Task<int> Task => _done.Task;

    [UnmanagedCallersOnly]
    private static void OnComplete(nint completion, nint arg)
    {
        // On librados' finisher thread: only hand the result over; the continuation runs on the thread pool.
        try
        {
            if (GCHandle.FromIntPtr(arg).Target is RadosCompletion self) self._done.TrySetResult(rados_aio_get_return_value(completion));
        }
        catch (Exception)
        {
            // An exception must never unwind into librados.
        }
    }

    public void Dispose()
    {
        rados_aio_release(Handle);
        if (_self.IsAllocated) _self.Free();
    }
}
