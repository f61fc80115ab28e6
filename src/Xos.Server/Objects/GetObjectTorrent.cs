using System.Security.Cryptography;
using System.Text;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>
/// GET /bucket/key?torrent: the object's BitTorrent metainfo, as S3 serves it: one file, 256 KiB pieces hashed with
/// SHA-1, the bucket and key named beside the info dictionary. There is no tracker; peers find the data by its hashes.
/// </summary>
public static class GetObjectTorrent
{
    public const int PieceLength = 256 * 1024;
    private const long MaxObjectSize = 5L * 1024 * 1024 * 1024;

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var (bucket, obj) = await ctx.AuthorizedObjectAsync(req, "s3:GetObjectTorrent", ct);
        if (obj.Size > MaxObjectSize) throw S3Errors.InvalidRequest("Torrents are only available for objects of up to 5 GB.");

        var encryption = await ServerSideEncryption.UnlockAsync(req, ctx, obj.Encryption, ct);
        var pieces = new MemoryStream();
        await using (var data = await ServerSideEncryption.OpenPlaintextAsync(ctx, obj, encryption, 0, obj.Size, ct))
        {
            var piece = new byte[PieceLength];
            while (true)
            {
                var filled = await data.ReadAtLeastAsync(piece, PieceLength, throwOnEndOfStream: false, ct);
                if (filled == 0) break;
                pieces.Write(SHA1.HashData(piece.AsSpan(0, filled)));
                if (filled < PieceLength) break;
            }
        }

        var name = obj.Key[(obj.Key.LastIndexOf('/') + 1)..];
        var body = new MemoryStream();
        // Bencoded dictionaries list their keys in byte order.
        Bencode.Dictionary(body, [
            ("info", s => Bencode.Dictionary(s, [
                ("length", s2 => Bencode.Integer(s2, obj.Size)),
                ("name", s2 => Bencode.String(s2, Encoding.UTF8.GetBytes(name.Length > 0 ? name : obj.Key))),
                ("piece length", s2 => Bencode.Integer(s2, PieceLength)),
                ("pieces", s2 => Bencode.String(s2, pieces.ToArray())),
            ])),
            ("x-amz-bucket", s => Bencode.String(s, Encoding.UTF8.GetBytes(bucket.Name))),
            ("x-amz-key", s => Bencode.String(s, Encoding.UTF8.GetBytes(obj.Key))),
        ]);

        var response = req.Http.Response;
        response.StatusCode = 200;
        response.ContentType = "application/x-bittorrent";
        response.Headers.ContentDisposition = $"attachment; filename=\"{Uri.EscapeDataString(name.Length > 0 ? name : obj.Key)}.torrent\"";
        response.ContentLength = body.Length;
        body.Position = 0;
        await body.CopyToAsync(response.Body, ct);
    }

    /// <summary>The four bencode forms BitTorrent metainfo is written in.</summary>
    public static class Bencode
    {
        public static void Integer(Stream s, long value) => Ascii(s, $"i{value}e");

        public static void String(Stream s, byte[] bytes)
        {
            Ascii(s, $"{bytes.Length}:");
            s.Write(bytes);
        }

        public static void Dictionary(Stream s, IEnumerable<(string Key, Action<Stream> Write)> entries)
        {
            Ascii(s, "d");
            foreach (var (key, write) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                String(s, Encoding.UTF8.GetBytes(key));
                write(s);
            }
            Ascii(s, "e");
        }

        private static void Ascii(Stream s, string text) => s.Write(Encoding.ASCII.GetBytes(text));
    }
}
