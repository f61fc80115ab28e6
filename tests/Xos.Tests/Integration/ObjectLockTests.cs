using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Xos.Tests.Integration;

/// <summary>Object lock through AWSSDK.S3: every path that removes a version is tried against a locked one.</summary>
public sealed class ObjectLockTests
{
    private static async Task<(XosProcess Server, AmazonS3Client S3)> StartAsync()
    {
        // A one-second lifecycle day, so that the lifecycle path is tried too.
        var server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
        {
            ["XOS_LIFECYCLE_DAY_SECONDS"] = "1",
            ["XOS_LIFECYCLE_INTERVAL_SECONDS"] = "0.25",
        });
        return (server, server.CreateClient());
    }

    private static async Task<string> PutAsync(AmazonS3Client s3, string bucket, string key, string body, ObjectLockMode? mode = null, DateTime? until = null, bool hold = false)
    {
        var put = new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = body, ChecksumAlgorithm = ChecksumAlgorithm.CRC32 };
        if (mode is not null)
        {
            put.ObjectLockMode = mode;
            put.ObjectLockRetainUntilDate = until!.Value;
        }
        if (hold) put.ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On;
        return (await s3.PutObjectAsync(put)).VersionId;
    }

    private static async Task AssertDeniedAsync(Func<Task> action)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(action);
        Assert.Equal(("AccessDenied", HttpStatusCode.Forbidden), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task LockedVersionsSurviveEveryPathThatDeletes()
    {
        var (server, s3) = await StartAsync();
        await using var _ = server;
        using var __ = s3;
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = "vault", ObjectLockEnabledForBucket = true });
        Assert.Equal(VersionStatus.Enabled, (await s3.GetBucketVersioningAsync("vault")).VersioningConfig.Status);
        var until = DateTime.UtcNow.AddDays(1);
        var governed = await PutAsync(s3, "vault", "governed", "g", ObjectLockMode.Governance, until);
        var complied = await PutAsync(s3, "vault", "complied", "c", ObjectLockMode.Compliance, until);
        var held = await PutAsync(s3, "vault", "held", "h", hold: true);

        // DeleteObject of a version, and DeleteObjects naming it.
        foreach (var (key, version) in new[] { ("governed", governed), ("complied", complied), ("held", held) })
        {
            await AssertDeniedAsync(() => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = "vault", Key = key, VersionId = version }));
            // AWSSDK.S3 reports per-key errors of DeleteObjects as an exception.
            var batch = await Assert.ThrowsAsync<DeleteObjectsException>(() =>
                s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "vault", Objects = [new KeyVersion { Key = key, VersionId = version }] }));
            Assert.Equal("AccessDenied", Assert.Single(batch.Response.DeleteErrors).Code);
        }
        // A delete without a version only adds a marker; the locked version is still there to read.
        await s3.DeleteObjectAsync("vault", "governed");
        using (var old = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "vault", Key = "governed", VersionId = governed }))
        {
            Assert.Equal("GOVERNANCE", old.ObjectLockMode?.Value);
            Assert.Equal("g", await new StreamReader(old.ResponseStream).ReadToEndAsync());
        }
        // Versioning cannot be suspended, and a lifecycle rule expiring every version leaves locked ones alone.
        var suspend = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = "vault", VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Suspended },
        }));
        Assert.Equal(("InvalidBucketState", HttpStatusCode.Conflict), (suspend.ErrorCode, suspend.StatusCode));
        await PutAsync(s3, "vault", "complied", "newer");
        // An unprotected noncurrent version, to see the lifecycle rule act.
        var free = await PutAsync(s3, "vault", "free", "old");
        await PutAsync(s3, "vault", "free", "new");
        await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = "vault",
            Configuration = new LifecycleConfiguration { Rules =
            [
                new LifecycleRule { Id = "all", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "" },
                    NoncurrentVersionExpiration = new LifecycleRuleNoncurrentVersionExpiration { NoncurrentDays = 1 } },
            ] },
        });
        List<string> versions = [];
        for (var waited = 0; waited < 40; waited++)
        {
            versions = (await s3.ListVersionsAsync("vault")).Versions.Where(v => v.IsDeleteMarker != true).Select(v => v.VersionId).ToList();
            if (!versions.Contains(free)) break;
            await Task.Delay(250);
        }
        Assert.DoesNotContain(free, versions);
        Assert.Contains(governed, versions);
        Assert.Contains(complied, versions);
        Assert.Contains(held, versions);
        var bucketGone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync("vault"));
        Assert.Equal("BucketNotEmpty", bucketGone.ErrorCode);

        // Governance yields to its bypass; compliance to nothing; a legal hold once it is off.
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = "vault", Key = "governed", VersionId = governed, BypassGovernanceRetention = true });
        await AssertDeniedAsync(() => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = "vault", Key = "complied", VersionId = complied, BypassGovernanceRetention = true }));
        await s3.PutObjectLegalHoldAsync(new PutObjectLegalHoldRequest { BucketName = "vault", Key = "held", VersionId = held, LegalHold = new ObjectLockLegalHold { Status = ObjectLockLegalHoldStatus.Off } });
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = "vault", Key = "held", VersionId = held });
    }

    [Fact]
    public async Task RetentionCanBeExtendedButOnlyGovernanceCanBeShortenedWithBypass()
    {
        var (server, s3) = await StartAsync();
        await using var _ = server;
        using var __ = s3;
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = "retain", ObjectLockEnabledForBucket = true });
        await s3.PutObjectLockConfigurationAsync(new PutObjectLockConfigurationRequest
        {
            BucketName = "retain",
            ObjectLockConfiguration = new ObjectLockConfiguration
            {
                ObjectLockEnabled = ObjectLockEnabled.Enabled,
                Rule = new ObjectLockRule { DefaultRetention = new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 2 } },
            },
        });
        await PutAsync(s3, "retain", "by-default", "d");
        var retention = (await s3.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = "retain", Key = "by-default" })).Retention;
        Assert.Equal(ObjectLockRetentionMode.Governance, retention.Mode);
        Assert.InRange(retention.RetainUntilDate!.Value, DateTime.UtcNow.AddDays(2).AddMinutes(-5), DateTime.UtcNow.AddDays(2).AddMinutes(5));

        PutObjectRetentionRequest Retain(string mode, DateTime until, bool bypass = false) => new()
        {
            BucketName = "retain", Key = "by-default", BypassGovernanceRetention = bypass,
            Retention = new ObjectLockRetention { Mode = new ObjectLockRetentionMode(mode), RetainUntilDate = until },
        };
        await s3.PutObjectRetentionAsync(Retain("GOVERNANCE", DateTime.UtcNow.AddDays(3)));
        await AssertDeniedAsync(() => s3.PutObjectRetentionAsync(Retain("GOVERNANCE", DateTime.UtcNow.AddDays(1))));
        await s3.PutObjectRetentionAsync(Retain("GOVERNANCE", DateTime.UtcNow.AddDays(1), bypass: true));
        await AssertDeniedAsync(() => s3.PutObjectRetentionAsync(Retain("COMPLIANCE", DateTime.UtcNow.AddDays(1))));
        await s3.PutObjectRetentionAsync(Retain("COMPLIANCE", DateTime.UtcNow.AddDays(1), bypass: true));
        await AssertDeniedAsync(() => s3.PutObjectRetentionAsync(Retain("COMPLIANCE", DateTime.UtcNow.AddHours(12), bypass: true)));
        await AssertDeniedAsync(() => s3.PutObjectRetentionAsync(Retain("GOVERNANCE", DateTime.UtcNow.AddDays(5), bypass: true)));

        // A bucket without object lock refuses lock parameters rather than ignoring them.
        await s3.PutBucketAsync("plain-bucket");
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => PutAsync(s3, "plain-bucket", "k", "x", ObjectLockMode.Governance, DateTime.UtcNow.AddDays(1)));
        Assert.Equal(("InvalidRequest", HttpStatusCode.BadRequest), (refused.ErrorCode, refused.StatusCode));
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = "plain-bucket" }));
        Assert.Equal("ObjectLockConfigurationNotFoundError", missing.ErrorCode);
    }
}
