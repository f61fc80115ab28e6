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
    public static byte[] Get(ObjectCache cache, IBlobStore blobs, string blobId, long size)
    {
        if (cache.TryGetBody(blobId, out var body) && body.Length == size) return body;
        body = new byte[size];
        if (blobs.LocalPath(blobId) is { } path)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            Fill(body, (span, at) => RandomAccess.Read(handle, span, at));
        }
        else
        {
            using var stream = blobs.OpenRead(blobId);
            Fill(body, (span, _) => stream.Read(span));
        }
        cache.AddBody(blobId, body);
        return body;
    }

    private delegate int Reader(Span<byte> into, long at);

    private static void Fill(byte[] body, Reader read)
    {
        var at = 0;
        while (at < body.Length)
        {
            var n = read(body.AsSpan(at), at);
            if (n == 0) throw new IOException("blob ended before its recorded size");
            at += n;
        }
    }
}
