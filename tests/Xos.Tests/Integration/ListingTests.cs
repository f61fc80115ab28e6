using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Xos.Tests.Integration;

[Collection(XosCollection.Name)]
public sealed class ListingTests(XosFixture fixture)
{
    private static int Utf8Order(string a, string b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    [Fact]
    public async Task KeysListInUtf8ByteOrder()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("order");
        await s3.PutBucketAsync(bucket);
        string[] keys = ["a", "b", "Z", "é", "ä", "中", "\U0001F600", "\uFF01", "a/b", "a0"];
        foreach (var k in keys) await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = "x" });
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        var expected = keys.ToList();
        expected.Sort(Utf8Order);
        Assert.Equal(expected, listed.S3Objects.Select(o => o.Key));
        Assert.True(expected.IndexOf("\uFF01") < expected.IndexOf("\U0001F600"));
    }

    [Fact]
    public async Task DelimitedPaginationNeverRepeatsOrSkips()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("pages");
        await s3.PutBucketAsync(bucket);
        var keys = new List<string>();
        for (var d = 0; d < 7; d++)
            for (var f = 0; f < 3; f++) keys.Add($"dir{d}/file{f}");
        for (var f = 0; f < 5; f++) keys.Add($"top{f}");
        await Task.WhenAll(keys.Select(k => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = "x" })));

        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Delimiter = "/", MaxKeys = 3, Marker = marker });
            seen.AddRange(page.CommonPrefixes ?? []);
            seen.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            Assert.True((page.CommonPrefixes?.Count ?? 0) + (page.S3Objects?.Count ?? 0) <= 3);
            marker = page.IsTruncated == true ? page.NextMarker : null;
            if (page.IsTruncated == true) Assert.False(string.IsNullOrEmpty(page.NextMarker));
        } while (marker is not null);
        var expected = Enumerable.Range(0, 7).Select(d => $"dir{d}/").Concat(Enumerable.Range(0, 5).Select(f => $"top{f}")).ToList();
        Assert.Equal(expected.Order(), seen.Order());
        Assert.Equal(seen.Count, seen.Distinct().Count());

        var v2Seen = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/", MaxKeys = 4, ContinuationToken = token });
            v2Seen.AddRange(page.CommonPrefixes ?? []);
            v2Seen.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        Assert.Equal(expected.Order(), v2Seen.Order());
    }

    [Fact]
    public async Task ListObjectsV1ReturnsNextMarkerWithoutDelimiterAndCapsMaxKeys()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("cap");
        await s3.PutBucketAsync(bucket);
        await Task.WhenAll(Enumerable.Range(0, 1005).Select(i => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i:D4}", ContentBody = "x" })));
        var first = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, MaxKeys = 5000 });
        Assert.Equal(1000, first.S3Objects.Count);
        Assert.True(first.IsTruncated);
        Assert.Equal("k0999", first.NextMarker);
        var rest = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Marker = first.NextMarker });
        Assert.Equal(5, rest.S3Objects.Count);
        var after = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, StartAfter = "k1002" });
        Assert.Equal(["k1003", "k1004"], after.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task TamperedListingQueryIsRefusedAndUrlEncodingIsApplied()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = XosFixture.NewBucketName("maxkeys");
        await s3.PutBucketAsync(bucket);
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Expires = DateTime.UtcNow.AddMinutes(1), Verb = HttpVerb.GET, Protocol = Protocol.HTTP });
        using var http = new HttpClient();
        var response = await http.GetAsync(url + "&max-keys=-1");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode); // the query is signed: tampering is refused
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a b+c", ContentBody = "x" });
        var encoded = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Encoding = EncodingType.Url });
        // AWSSDK.S3 leaves the encoded key for the caller to decode.
        Assert.Equal(["a%20b%2Bc"], encoded.S3Objects.Select(o => o.Key));
        Assert.Equal("a b+c", Uri.UnescapeDataString(encoded.S3Objects[0].Key));
    }
}
