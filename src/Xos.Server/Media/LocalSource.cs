using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Media;

/// <summary>
/// A stored object as a local, seekable file for libvips and ffmpeg: a plain single-blob object is its own blob file
/// (held open, and named through /proc/self/fd, so a concurrent overwrite cannot take it away mid-read); anything else
/// (inline, multipart, encrypted) is streamed into a temporary file that is deleted when this is disposed.
/// </summary>
public sealed class LocalSource : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;
    private readonly FileStream? _temp;

    public string Path { get; }

    private LocalSource(string path, Microsoft.Win32.SafeHandles.SafeFileHandle? handle, FileStream? temp)
    {
        Path = path;
        _handle = handle;
        _temp = temp;
    }

    public static async Task<LocalSource> OpenAsync(ServerContext ctx, ObjectRecord obj, EncryptionInfo? encryption, string tempDirectory, CancellationToken ct)
    {
        if (encryption is null && obj.BlobId is { } blobId && ctx.Blobs.LocalPath(blobId) is { } blobPath)
        {
            var handle = File.OpenHandle(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            // By the process id, not "self": ffmpeg, a child that does not inherit the descriptor, opens it there too.
            var viaFd = $"/proc/{Environment.ProcessId}/fd/{handle.DangerousGetHandle()}";
            return new LocalSource(File.Exists(viaFd) ? viaFd : blobPath, handle, null);
        }
        Directory.CreateDirectory(tempDirectory);
        var path = System.IO.Path.Combine(tempDirectory, Guid.NewGuid().ToString("N"));
        var temp = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await using (var plaintext = await ServerSideEncryption.OpenPlaintextAsync(ctx, obj, encryption, 0, obj.Size, ct))
                await plaintext.CopyToAsync(temp, 1 << 16, ct);
            await temp.FlushAsync(ct);
        }
        catch
        {
            await temp.DisposeAsync();
            throw;
        }
        return new LocalSource(path, null, temp);
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _temp?.Dispose();
    }
}
