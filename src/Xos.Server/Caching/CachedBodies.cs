using Xos.Server.Storage;

namespace Xos.Server.Caching;

/// <summary>The bytes of small unencrypted blobs, from the <see cref="ObjectCache"/> or read whole into it.</summary>
public static class CachedBodies
{
    /// <summary>
    /// The whole content of blob <paramref name="blobId"/>, which the object's row says holds <paramref name="size"/>
    /// bytes. A miss reads the blob into a new array of that size (the one allocation, kept for the hits that follow).
    /// Throws FileNotFoundException when a concurrent overwrite removed the blob (GET reads the row again then).
    /// </summary>
    public static async ValueTask<byte[]> GetAsync(ObjectCache cache, IBlobStore blobs, string blobId, long size, CancellationToken ct)
    {
        if (cache.TryGetBody(blobId, out var body) && body.Length == size) return body;
        body = new byte[size];
        var at = 0;
        if (blobs.LocalPath(blobId) is { } path)
        {
            // A small file in the page cache: one positional read, as GET reads small blobs without the cache.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            while (at < size) at += Filled(RandomAccess.Read(handle, body.AsSpan(at), at));
        }
        else
        {
            await using var stream = await blobs.OpenReadAsync(blobId, 0, size, ct);
            while (at < size) at += Filled(await stream.ReadAsync(body.AsMemory(at), ct));
        }
        cache.AddBody(blobId, body);
        return body;
    }

    private static int Filled(int read) => read > 0 ? read : throw new IOException("blob ended before its recorded size");
}
