using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Responses shaped as AWS shapes them: owners and grants, re-created buckets, listing edge cases, object headers.</summary>
[Collection(XosCollection.Name)]
public sealed class ResponseShapeTests(XosFixture fixture)
{
    private static readonly XNamespace S3Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

    private async Task<(XosAdmin.CreatedUser User, AmazonS3Client S3)> NewUserAsync(string hint)
    {
        var user = await XosAdmin.AddUserAsync(fixture.Server, $"{hint}-{Guid.NewGuid():N}"[..(hint.Length + 7)]);
        return (user, fixture.Server.CreateClient(user.AccessKey, user.SecretKey));
    }

    private async Task<string> NewBucketAsync(AmazonS3Client s3, S3CannedACL? acl = null)
    {
        var bucket = XosFixture.NewBucketName("shape");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = acl });
        return bucket;
    }

    /// <summary>Sends header values as UTF-8 and reads them as Latin-1, as botocore and most HTTP clients do.</summary>
    private static HttpClient Utf8InLatin1OutClient() => new(new SocketsHttpHandler
    {
        RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        ResponseHeaderEncodingSelector = (_, _) => Encoding.Latin1,
    });

    [Fact]
    public async Task AclListsGroupGrantsFirstAndNamesUsersByDisplayName()
    {
        var (user, s3) = await NewUserAsync("carol");
        using var _ = s3;
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicReadWrite);
        var acl = await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        Assert.Equal((user.CanonicalId, user.User), (acl.Owner.Id, acl.Owner.DisplayName));
        Assert.Equal(
            [(GranteeType.Group, Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", "READ"),
             (GranteeType.Group, "http://acs.amazonaws.com/groups/global/AllUsers", "WRITE"),
             (GranteeType.CanonicalUser, user.CanonicalId, "FULL_CONTROL")],
            acl.Grants.Select(g => (g.Grantee.Type, g.Grantee.URI ?? g.Grantee.CanonicalUser, g.Permission.Value)).ToList());
        Assert.Equal(user.User, acl.Grants[2].Grantee.DisplayName);
        Assert.Null(acl.Grants[0].Grantee.DisplayName);
    }

    [Fact]
    public async Task EmailGranteesCannotBeResolved()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAclAsync(new PutBucketAclRequest
            { BucketName = bucket, GrantFullControl = "emailAddress=\"nobody@example.invalid\"" }));
        Assert.Equal(("UnresolvableGrantByEmailAddress", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task ListingsNameOwnersByDisplayName()
    {
        var (user, s3) = await NewUserAsync("dave");
        using var _ = s3;
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "pending");

        Assert.Equal(user.User, (await s3.ListBucketsAsync()).Owner.DisplayName);
        Assert.Equal(user.User, Assert.Single((await s3.ListObjectsAsync(bucket)).S3Objects).Owner.DisplayName);
        Assert.Equal(user.User, Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, FetchOwner = true })).S3Objects).Owner.DisplayName);
        Assert.Equal(user.User, Assert.Single((await s3.ListVersionsAsync(bucket)).Versions).Owner.DisplayName);
        var listed = Assert.Single((await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads);
        Assert.Equal((user.User, user.User), (listed.Initiator.DisplayName, listed.Owner.DisplayName));
        var parts = await s3.ListPartsAsync(bucket, "pending", upload.UploadId);
        Assert.Equal((user.User, user.User), (parts.Initiator.DisplayName, parts.Owner.DisplayName));
    }

    [Fact]
    public async Task RecreatingOwnBucketInUsEast1SucceedsWithoutChangingItsAcl()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicRead);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kept", ContentBody = "x" });
        var again = await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = S3CannedACL.PublicRead });
        Assert.Equal(HttpStatusCode.OK, again.HttpStatusCode);
        var otherAcl = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(bucket));
        Assert.Equal(("BucketAlreadyExists", HttpStatusCode.Conflict), (otherAcl.ErrorCode, otherAcl.StatusCode));
        Assert.Contains((await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket })).Grants,
            g => g.Grantee.URI == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == S3Permission.READ);
        Assert.Equal(["kept"], (await s3.ListObjectsAsync(bucket)).S3Objects.Select(o => o.Key));

        var (_, other) = await NewUserAsync("erin");
        using var __ = other;
        var taken = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = S3CannedACL.PublicRead }));
        Assert.Equal(("BucketAlreadyExists", HttpStatusCode.Conflict), (taken.ErrorCode, taken.StatusCode));
    }

    [Fact]
    public async Task MaxKeysZeroAndEmptyContinuationToken()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicRead);
        foreach (var key in new[] { "a", "b" }) await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "x" });
        var v1 = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, MaxKeys = 0 });
        Assert.Equal((false, 0), (v1.IsTruncated ?? false, v1.S3Objects?.Count ?? 0));
        var v2 = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 0 });
        Assert.Equal((false, 0), (v2.IsTruncated ?? false, v2.S3Objects?.Count ?? 0));

        using var http = new HttpClient();
        var fromStart = await http.GetStringAsync($"{fixture.Server.Endpoint}/{bucket}?list-type=2&continuation-token=");
        var doc = XDocument.Parse(fromStart).Root!;
        Assert.Equal("", doc.Element(S3Ns + "ContinuationToken")!.Value);
        Assert.Equal(["a", "b"], doc.Elements(S3Ns + "Contents").Select(c => c.Element(S3Ns + "Key")!.Value));
    }

    [Fact]
    public async Task ListObjectsV1EncodesKeysButNotThePrefix()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicRead);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a b/c d", ContentBody = "x" });
        using var http = new HttpClient();
        var doc = XDocument.Parse(await http.GetStringAsync($"{fixture.Server.Endpoint}/{bucket}?prefix=a%20b&encoding-type=url")).Root!;
        Assert.Equal("a b", doc.Element(S3Ns + "Prefix")!.Value);
        Assert.Equal("a%20b/c%20d", doc.Element(S3Ns + "Contents")!.Element(S3Ns + "Key")!.Value);
    }

    [Fact]
    public async Task ListBucketsPagesByMaxBucketsWithPrefix()
    {
        var (_, s3) = await NewUserAsync("frank");
        using var _ = s3;
        var names = new List<string>();
        for (var i = 0; i < 3; i++) names.Add(await NewBucketAsync(s3));
        names.Sort(StringComparer.Ordinal);

        var first = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 2 });
        Assert.Equal(names[..2], first.Buckets.Select(b => b.BucketName));
        Assert.NotNull(first.ContinuationToken);
        var rest = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 2, ContinuationToken = first.ContinuationToken });
        Assert.Equal(names[2..], rest.Buckets.Select(b => b.BucketName));
        Assert.Null(rest.ContinuationToken);

        var byPrefix = await s3.ListBucketsAsync(new ListBucketsRequest { Prefix = names[1] });
        Assert.Equal([names[1]], byPrefix.Buckets.Select(b => b.BucketName));
        Assert.Equal(names[1], byPrefix.Prefix);
        var bad = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 10001 }));
        Assert.Equal(("InvalidArgument", HttpStatusCode.BadRequest), (bad.ErrorCode, bad.StatusCode));
    }

    [Fact]
    public async Task WritesReturnVersionIdOnlyWhenVersioningIsEnabled()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3);
        Assert.Null((await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" })).VersionId);
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        Assert.NotNull((await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" })).VersionId);
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Suspended } });
        Assert.Null((await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" })).VersionId);
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[10]) });
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)] });
        Assert.Null(done.VersionId);
    }

    [Fact]
    public async Task MissingKeyIsNotADeleteMarker()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicRead);
        using var http = new HttpClient();
        var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{fixture.Server.Endpoint}/{bucket}/missing"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(["false"], head.Headers.GetValues("x-amz-delete-marker"));
    }

    [Fact]
    public async Task NonAsciiUserMetadataComesBackAsLatin1OrRfc2047()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicReadWrite);
        using var http = Utf8InLatin1OutClient();
        var put = new HttpRequestMessage(HttpMethod.Put, $"{fixture.Server.Endpoint}/{bucket}/meta") { Content = new ByteArrayContent([]) };
        put.Headers.Add("x-amz-acl", "public-read");
        put.Headers.Add("x-amz-meta-latin", "Hello World\u00e9");
        put.Headers.Add("x-amz-meta-cjk", "\u4e2d");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(put)).StatusCode);
        var got = await http.GetAsync($"{fixture.Server.Endpoint}/{bucket}/meta");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("Hello World\u00e9", got.Headers.GetValues("x-amz-meta-latin").Single());
        Assert.Equal("=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("\u4e2d")) + "?=", got.Headers.GetValues("x-amz-meta-cjk").Single());
    }

    [Fact]
    public async Task ContentEncodingIsKeptVerbatimWithoutAwsChunked()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3);
        using var http = new HttpClient();
        foreach (var (sent, stored) in new[] { ("deflate, gzip", "deflate, gzip"), ("gzip, aws-chunked", "gzip"), ("aws-chunked", null) })
        {
            var put = new PutObjectRequest { BucketName = bucket, Key = "enc", ContentBody = "x", CannedACL = S3CannedACL.PublicRead };
            put.Headers.ContentEncoding = sent;
            await s3.PutObjectAsync(put);
            var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{fixture.Server.Endpoint}/{bucket}/enc"));
            Assert.Equal(stored, head.Content.Headers.NonValidated.TryGetValues("Content-Encoding", out var v) ? v.ToString() : null);
        }
    }

    [Fact]
    public async Task TaggingHeaderTagsAreListedByKey()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicReadWrite);
        using var http = new HttpClient();
        var put = new HttpRequestMessage(HttpMethod.Put, $"{fixture.Server.Endpoint}/{bucket}/tagged") { Content = new StringContent("x") };
        put.Headers.Add("x-amz-tagging", "foo=bar&bar");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(put)).StatusCode);
        var tags = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "tagged" });
        Assert.Equal([("bar", ""), ("foo", "bar")], tags.Tagging.Select(t => (t.Key, t.Value ?? "")));
    }

    [Fact]
    public async Task ExpectedBucketOwnerIsEnforced()
    {
        var (user, s3) = await NewUserAsync("gina");
        using var _ = s3;
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", ExpectedBucketOwner = user.CanonicalId });
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
            { BucketName = bucket, Key = "k", ContentBody = "x", ExpectedBucketOwner = user.CanonicalId + "foo" }));
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (put.ErrorCode, put.StatusCode));
        var list = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, ExpectedBucketOwner = "123456789012" }));
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (list.ErrorCode, list.StatusCode));
    }

    [Fact]
    public async Task EncryptionHeadersAreRefusedWhereTheyDoNotBelong()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicReadWrite);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "plain", ContentBody = "x" });
        using var http = new HttpClient();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            var read = new HttpRequestMessage(method, $"{fixture.Server.Endpoint}/{bucket}/plain");
            read.Headers.Add("x-amz-server-side-encryption", "AES256");
            Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(read)).StatusCode);
        }
        var keyOnly = new HttpRequestMessage(HttpMethod.Put, $"{fixture.Server.Endpoint}/{bucket}/sse-c") { Content = new StringContent("x") };
        keyOnly.Headers.Add("x-amz-server-side-encryption-customer-key", "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=");
        keyOnly.Headers.Add("x-amz-server-side-encryption-customer-key-md5", "DWygnHRtgiJ77HCm+1rvHw==");
        var refused = await http.SendAsync(keyOnly);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("<Code>InvalidArgument</Code>", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{fixture.Server.Endpoint}/{bucket}/sse-c")).StatusCode);
    }

    [Fact]
    public async Task PutAndHeadAnnounceExpirationAtTheMidnightRuleDaysAfterCreation()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3);
        await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration { Rules = [new LifecycleRule { Id = "tmp", Status = LifecycleRuleStatus.Enabled,
                Filter = new LifecycleFilter { Prefix = "tmp/" }, Expiration = new LifecycleRuleExpiration { Days = 2 } }] },
        });
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "tmp/x", ContentBody = "x" });
        var head = await s3.GetObjectMetadataAsync(bucket, "tmp/x");
        var expected = head.LastModified!.Value.ToUniversalTime().Date.AddDays(3);
        Assert.Equal(("tmp", expected), (put.Expiration.RuleId, put.Expiration.ExpiryDate.ToUniversalTime()));
        Assert.Equal(("tmp", expected), (head.Expiration.RuleId, head.Expiration.ExpiryDate.ToUniversalTime()));
        Assert.Null((await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kept", ContentBody = "x" })).Expiration);
    }

    [Fact]
    public async Task ActualRequestNamingAMethodIsMatchedAsThatMethod()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3, S3CannedACL.PublicRead);
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = bucket, Configuration = new CORSConfiguration { Rules =
            [new CORSRule { AllowedMethods = ["GET"], AllowedOrigins = ["*suffix"] }] } });
        using var http = new HttpClient();
        async Task<string?> AllowedOrigin(string? requestMethod)
        {
            var put = new HttpRequestMessage(HttpMethod.Put, $"{fixture.Server.Endpoint}/{bucket}/bar") { Content = new ByteArrayContent([]) };
            put.Headers.Add("Origin", "foo.suffix");
            if (requestMethod is not null) put.Headers.Add("Access-Control-Request-Method", requestMethod);
            var response = await http.SendAsync(put);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) ? v.Single() : null;
        }
        Assert.Equal("foo.suffix", await AllowedOrigin("GET"));
        Assert.Null(await AllowedOrigin("PUT"));
        Assert.Null(await AllowedOrigin(null));
    }

    [Fact]
    public async Task TorrentDescribesTheObjectByPieceHashes()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3);
        var data = new byte[Xos.Server.Objects.GetObjectTorrent.PieceLength + 10];
        Random.Shared.NextBytes(data);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "videos/clip.mp4", InputStream = new MemoryStream(data) });
        using var torrent = await s3.GetObjectTorrentAsync(new GetObjectTorrentRequest { BucketName = bucket, Key = "videos/clip.mp4" });
        var bytes = new MemoryStream();
        await torrent.ResponseStream.CopyToAsync(bytes);
        var pieces = System.Security.Cryptography.SHA1.HashData(data.AsSpan(0, Xos.Server.Objects.GetObjectTorrent.PieceLength))
            .Concat(System.Security.Cryptography.SHA1.HashData(data.AsSpan(Xos.Server.Objects.GetObjectTorrent.PieceLength))).ToArray();
        var expected = Encoding.ASCII.GetBytes($"d4:infod6:lengthi{data.Length}e4:name8:clip.mp412:piece lengthi262144e6:pieces40:")
            .Concat(pieces).Concat(Encoding.ASCII.GetBytes($"e12:x-amz-bucket{bucket.Length}:{bucket}9:x-amz-key15:videos/clip.mp4e")).ToArray();
        Assert.Equal(expected, bytes.ToArray());

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectTorrentAsync(new GetObjectTorrentRequest { BucketName = bucket, Key = "nope" }));
        Assert.Equal(("NoSuchKey", HttpStatusCode.NotFound), (missing.ErrorCode, missing.StatusCode));
    }

    [Fact]
    public async Task PartNumberBeyondThePartsIsInvalidPart()
    {
        using var s3 = fixture.Server.CreateClient();
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "single", ContentBody = "x" });
        using (var whole = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "single", PartNumber = 1 }))
            Assert.Equal(1, whole.ContentLength);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "single", PartNumber = 2 }));
        Assert.Equal(("InvalidPart", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
    }
}
