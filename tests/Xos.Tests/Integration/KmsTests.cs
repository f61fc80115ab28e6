using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>SSE-KMS with the built-in key service, driven by AWSSDK.S3 and administered with `xos admin kms` and the admin API.</summary>
[Collection(XosCollection.Name)]
public sealed class KmsTests(XosFixture fixture)
{
    private static async Task<byte[]> ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var got = await s3.GetObjectAsync(bucket, key);
        using var copy = new MemoryStream();
        await got.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task ObjectsUnderAKeyAreUnreadableWhileItIsDisabledAndSurviveRotation()
    {
        var server = fixture.Server;
        var keyId = "media-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Contains(keyId, await XosAdmin.RunAsync(server, "kms", "create", keyId, "--algorithm", "SM4"));
        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("kms");
        await s3.PutBucketAsync(bucket);
        var body = RandomNumberGenerator.GetBytes(150_000);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "clip", InputStream = new MemoryStream(body),
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.Equal(keyId, put.ServerSideEncryptionKeyManagementServiceKeyId);
        var head = await s3.GetObjectMetadataAsync(bucket, "clip");
        Assert.Equal(keyId, head.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.Equal(body, await ReadAsync(s3, bucket, "clip"));

        await XosAdmin.RunAsync(server, "kms", "disable", keyId);
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(s3, bucket, "clip"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var writeRefused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "other", ContentBody = "x",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        }));
        Assert.Equal(HttpStatusCode.Forbidden, writeRefused.StatusCode);
        await XosAdmin.RunAsync(server, "kms", "enable", keyId);
        Assert.Equal(body, await ReadAsync(s3, bucket, "clip"));

        // Rotation: new objects use the new version, old ones keep theirs.
        Assert.Contains("version 2", await XosAdmin.RunAsync(server, "kms", "rotate", keyId));
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "after", ContentBody = "rotated",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        });
        Assert.Equal(body, await ReadAsync(s3, bucket, "clip"));
        Assert.Equal("rotated"u8.ToArray(), await ReadAsync(s3, bucket, "after"));

        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "nokey", ContentBody = "x",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = "no-such-key",
        }));
        Assert.Equal(("KMS.NotFoundException", HttpStatusCode.BadRequest), (unknown.ErrorCode, unknown.StatusCode));
    }

    [Fact]
    public async Task BucketDefaultKmsEncryptionAndTheAdminApi()
    {
        var server = fixture.Server;
        // The admin HTTP API, signed with the root credentials.
        using var admin = new Xos.Server.Bench.S3BenchClient(new Xos.Server.Bench.BenchOptions
        {
            Endpoint = new Uri(server.Endpoint), AccessKey = XosProcess.AccessKey, SecretKey = XosProcess.SecretKey,
        });
        var keyId = "bucket-default-" + Guid.NewGuid().ToString("N")[..8];
        var created = await admin.SendForTextAsync(admin.Create(HttpMethod.Post, "_xos", "admin/kms/keys", content: new StringContent($$"""{"name":"{{keyId}}"}""")), default);
        Assert.Contains("\"enabled\": true", created);
        Assert.Contains(keyId, await admin.SendForTextAsync(admin.Create(HttpMethod.Get, "_xos", "admin/kms/keys"), default));

        using var s3 = server.CreateClient();
        var bucket = XosFixture.NewBucketName("kmsdef");
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules =
                [
                    new ServerSideEncryptionRule
                    {
                        ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault
                        {
                            ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = keyId,
                        },
                        BucketKeyEnabled = true,
                    },
                ],
            },
        });
        var config = (await s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket })).ServerSideEncryptionConfiguration.ServerSideEncryptionRules.Single();
        Assert.Equal(keyId, config.ServerSideEncryptionByDefault.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.True(config.BucketKeyEnabled);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "by default" });
        Assert.Equal(keyId, put.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.True(put.BucketKeyEnabled);
        Assert.Equal("by default"u8.ToArray(), await ReadAsync(s3, bucket, "k"));
    }
}
