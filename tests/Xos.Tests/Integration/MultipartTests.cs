using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class MultipartTests(XosFixture fixture)
{
    private const int FiveMiB = 5 * 1024 * 1024;

    private static byte[] Random(int size)
    {
        var b = new byte[size];
        System.Random.Shared.NextBytes(b);
        return b;
    }

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("mpu");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static async Task<PartETag> UploadAsync(AmazonS3Client s3, string bucket, string key, string uploadId, int number, byte[] data)
    {
        var r = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data) });
        return new PartETag(number, r.ETag);
    }

    [Fact]
    public async Task CompleteAssemblesPartsWithTheMultipartETag()
    {
        var (s3, bucket) = await NewBucketAsync();
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "big", ContentType = "video/mp4" });
        byte[][] parts = [Random(FiveMiB), Random(FiveMiB), [42]];
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++) etags.Add(await UploadAsync(s3, bucket, "big", upload.UploadId, i + 1, parts[i]));
        // Re-uploading a part number replaces it.
        parts[1] = Random(FiveMiB);
        etags[1] = await UploadAsync(s3, bucket, "big", upload.UploadId, 2, parts[1]);

        var listed = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "big", UploadId = upload.UploadId, MaxParts = 1, PartNumberMarker = "1" });
        Assert.Equal([2], listed.Parts.Select(p => p.PartNumber ?? 0));
        Assert.True(listed.IsTruncated);

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "big", UploadId = upload.UploadId, PartETags = etags });
        var expected = Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(MD5.HashData).ToArray())) + "-3";
        Assert.Equal($"\"{expected}\"", done.ETag);

        using var got = await s3.GetObjectAsync(bucket, "big");
        var body = new MemoryStream();
        await got.ResponseStream.CopyToAsync(body);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), body.ToArray());
        Assert.Equal("video/mp4", got.Headers.ContentType);

        using var part2 = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "big", PartNumber = 2 });
        var p2 = new MemoryStream();
        await part2.ResponseStream.CopyToAsync(p2);
        Assert.Equal(parts[1], p2.ToArray());
        Assert.Equal(3, part2.PartsCount);
    }

    [Fact]
    public async Task CompletionRulesAreEnforced()
    {
        var (s3, bucket) = await NewBucketAsync();
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "rules");
        var small1 = await UploadAsync(s3, bucket, "rules", upload.UploadId, 1, [1, 2, 3]);
        var small2 = await UploadAsync(s3, bucket, "rules", upload.UploadId, 2, [4, 5, 6]);

        async Task<AmazonS3Exception> Complete(params PartETag[] tags) => await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "rules", UploadId = upload.UploadId, PartETags = tags.ToList() }));

        Assert.Equal("EntityTooSmall", (await Complete(small1, small2)).ErrorCode);
        Assert.Equal("InvalidPart", (await Complete(new PartETag(1, "\"00000000000000000000000000000000\""))).ErrorCode);
        Assert.Equal("InvalidPart", (await Complete(new PartETag(7, small1.ETag))).ErrorCode);
        var order = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "rules", UploadId = upload.UploadId,
            PartETags = [new PartETag(2, small2.ETag), new PartETag(1, small1.ETag)],
        }));
        // The SDK sorts parts before sending; a raw out-of-order request is covered by the Node suite's rules.
        Assert.Contains(order.ErrorCode, new[] { "InvalidPartOrder", "EntityTooSmall" });

        foreach (var number in new[] { 0, 10001 })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.UploadPartAsync(new UploadPartRequest
                { BucketName = bucket, Key = "rules", UploadId = upload.UploadId, PartNumber = number, InputStream = new MemoryStream([1]) }));
            Assert.Equal(("InvalidArgument", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
        }

        await s3.AbortMultipartUploadAsync(bucket, "rules", upload.UploadId);
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListPartsAsync(bucket, "rules", upload.UploadId));
        Assert.Equal(("NoSuchUpload", HttpStatusCode.NotFound), (gone.ErrorCode, gone.StatusCode));
    }

    [Fact]
    public async Task ListMultipartUploadsPaginatesByKeyAndUploadId()
    {
        var (s3, bucket) = await NewBucketAsync();
        var ids = new List<(string Key, string UploadId)>();
        foreach (var key in new[] { "a/1", "a/2", "b", "b", "c" })
            ids.Add((key, (await s3.InitiateMultipartUploadAsync(bucket, key)).UploadId));
        var seen = new List<(string, string)>();
        string? keyMarker = null, uploadMarker = null;
        do
        {
            var page = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
                { BucketName = bucket, MaxUploads = 2, KeyMarker = keyMarker, UploadIdMarker = uploadMarker });
            seen.AddRange((page.MultipartUploads ?? []).Select(u => (u.Key, u.UploadId)));
            (keyMarker, uploadMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextUploadIdMarker) : (null, null);
        } while (keyMarker is not null);
        Assert.Equal(ids.OrderBy(i => i.Key, StringComparer.Ordinal).ThenBy(i => i.UploadId, StringComparer.Ordinal), seen);
        var rolled = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(["a/"], rolled.CommonPrefixes);
        Assert.Equal(["b", "b", "c"], rolled.MultipartUploads.Select(u => u.Key));
    }

    [Fact]
    public async Task UploadPartCopyWithAndWithoutRange()
    {
        var (s3, bucket) = await NewBucketAsync();
        var source = Random(FiveMiB + 100);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "源", InputStream = new MemoryStream(source) });
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "assembled");
        var p1 = await s3.CopyPartAsync(new CopyPartRequest { SourceBucket = bucket, SourceKey = "源", DestinationBucket = bucket, DestinationKey = "assembled",
            UploadId = upload.UploadId, PartNumber = 1, FirstByte = 0, LastByte = FiveMiB - 1 });
        var p2 = await s3.CopyPartAsync(new CopyPartRequest { SourceBucket = bucket, SourceKey = "源", DestinationBucket = bucket, DestinationKey = "assembled",
            UploadId = upload.UploadId, PartNumber = 2 });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "assembled", UploadId = upload.UploadId,
            PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)] });
        using var got = await s3.GetObjectAsync(bucket, "assembled");
        var body = new MemoryStream();
        await got.ResponseStream.CopyToAsync(body);
        Assert.Equal(source.Take(FiveMiB).Concat(source).ToArray(), body.ToArray());
        var badRange = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyPartAsync(new CopyPartRequest { SourceBucket = bucket, SourceKey = "源",
            DestinationBucket = bucket, DestinationKey = "assembled2", UploadId = (s3.InitiateMultipartUploadAsync(bucket, "assembled2").Result).UploadId,
            PartNumber = 1, FirstByte = 0, LastByte = source.Length + 10 }));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, badRange.StatusCode);
    }

    [Fact]
    public async Task TransferUtilityUploadsAndDownloadsALargeFile()
    {
        var (s3, bucket) = await NewBucketAsync();
        var file = Path.GetTempFileName();
        var download = file + ".down";
        try
        {
            var data = Random(17 * 1024 * 1024 + 3);
            await File.WriteAllBytesAsync(file, data);
            using var transfer = new TransferUtility(s3);
            await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = "movie.bin", FilePath = file, PartSize = FiveMiB });
            var head = await s3.GetObjectMetadataAsync(bucket, "movie.bin");
            Assert.EndsWith("-4\"", head.ETag);
            await transfer.DownloadAsync(new TransferUtilityDownloadRequest { BucketName = bucket, Key = "movie.bin", FilePath = download });
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await File.ReadAllBytesAsync(download)));
        }
        finally
        {
            File.Delete(file);
            File.Delete(download);
        }
    }

    [Fact]
    public async Task ARetriedCompletionGetsTheSameAnswer()
    {
        var (s3, bucket) = await NewBucketAsync();
        var init = await s3.InitiateMultipartUploadAsync(bucket, "again");
        var part = await UploadAsync(s3, bucket, "again", init.UploadId, 1, Random(1000));
        var request = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "again", UploadId = init.UploadId, PartETags = [part] };
        var first = await s3.CompleteMultipartUploadAsync(request);
        var second = await s3.CompleteMultipartUploadAsync(request);
        Assert.Equal(first.ETag, second.ETag);
        await s3.DeleteObjectAsync(bucket, "again");
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(request));
        Assert.Equal("NoSuchUpload", gone.ErrorCode);
    }

    [Fact]
    public async Task APartNumberListedTwiceCountsWithItsLastEntry()
    {
        var (s3, bucket) = await NewBucketAsync();
        var init = await s3.InitiateMultipartUploadAsync(bucket, "dup");
        var stale = await UploadAsync(s3, bucket, "dup", init.UploadId, 1, "BBBBBBBB"u8.ToArray());
        var fresh = await UploadAsync(s3, bucket, "dup", init.UploadId, 1, "AAAAAAAA"u8.ToArray());
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "dup", UploadId = init.UploadId, PartETags = [stale, fresh] });
        using var got = await s3.GetObjectAsync(bucket, "dup");
        Assert.Equal("AAAAAAAA", await new StreamReader(got.ResponseStream).ReadToEndAsync());
    }
}
