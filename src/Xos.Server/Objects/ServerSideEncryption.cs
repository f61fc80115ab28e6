using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Objects;

/// <summary>
/// x-amz-server-side-encryption (AES256 or SM4) on writes, the bucket default, and the plaintext views of stored
/// objects that reads and copies use whether or not the data is encrypted.
/// </summary>
public static class ServerSideEncryption
{
    public const string Header = "x-amz-server-side-encryption";

    /// <summary>
    /// The encryption of a new object or upload: with the customer's key when the request supplies one (SSE-C),
    /// else with a fresh data key under the algorithm the request asks for or the bucket's default; null when plain.
    /// </summary>
    public static EncryptionInfo? ForWrite(S3Request req, BucketRecord bucket, ServerContext ctx)
    {
        if (CustomerKeys.FromRequest(req, ctx) is { } customer)
        {
            if (req.Header(Header) is { } other)
                throw S3Errors.InvalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                    Header, other);
            return EncryptionInfo.CreateForCustomer(customer.Key);
        }
        return NewKeyFor(RequestedAlgorithm(req, bucket), ctx);
    }

    /// <summary>The algorithm a write asks for, or else the bucket's default; null when the data stays plain.</summary>
    public static string? RequestedAlgorithm(S3Request req, BucketRecord bucket)
    {
        if (req.Header(Header) is not { } requested) return bucket.DefaultEncryption;
        if (!EncryptionInfo.IsSupported(requested))
            throw S3Errors.InvalidArgument("The encryption method specified is not supported", Header, requested);
        return requested;
    }

    public static EncryptionInfo? NewKeyFor(string? algorithm, ServerContext ctx) =>
        algorithm is null ? null : EncryptionInfo.Create(algorithm, ctx.MasterKey);

    public static void WriteHeader(S3Request req, string? encryptionJson)
    {
        if (EncryptionInfo.FromJson(encryptionJson) is not { } info) return;
        if (!info.IsCustomerKey)
        {
            req.Http.Response.Headers[Header] = info.Algorithm;
            return;
        }
        req.Http.Response.Headers[CustomerKeys.Prefix + "algorithm"] = info.Algorithm;
        if (req.Header(CustomerKeys.Prefix + "key-MD5") is { } md5) req.Http.Response.Headers[CustomerKeys.Prefix + "key-MD5"] = md5;
    }

    /// <summary>
    /// Streams <paramref name="plaintext"/> into a new blob, sealed in chunks when <paramref name="encryption"/> is given.
    /// Returns the blob and the plaintext's MD5 and size.
    /// </summary>
    public static async Task<(BlobWriteResult Blob, byte[] Md5, long Size)> WriteAsync(ServerContext ctx, Stream plaintext, long? length, long maxLength,
        EncryptionInfo? encryption, int streamNumber, CancellationToken ct)
    {
        if (encryption is null)
        {
            var plain = await ctx.Blobs.WriteAsync(plaintext, length, maxLength, computeSha256: false, ct);
            return (plain, plain.Md5, plain.Size);
        }
        if (length > maxLength) throw S3Errors.EntityTooLarge(maxLength);
        using var cipher = encryption.OpenCipher(ctx.MasterKey);
        await using var sealing = new EncryptingStream(plaintext, cipher, (uint)streamNumber);
        var blob = await ctx.Blobs.WriteAsync(sealing, length is { } l ? ChunkCipher.CiphertextLength(l) : null,
            ChunkCipher.CiphertextLength(maxLength), computeSha256: false, ct);
        return (blob, sealing.PlaintextMd5, sealing.PlaintextLength);
    }

    /// <summary>The plaintext bytes [offset, offset + length) of a stored object, decrypting only the chunks they touch.</summary>
    public static Stream OpenPlaintext(ServerContext ctx, ObjectRecord obj, EncryptionInfo? encryption, long offset, long length)
    {
        var segments = CopySource.SegmentsOf(obj);
        if (encryption is null) return new SegmentRangeStream(ctx.Blobs, segments, offset, length);
        var opened = new List<EncryptedSegment>(segments.Count);
        try
        {
            foreach (var s in segments) opened.Add(new EncryptedSegment(ctx.Blobs.OpenRead(s.BlobId), s.Size, (uint)s.PartNumber));
        }
        catch
        {
            foreach (var o in opened) o.Blob.Dispose();
            throw;
        }
        return new DecryptingStream(opened, encryption.OpenCipher(ctx.MasterKey), offset, length);
    }

    /// <summary>Plain segments read back to back over a byte range.</summary>
    private sealed class SegmentRangeStream(IBlobStore blobs, IReadOnlyList<Segment> segments, long offset, long length) : ReadOnlyStream
    {
        private int _index = -1;
        private Stream? _current;
        private long _currentLeft;
        private long _remaining = length;

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
        {
            while (_remaining > 0)
            {
                if (_current is null || _currentLeft == 0)
                {
                    if (_current is not null) await _current.DisposeAsync();
                    _current = null;
                    if (++_index >= segments.Count) return 0;
                    var s = segments[_index];
                    if (offset >= s.Size)
                    {
                        offset -= s.Size;
                        continue;
                    }
                    _current = blobs.OpenRead(s.BlobId);
                    _current.Seek(offset, SeekOrigin.Begin);
                    _currentLeft = s.Size - offset;
                    offset = 0;
                }
                var want = (int)Math.Min(Math.Min(destination.Length, _currentLeft), _remaining);
                var n = await _current.ReadAsync(destination[..want], ct);
                if (n == 0) throw new IOException("blob ended before its recorded size");
                _currentLeft -= n;
                _remaining -= n;
                return n;
            }
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _current?.Dispose();
            base.Dispose(disposing);
        }
    }
}
