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

    public const string Kms = "aws:kms";
    private const string KmsKeyHeader = "x-amz-server-side-encryption-aws-kms-key-id";
    private const string ContextHeader = "x-amz-server-side-encryption-context";
    private const string BucketKeyHeader = "x-amz-server-side-encryption-bucket-key-enabled";

    /// <summary>
    /// The encryption of a new object or upload: with the customer's key when the request supplies one (SSE-C), with a
    /// key of the key service for aws:kms (SSE-KMS), else with a fresh data key under the algorithm the request asks
    /// for or the bucket's default; null when the data stays plain.
    /// </summary>
    /// <param name="fields">Where the encryption headers are read: the request's headers, or a POST form's fields.</param>
    public static async Task<EncryptionInfo?> ForWriteAsync(S3Request req, BucketRecord bucket, ServerContext ctx, CancellationToken ct,
        Func<string, string?>? fields = null, string? key = null)
    {
        var field = fields ?? req.Header;
        key ??= req.Key;
        if (CustomerKeys.FromRequest(req, ctx, CustomerKeys.Prefix, field) is { } customer)
        {
            if (field(Header) is { } other)
                throw S3Errors.InvalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                    Header, other);
            return EncryptionInfo.CreateForCustomer(customer.Key);
        }
        var requested = field(Header);
        if (requested != Kms && field(KmsKeyHeader) is { } orphanKey)
            throw S3Errors.InvalidArgument($"{KmsKeyHeader} is only valid with {Header}: {Kms}", KmsKeyHeader, orphanKey);
        if (requested == Kms)
        {
            var bucketKey = string.Equals(field(BucketKeyHeader), "true", StringComparison.OrdinalIgnoreCase);
            return await ctx.Kms.NewDataKeyAsync(field(KmsKeyHeader), EncryptionContext(field, bucket, key), bucketKey, ct);
        }
        var byDefault = Buckets.DefaultEncryption.Parse(bucket.DefaultEncryption);
        if (requested is null && byDefault is { Algorithm: Kms })
            return await ctx.Kms.NewDataKeyAsync(byDefault.KmsKeyId, EncryptionContext(field, bucket, key), byDefault.BucketKeyEnabled, ct);
        if (requested is not null && !EncryptionInfo.IsSupported(requested))
            throw S3Errors.InvalidArgument("The encryption method specified is not supported", Header, requested);
        return NewKeyFor(requested ?? byDefault?.Algorithm, ctx);
    }

    /// <summary>x-amz-server-side-encryption-context (base64 of a JSON object of strings), else S3's default: the object's ARN.</summary>
    private static string EncryptionContext(Func<string, string?> field, BucketRecord bucket, string? key)
    {
        if (field(ContextHeader) is not { } encoded)
            return System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["aws:s3:arn"] = $"arn:aws:s3:::{bucket.Name}/{key}" },
                StorageJson.Default.DictionaryStringString);
        try
        {
            var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            System.Text.Json.JsonSerializer.Deserialize(json, StorageJson.Default.DictionaryStringString);
            return json;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw S3Errors.InvalidArgument("The encryption context must be base64 of a JSON object of strings.", ContextHeader, encoded);
        }
    }

    /// <summary>
    /// The encryption of a stored object or upload, ready to decrypt: SSE-C needs the key the request supplies under
    /// <paramref name="prefix"/>, SSE-KMS an enabled key of the key service.
    /// </summary>
    public static async Task<EncryptionInfo?> UnlockAsync(S3Request req, ServerContext ctx, string? encryptionJson, CancellationToken ct,
        string prefix = CustomerKeys.Prefix)
    {
        var info = CustomerKeys.Unlock(encryptionJson, CustomerKeys.FromRequest(req, ctx, prefix));
        return info is { IsKms: true } ? await ctx.Kms.UnlockAsync(info, ct) : info;
    }

    public static EncryptionInfo? NewKeyFor(string? algorithm, ServerContext ctx) =>
        algorithm is null ? null : EncryptionInfo.Create(algorithm, ctx.MasterKey);

    public static void WriteHeader(S3Request req, string? encryptionJson)
    {
        if (EncryptionInfo.FromJson(encryptionJson) is not { } info) return;
        if (info.IsKms)
        {
            req.Http.Response.Headers[Header] = Kms;
            req.Http.Response.Headers[KmsKeyHeader] = info.KmsKeyId;
            if (info.BucketKeyEnabled) req.Http.Response.Headers[BucketKeyHeader] = "true";
            return;
        }
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

    /// <summary>
    /// Reads a body of exactly <paramref name="length"/> bytes whole, sealed when <paramref name="encryption"/> is given,
    /// for an object kept inline in the metadata store: the same checks as a blob write (the stream is read to its end,
    /// so its signature and checksum are verified; a short body is IncompleteBody, a long one refused). Returns the
    /// stored bytes and the plaintext's MD5.
    /// </summary>
    public static async Task<(byte[] Stored, byte[] Md5)> ReadInlineAsync(ServerContext ctx, Stream plaintext, long length,
        EncryptionInfo? encryption, CancellationToken ct)
    {
        ctx.Blobs.EnsureRoom(length);
        using var cipher = encryption?.OpenCipher(ctx.MasterKey);
        await using var sealing = cipher is null ? null : new EncryptingStream(plaintext, cipher, 0);
        var source = (Stream?)sealing ?? plaintext;
        var stored = new byte[sealing is null ? length : ChunkCipher.CiphertextLength(length)];
        var total = 0;
        var probe = new byte[1];
        while (true)
        {
            var n = total < stored.Length ? await source.ReadAsync(stored.AsMemory(total), ct) : await source.ReadAsync(probe, ct);
            if (n == 0) break;
            if (total == stored.Length) throw S3Errors.InvalidRequest("The request body is longer than its Content-Length.");
            total += n;
        }
        if (total != stored.Length) throw S3Errors.IncompleteBody();
        return (stored, sealing?.PlaintextMd5 ?? System.Security.Cryptography.MD5.HashData(stored));
    }

    /// <summary>The plaintext bytes [offset, offset + length) of a stored object, decrypting only the chunks they touch.</summary>
    public static async Task<Stream> OpenPlaintextAsync(ServerContext ctx, ObjectRecord obj, EncryptionInfo? encryption, long offset, long length, CancellationToken ct)
    {
        var segments = CopySource.SegmentsOf(obj);
        if (encryption is null) return new SegmentRangeStream(ctx.Blobs, segments, offset, length);
        var opened = new List<EncryptedSegment>(segments.Count);
        try
        {
            foreach (var s in segments) opened.Add(new EncryptedSegment(await ctx.Blobs.OpenAsync(s, 0, 0, ct), s.Size, (uint)s.PartNumber));
        }
        catch
        {
            foreach (var o in opened) await o.Blob.DisposeAsync();
            throw;
        }
        return new DecryptingStream(opened, encryption.OpenCipher(ctx.MasterKey), offset, length);
    }

    /// <summary>Plain segments read back to back over a byte range.</summary>
    internal sealed class SegmentRangeStream(IBlobStore blobs, IReadOnlyList<Segment> segments, long offset, long length) : ReadOnlyStream
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
                    _current = await blobs.OpenAsync(s, offset, Math.Min(s.Size - offset, _remaining), ct);
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
