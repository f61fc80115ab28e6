using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage.Rados;

namespace Xos.Tests.Unit;

/// <summary>librados' return codes as exceptions and S3 answers, and the rados:// URL of --blobs.</summary>
public sealed class RadosErrorTests
{
    [Fact]
    public void ZeroAndCountsPassThroughAndNegativeErrnosBecomeNamedExceptions()
    {
        Assert.Equal(0, RadosException.Check(0, "rados_connect"));
        Assert.Equal(4096, RadosException.Check(4096, "rados_read", "obj"));
        var e = Assert.Throws<RadosException>(() => RadosException.Check(-2, "rados_stat", "abc.1"));
        Assert.Equal(RadosException.ENOENT, e.Errno);
        Assert.Equal("ENOENT", e.ErrnoName);
        Assert.Equal("rados_stat(abc.1): ENOENT (No such file or directory)", e.Message);
        Assert.Equal(2, e.HResult);
        Assert.IsAssignableFrom<IOException>(e);
        Assert.StartsWith("rados_connect: ETIMEDOUT (", Assert.Throws<RadosException>(() => RadosException.Check(-110, "rados_connect")).Message);
        Assert.Equal("errno 4242", RadosException.Name(4242));
    }

    [Theory]
    [InlineData(110)] // ETIMEDOUT: an OSD or monitor did not answer within the time-out
    [InlineData(11)]  // EAGAIN
    [InlineData(107)] // ENOTCONN
    [InlineData(108)] // ESHUTDOWN (blocklisted)
    public void AClusterOutOfReachIsSlowDownWhichClientsRetry(int errno)
    {
        var answer = Assert.IsType<S3Exception>(RadosBlobStore.Translate(new RadosException("rados_aio_write", "x", errno)));
        Assert.Equal("SlowDown", answer.Code);
        Assert.Equal(503, answer.Status);
    }

    [Theory]
    [InlineData(28)]  // ENOSPC
    [InlineData(122)] // EDQUOT: the pool's quota
    public void AFullPoolIsInsufficientStorage(int errno)
    {
        var answer = Assert.IsType<S3Exception>(RadosBlobStore.Translate(new RadosException("rados_aio_write", "x", errno)));
        Assert.Equal("InsufficientStorage", answer.Code);
        Assert.Equal(507, answer.Status);
    }

    [Fact]
    public void OtherFailuresStayServerErrors()
    {
        var eio = new RadosException("rados_aio_read", "x", 5);
        Assert.Same(eio, RadosBlobStore.Translate(eio));
        var other = new InvalidOperationException();
        Assert.Same(other, RadosBlobStore.Translate(other));
    }

    [Fact]
    public void TheUrlNamesThePoolAndOptionallyTheUserConfigurationKeyringTimeOutAndNamespace()
    {
        var plain = RadosBlobsUrl.Parse("rados://xos");
        Assert.Equal(("xos", null, "xos", null, TimeSpan.FromSeconds(30), null), (plain.Pool, plain.Conf, plain.Id, plain.Keyring, plain.Timeout, plain.Namespace));
        var conf = Path.GetTempFileName();
        try
        {
            var full = RadosBlobsUrl.Parse($"rados://media?conf={conf}&id=gw&keyring=/etc/ceph/k&timeout=5&namespace=site%2Da");
            Assert.Equal(("media", conf, "gw", "/etc/ceph/k", TimeSpan.FromSeconds(5), "site-a"), (full.Pool, full.Conf, full.Id, full.Keyring, full.Timeout, full.Namespace));
            Assert.Contains(new KeyValuePair<string, string>("rados_osd_op_timeout", "5"), full.ClientSettings());
            Assert.Contains(new KeyValuePair<string, string>("client_mount_timeout", "5"), full.ClientSettings());
            Assert.Contains(new KeyValuePair<string, string>("keyring", "/etc/ceph/k"), full.ClientSettings());
        }
        finally
        {
            File.Delete(conf);
        }
    }

    [Theory]
    [InlineData("s3://xos", "rados://")]
    [InlineData("rados://", "one pool")]
    [InlineData("rados://a/b", "one pool")]
    [InlineData("rados://xos?pool=2", "unknown parameter 'pool'")]
    [InlineData("rados://xos?timeout=0", "timeout=")]
    [InlineData("rados://xos?timeout=soon", "timeout=")]
    [InlineData("rados://xos?id=client.xos", "without 'client.'")]
    [InlineData("rados://xos?conf=/no/such/ceph.conf", "no such file")]
    public void AWrongUrlIsRefusedSayingWhy(string url, string why) =>
        Assert.Contains(why, Assert.Throws<ArgumentException>(() => RadosBlobsUrl.Parse(url)).Message);

    [Fact]
    public void TheBlobsSettingComesFromTheFlagOrTheEnvironmentAndDefaultsToTheDataFolder()
    {
        static ServerOptions Parse(string[] args, string? env = null) => ServerOptions.Parse(args, n => n == "XOS_BLOBS" ? env : null);
        Assert.Null(Parse([]).BlobsUrl);
        Assert.Equal("rados://xos", Parse(["--blobs", "rados://xos"]).BlobsUrl);
        Assert.Equal("rados://env", Parse([], "rados://env").BlobsUrl);
        Assert.Equal("rados://flag", Parse(["--blobs=rados://flag"], "rados://env").BlobsUrl);
        Assert.Throws<ArgumentException>(() => Parse(["--blobs", "/mnt/blobs"]));
        Assert.Throws<ArgumentException>(() => Parse([], "rados://xos?timeout=-1"));
    }
}
