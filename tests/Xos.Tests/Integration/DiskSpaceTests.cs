using System.Diagnostics;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Xunit.Abstractions;

namespace Xos.Tests.Integration;

/// <summary>A full disk, or one below the free-space reserve: writes answer 507 InsufficientStorage, nothing is lost, reads go on.</summary>
public sealed class DiskSpaceTests(ITestOutputHelper output)
{
    private static async Task AssertInsufficientStorageAsync(Func<Task> write)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(write);
        Assert.Equal(("InsufficientStorage", (HttpStatusCode)507), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task BelowTheReserveWritesAreRefusedWith507AndReadsGoOn()
    {
        var data = Path.Combine(Path.GetTempPath(), "xos-test-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await using (var server = await XosProcess.StartAsync(data))
            {
                using var s3 = server.CreateClient();
                await s3.PutBucketAsync("media");
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "kept.mp4", ContentBody = "frames" });
            }
            // A reserve larger than any disk: every write is below it.
            await using var full = await XosProcess.StartAsync(data, environment: new Dictionary<string, string> { ["XOS_MIN_FREE"] = "100%" });
            using var client = full.CreateClient();
            await AssertInsufficientStorageAsync(() => client.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "new.mp4", ContentBody = "more" }));
            var upload = await client.InitiateMultipartUploadAsync("media", "parts.mp4");
            await AssertInsufficientStorageAsync(() => client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "media", Key = "parts.mp4", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[1024]),
            }));
            await AssertInsufficientStorageAsync(() => client.CopyObjectAsync("media", "kept.mp4", "media", "copy.mp4"));
            using (var got = await client.GetObjectAsync("media", "kept.mp4"))
                Assert.Equal("frames", await new StreamReader(got.ResponseStream).ReadToEndAsync());
            using var http = new HttpClient();
            var ready = await http.GetAsync($"{full.Endpoint}/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("below the reserve", await ready.Content.ReadAsStringAsync());
            for (var i = 0; i < 50 && !full.Output.Contains("writes refused"); i++) await Task.Delay(100);
            Assert.Contains("writes refused", full.Output);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }

    [Fact]
    public async Task AReallyFullDiskIsAnsweredWith507AndRecoversAfterDeletes()
    {
        if (Environment.UserName != "root" || !File.Exists("/bin/mount"))
        {
            output.WriteLine("skipped: mounting a small tmpfs needs root");
            return;
        }
        var mount = Path.Combine(Path.GetTempPath(), "xos-full-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        if (Run("/bin/mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount) != 0)
        {
            output.WriteLine("skipped: mount -t tmpfs failed (no privilege in this container)");
            return;
        }
        try
        {
            // No reserve, so the disk really fills.
            await using var server = await XosProcess.StartAsync(Path.Combine(mount, "data"), environment: new Dictionary<string, string> { ["XOS_MIN_FREE"] = "0" });
            using var s3 = server.CreateClient();
            await s3.PutBucketAsync("media");
            var body = new byte[8 << 20];
            Random.Shared.NextBytes(body);
            var stored = new List<string>();
            AmazonS3Exception? refused = null;
            for (var i = 0; i < 10 && refused is null; i++)
            {
                try
                {
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = $"clip-{i}", InputStream = new MemoryStream(body) });
                    stored.Add($"clip-{i}");
                }
                catch (AmazonS3Exception e)
                {
                    refused = e;
                }
            }
            Assert.NotNull(refused);
            Assert.Equal(("InsufficientStorage", (HttpStatusCode)507), (refused.ErrorCode, refused.StatusCode));
            Assert.NotEmpty(stored);
            output.WriteLine($"{stored.Count} objects of 8 MiB stored before the disk filled; then {refused.ErrorCode}");
            foreach (var key in stored)
            {
                using var got = await s3.GetObjectAsync("media", key);
                var copy = new MemoryStream();
                await got.ResponseStream.CopyToAsync(copy);
                Assert.True(copy.ToArray().AsSpan().SequenceEqual(body), $"{key} changed");
            }
            Assert.Empty(Directory.GetFiles(Path.Combine(mount, "data", "tmp")));
            foreach (var key in stored) await s3.DeleteObjectAsync("media", key);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "media", Key = "after", InputStream = new MemoryStream(body) });
        }
        finally
        {
            Run("/bin/umount", "-l", mount);
            try { Directory.Delete(mount, recursive: true); }
            catch (IOException) { }
        }
    }

    private static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
