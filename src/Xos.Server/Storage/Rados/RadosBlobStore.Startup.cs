using System.Text;
using Xos.Server.Storage.Files;

namespace Xos.Server.Storage.Rados;

/// <summary>
/// Opening the store: every way it cannot work (librados missing, the cluster out of reach, a key refused, capabilities
/// missing, a pool that cannot take XOS's writes) is found at start-up and told in one line naming the fix.
/// </summary>
public sealed partial class RadosBlobStore
{
    /// <summary>
    /// Connects to the cluster, opens the pool and reads its free space; an <see cref="IOException"/> with one line saying
    /// what is wrong when it cannot.
    /// </summary>
    /// <param name="minFree">The --min-free reserve (a size or a share of the pool), held against the pool's free space.</param>
    public static RadosBlobStore Open(RadosBlobsUrl url, string? minFree = null)
    {
        RadosCluster cluster;
        try
        {
            cluster = RadosCluster.Connect(url.Conf, url.Id, url.ClientSettings());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new IOException("librados.so.2 cannot be loaded (install Debian's librados2 package): " + e.Message, e);
        }
        catch (RadosException e)
        {
            var keyring = url.Keyring is { } k ? $"keyring={k}" : "the keyring ceph.conf names";
            throw new IOException(e.Errno switch
            {
                // cephx: a key the monitors do not know, or a user without mon 'allow r' (the monitors answer both alike).
                RadosException.EACCES or RadosException.EPERM =>
                    $"the Ceph cluster of {url} refused client.{url.Id}: {e.Message}; check that {keyring} holds its current key " +
                    $"(ceph auth get client.{url.Id}) and that it has mon 'allow r'",
                // No keyring file where keyring= or ceph.conf says (a keyring without the user is EACCES, above).
                RadosException.ENOENT => $"found no keyring for client.{url.Id} ({keyring}): {e.Message}; export one with " +
                                         $"ceph auth get client.{url.Id} -o PATH and give keyring=PATH",
                _ => $"the Ceph cluster of {url} cannot be reached within {url.Timeout.TotalSeconds:0} s: {e.Message}",
            }, e);
        }
        try
        {
            var pool = cluster.OpenPool(url.Pool, url.Namespace);
            try
            {
                CheckWritesFit(pool);
                var space = new RadosPoolSpace(cluster, url.Pool);
                var guard = new FreeSpaceGuard(url.ToString(), () => space.Available, () => space.Total, FreeSpaceGuard.ParseReserve(minFree, space.Total));
                return new RadosBlobStore(cluster, pool, url, guard);
            }
            catch
            {
                pool.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is RadosException or InvalidDataException or System.Text.Json.JsonException)
        {
            cluster.Dispose();
            throw new IOException(e switch
            {
                RadosException { Errno: RadosException.ENOENT, Message: var m } when m.StartsWith("rados_ioctx_create", StringComparison.Ordinal) =>
                    $"the Ceph cluster has no pool '{url.Pool}' (create it with: ceph osd pool create {url.Pool})",
                RadosException { Errno: RadosException.EACCES or RadosException.EPERM } r when r.Message.StartsWith("rados_mon_command", StringComparison.Ordinal) =>
                    $"client.{url.Id} may not read the pool's free space from the monitors ({r.ErrnoName}); it needs mon 'allow r'",
                _ => $"the pool of {url} cannot be opened: {e.Message}",
            }, e);
        }
    }

    /// <summary>
    /// Refuses a pool that takes only appends at multiples of a stripe width (erasure-coded without allow_ec_overwrites)
    /// when that width does not divide the 1 MiB chunks bodies are written in: every write but the first would fail.
    /// </summary>
    private static void CheckWritesFit(RadosPool pool)
    {
        if (pool.RequiredAlignment() is { } alignment && alignment > 0 && RadosStripeWriter.ChunkSize % alignment != 0)
            throw new IOException($"pool '{pool.Name}' is erasure-coded with a stripe width of {alignment} bytes, which does not divide the 1 MiB " +
                                  $"chunks XOS writes: run ceph osd pool set {pool.Name} allow_ec_overwrites true, or use a profile whose k x stripe_unit divides 1 MiB");
    }

    /// <summary>The object naming the metadata store whose blobs the pool (namespace) holds; its '.' keeps it out of the sweep.</summary>
    public const string OwnerObject = "xos.owner";

    /// <summary>An attribute of <see cref="OwnerObject"/> set at every start, so a user that may read but not write is found then.</summary>
    private const string StartedAttribute = "xos.started";

    /// <summary>
    /// Marks the pool (namespace) as holding the blobs of the metadata store whose root account is <paramref name="owner"/>,
    /// or refuses when it already holds another's: the orphan sweep removes every blob its own store does not name, so
    /// two metadata stores on one pool namespace would delete each other's objects. Writes to the pool once, so that
    /// missing capabilities are a refusal at start-up rather than a failure of every upload.
    /// </summary>
    public void ClaimFor(string owner)
    {
        try
        {
            var claimed = ReadOwner();
            if (claimed is null)
            {
                _pool.WriteFull(OwnerObject, Encoding.ASCII.GetBytes(owner));
                claimed = ReadOwner();
            }
            if (claimed != owner)
                throw new IOException($"{Url} holds the blobs of another metadata database (root account {claimed?[..Math.Min(12, claimed.Length)]}...); " +
                                      "give every metadata database a pool or namespace of its own (namespace=NAME)");
            _pool.SetXattr(OwnerObject, StartedAttribute, Encoding.ASCII.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (RadosException e) when (e.Errno is RadosException.EPERM or RadosException.EACCES)
        {
            var ns = Url.Namespace is { } n ? $" namespace={n}" : "";
            throw new IOException($"client.{Url.Id} lacks the capabilities {Url} needs: {e.Message}; grant them with " +
                                  $"ceph auth caps client.{Url.Id} mon 'allow r' osd 'allow rw pool={Url.Pool}{ns}'", e);
        }
        catch (RadosException e)
        {
            throw new IOException($"{Url} cannot be used: {e.Message}", e);
        }
    }

    private string? ReadOwner()
    {
        var buffer = new byte[256];
        try
        {
            var n = _pool.Read(OwnerObject, buffer, 0);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (RadosException e) when (e.Errno == RadosException.ENOENT)
        {
            return null;
        }
    }
}
