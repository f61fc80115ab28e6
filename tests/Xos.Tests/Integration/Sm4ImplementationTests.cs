using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Xos.Server.Storage.Encryption;

namespace Xos.Tests.Integration;

/// <summary>
/// SM4 objects stay readable whichever implementation wrote them: one data folder is served in turn by servers forced
/// (XOS_SM4) onto each implementation this machine has; each reads, whole and in ranges, every object the earlier ones
/// wrote, then writes its own.
/// </summary>
public sealed class Sm4ImplementationTests
{
    private static readonly int[] Sizes = [0, 1, 15, 16, 17, 1023, 65_535, 65_536, 65_537, 200 * 1024 + 123];

    private static async Task<byte[]> GetAsync(AmazonS3Client s3, string key, ByteRange? range = null)
    {
        using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "sm4", Key = key, ByteRange = range });
        Assert.Equal("SM4", r.ServerSideEncryptionMethod?.Value);
        var m = new MemoryStream();
        await r.ResponseStream.CopyToAsync(m);
        return m.ToArray();
    }

    [Fact]
    public async Task ObjectsWrittenUnderEachImplementationAreReadUnderEveryOther()
    {
        var kinds = new[] { Sm4Implementation.Gfni512, Sm4Implementation.Libgcrypt, Sm4Implementation.BouncyCastle, Sm4Implementation.Gfni256 }
            .Where(Sm4Gcm.IsAvailable).ToList();
        Assert.True(kinds.Count >= 2, "fewer than two SM4 implementations on this machine");
        var data = Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        var written = new Dictionary<string, byte[]>();
        try
        {
            foreach (var kind in kinds)
            {
                var name = kind.ToString().ToLowerInvariant();
                await using var server = await XosProcess.StartAsync(data, environment: new Dictionary<string, string> { ["XOS_SM4"] = name });
                Assert.Contains($"SM4 cipher  : {Sm4Gcm.Describe(kind)}", server.Output);
                using var s3 = server.CreateClient();
                if (written.Count == 0) await s3.PutBucketAsync("sm4");
                foreach (var (key, body) in written)
                {
                    var read = await GetAsync(s3, key);
                    Assert.True(body.AsSpan().SequenceEqual(read), $"{name} read {key} wrongly");
                    if (body.Length > 70_000)
                        Assert.Equal(body.AsSpan(65_530, 70_000).ToArray(), await GetAsync(s3, key, new ByteRange(65_530, 65_530 + 69_999)));
                }
                foreach (var size in Sizes)
                {
                    var body = RandomNumberGenerator.GetBytes(size);
                    var key = $"{name}-{size}";
                    await s3.PutObjectAsync(new PutObjectRequest
                    {
                        BucketName = "sm4", Key = key, InputStream = new MemoryStream(body),
                        ServerSideEncryptionMethod = new ServerSideEncryptionMethod("SM4"),
                    });
                    written[key] = body;
                }
            }
            // The first implementation reads what the last one wrote as well.
            await using var again = await XosProcess.StartAsync(data, environment: new Dictionary<string, string> { ["XOS_SM4"] = kinds[0].ToString().ToLowerInvariant() });
            using var client = again.CreateClient();
            foreach (var (key, body) in written)
            {
                var read = await GetAsync(client, key);
                Assert.True(body.AsSpan().SequenceEqual(read), $"{kinds[0]} read {key} wrongly");
            }
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task AnUnknownNameIsRefusedBeforeTheServerStarts()
    {
        var data = Path.Combine(Path.GetTempPath(), "xos-sm4-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, _, stderr) = await XosAdmin.RunXosAsync(["server", "--data", data, "--address", $"127.0.0.1:{XosProcess.FreePort()}"],
            new Dictionary<string, string> { ["XOS_SM4"] = "rot13" });
        Assert.Equal((2, "xos: XOS_SM4: must be auto, gfni512, gfni256, libgcrypt or bouncycastle, not 'rot13'"), (code, stderr.Trim()));
        Assert.False(Directory.Exists(data));
    }
}
