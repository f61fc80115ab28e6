using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>
/// One writer overwrites and deletes a key while readers read it, through any gateways: no read that starts after a
/// write was acknowledged may return what was there before it. Every body names the step that wrote it, so a reader
/// knows exactly which write it sees.
/// </summary>
public static class ObjectCacheRace
{
    public static byte[] Body(int step, int size)
    {
        var body = new byte[size];
        Array.Fill(body, (byte)('a' + step % 26));
        Encoding.ASCII.GetBytes($"{step:D8}").CopyTo(body, 0);
        return body;
    }

    private static bool IsDelete(int step) => step % 5 == 0;

    /// <summary>The step whose body this is; fails on bytes no step wrote (a torn or mixed body).</summary>
    private static int StepOf(byte[] body, int size)
    {
        var step = int.Parse(Encoding.ASCII.GetString(body, 0, 8));
        Assert.True(body.AsSpan().SequenceEqual(Body(step, size)), $"the body of step {step} is not what step {step} wrote");
        return step;
    }

    /// <summary>The step read, or 0 for no such key.</summary>
    public static async Task<int> ReadAsync(IAmazonS3 s3, string bucket, string key, int size, string? versionId = null)
    {
        try
        {
            using var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
            using var buffer = new MemoryStream();
            await got.ResponseStream.CopyToAsync(buffer);
            return StepOf(buffer.ToArray(), size);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode == "NoSuchKey")
        {
            return 0;
        }
    }

    /// <summary>
    /// Runs <paramref name="steps"/> writes (every fifth a delete) through <paramref name="writer"/> while each of
    /// <paramref name="readers"/> reads in a loop; returns the version id each PUT step created.
    /// </summary>
    public static async Task<Dictionary<int, string>> RunAsync(IAmazonS3 writer, IReadOnlyList<IAmazonS3> readers, string bucket, string key,
        int size, int steps)
    {
        int started = 0, acknowledged = 0, done = 0;
        var versions = new Dictionary<int, string>();
        var reads = 0;
        async Task ReaderAsync(IAmazonS3 s3)
        {
            while (Volatile.Read(ref done) == 0)
            {
                var floor = Volatile.Read(ref acknowledged);
                var seen = await ReadAsync(s3, bucket, key, size);
                var ceiling = Volatile.Read(ref started);
                Interlocked.Increment(ref reads);
                if (seen != 0)
                {
                    Assert.True(seen >= floor, $"a read that started after step {floor} was acknowledged returned step {seen}'s bytes");
                    Assert.True(seen <= ceiling, $"a read returned step {seen} before it was written (step {ceiling} in flight)");
                }
                else
                {
                    var deleted = floor == 0 || IsDelete(floor) || Enumerable.Range(floor + 1, Math.Max(0, ceiling - floor)).Any(IsDelete);
                    Assert.True(deleted, $"a read that started after step {floor} (a PUT) was acknowledged found no such key, and no delete followed");
                }
            }
        }
        var readerTasks = readers.Select(r => Task.Run(() => ReaderAsync(r))).ToList();
        try
        {
            for (var step = 1; step <= steps; step++)
            {
                Volatile.Write(ref started, step);
                if (IsDelete(step)) await writer.DeleteObjectAsync(bucket, key);
                else
                {
                    var put = await writer.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(Body(step, size)) });
                    versions[step] = put.VersionId;
                }
                Volatile.Write(ref acknowledged, step);
                // The writer's own read right after the acknowledgement sees exactly this step, through every gateway.
                foreach (var s3 in readers.Prepend(writer))
                    Assert.Equal(IsDelete(step) ? 0 : step, await ReadAsync(s3, bucket, key, size));
                if (readerTasks.FirstOrDefault(t => t.IsFaulted) is { } failed) await failed;
            }
        }
        finally
        {
            Volatile.Write(ref done, 1);
        }
        await Task.WhenAll(readerTasks);
        Assert.True(reads > 0);
        return versions;
    }
}
