namespace Xos.Server.Storage.Rados;

/// <summary>
/// Where the RADOS blob store keeps bodies: <c>rados://POOL?conf=/etc/ceph/ceph.conf&amp;id=xos&amp;keyring=PATH&amp;timeout=30</c>.
/// <c>conf</c> defaults to librados' own search (/etc/ceph/ceph.conf, $CEPH_CONF), <c>id</c> to <c>xos</c> (the user
/// client.xos), <c>keyring</c> to what the configuration says, <c>timeout</c> (seconds) bounds connecting and every operation,
/// <c>namespace</c> keeps this deployment's objects apart from others in the same pool (default: none).
/// </summary>
public sealed record RadosBlobsUrl(string Pool, string? Conf, string Id, string? Keyring, TimeSpan Timeout, string? Namespace = null)
{
    public const string Scheme = "rados://";

    public static bool IsRados(string? url) => url is not null && url.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="ArgumentException"/> with what is wrong, for the command line's one-line refusal.</summary>
    public static RadosBlobsUrl Parse(string url)
    {
        if (!IsRados(url)) throw new ArgumentException("must be a rados://POOL URL");
        var rest = url[Scheme.Length..];
        var q = rest.IndexOf('?');
        var pool = Uri.UnescapeDataString(q < 0 ? rest : rest[..q]).TrimEnd('/');
        if (pool.Length == 0 || pool.Contains('/')) throw new ArgumentException("must name one pool: rados://POOL");
        string? conf = null, keyring = null, ns = null;
        var id = "xos";
        var timeout = TimeSpan.FromSeconds(30);
        foreach (var pair in (q < 0 ? "" : rest[(q + 1)..]).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (name)
            {
                case "conf": conf = value.Length > 0 ? value : throw new ArgumentException("conf= must name a ceph.conf file"); break;
                case "id": id = value.Length > 0 && !value.StartsWith("client.", StringComparison.Ordinal) ? value : throw new ArgumentException("id= must be the Ceph user without 'client.', e.g. id=xos"); break;
                case "keyring": keyring = value.Length > 0 ? value : throw new ArgumentException("keyring= must name a keyring file"); break;
                case "timeout":
                    timeout = int.TryParse(value, out var s) && s is >= 1 and <= 3600 ? TimeSpan.FromSeconds(s) : throw new ArgumentException("timeout= must be seconds from 1 to 3600");
                    break;
                case "namespace": ns = value.Length > 0 ? value : throw new ArgumentException("namespace= must not be empty"); break;
                default: throw new ArgumentException($"has an unknown parameter '{name}' (conf, id, keyring, timeout, namespace)");
            }
        }
        if (conf is not null && !File.Exists(conf)) throw new ArgumentException($"conf= names no such file '{conf}'");
        return new RadosBlobsUrl(pool, conf, id, keyring, timeout, ns);
    }

    /// <summary>The client settings the store sets over ceph.conf: time-outs, so that no call waits forever on a lost OSD or monitor.</summary>
    public IEnumerable<KeyValuePair<string, string>> ClientSettings()
    {
        var seconds = ((int)Timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return new("client_mount_timeout", seconds);
        yield return new("rados_mon_op_timeout", seconds);
        yield return new("rados_osd_op_timeout", seconds);
        if (Keyring is not null) yield return new("keyring", Keyring);
    }

    public override string ToString() => $"rados://{Pool}{(Namespace is null ? "" : $" namespace {Namespace}")} as client.{Id}{(Conf is null ? "" : $" ({Conf})")}";
}
