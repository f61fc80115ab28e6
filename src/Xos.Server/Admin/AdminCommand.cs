using System.Text.Json;
using Xos.Server.Buckets;
using Xos.Server.Hosting;

namespace Xos.Server.Admin;

/// <summary>Where `xos admin` acts: the data folder's metadata store (--data, --metadata), or a running server (--endpoint).</summary>
public sealed record AdminTarget(ServerOptions Options, Uri? Endpoint);

/// <summary>
/// `xos admin`: manages users, keys, roles, KMS keys and account settings in the data folder's metadata store, or on a running
/// server through the admin HTTP API (--endpoint). Root's key changes only with `root rotate`. The commands and their options
/// are <see cref="Cli.AdminCli"/>'s; this runs one of them.
/// </summary>
public static class AdminCommand
{
    /// <summary>Runs <paramref name="work"/> on the target's administration: 0 when it succeeds, 1 with one line when it cannot.</summary>
    public static async Task<int> RunAsync(AdminTarget target, Func<IAdministration, Storage.IMetadataStore?, CancellationToken, Task> work)
    {
        var options = target.Options;
        IAdministration admin;
        Storage.IMetadataStore? store = null;
        if (target.Endpoint is { } uri)
        {
            // A running server, through its admin HTTP API, signed with root's keys from the environment.
            if (options.RootAccessKey is null || options.RootSecretKey is null)
                throw new Cli.CommandLineException("xos admin --endpoint signs with root's keys: set XOS_ROOT_ACCESS_KEY and XOS_ROOT_SECRET_KEY");
            admin = new RemoteAdministration(uri, options.RootAccessKey, options.RootSecretKey);
        }
        else
        {
            Directory.CreateDirectory(options.DataDirectory);
            string rootUserId;
            try
            {
                (store, rootUserId) = await MetadataBootstrap.OpenForAdminAsync(options, CancellationToken.None);
            }
            catch (Exception e) when (e is Storage.Sql.SchemaTooOldException or Storage.Sql.SchemaTooNewException)
            {
                Console.Error.WriteLine($"xos admin: {e.Message}");
                return 1;
            }
            var master = Storage.Encryption.MasterKey.LoadOrCreate(options.DataDirectory, options.MasterKey);
            admin = new AdminService(store, rootUserId, new Kms.KeyService(store, master));
        }
        using var _ = store;
        using var __ = admin as IDisposable;
        try
        {
            await work(admin, store, CancellationToken.None);
            return 0;
        }
        catch (Exception e) when (e is AdminException or FileNotFoundException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"cannot reach {target.Endpoint}: {e.Message}");
            return 1;
        }
    }

    /// <summary>`root rotate`: a new root key in the data folder; every other root key stops working at once.</summary>
    public static async Task RotateRootAsync(AdminTarget target, Storage.IMetadataStore? store, CancellationToken ct)
    {
        if (store is null) throw new AdminException("root rotate works on the data folder (--data), not through --endpoint");
        var rotated = await MetadataBootstrap.RotateRootKeyAsync(target.Options, store, ct);
        Console.WriteLine($"access key   : {rotated.AccessKey}");
        Console.WriteLine($"secret key   : {rotated.SecretKey}   (kept in {Path.Combine(target.Options.DataDirectory, RootCredentials.FileName)})");
        Console.WriteLine("every other root key stops working now; a server started with XOS_ROOT_ACCESS_KEY/XOS_ROOT_SECRET_KEY puts that key back when it restarts");
    }

    public static void PrintUsers(IReadOnlyList<UserSummary> users, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(users, AdminJson.Default.IReadOnlyListUserSummary));
        else foreach (var u in users) Console.WriteLine($"{u.Name,-24} {u.CanonicalId}  keys: {string.Join(",", u.AccessKeys)}");
    }

    public static void PrintRoles(IReadOnlyList<RoleSummary> roles, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(roles, AdminJson.Default.IReadOnlyListRoleSummary));
        else foreach (var r in roles) Console.WriteLine($"{r.Arn,-40} trust: {string.Join(",", r.TrustedUsers)}");
    }

    public static void PrintRole(RoleSummary role, bool json) =>
        Console.WriteLine(json ? JsonSerializer.Serialize(role, AdminJson.Default.RoleSummary) : role.Arn);

    public static void PrintKmsKeys(IReadOnlyList<KmsKeySummary> keys, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(keys, AdminJson.Default.IReadOnlyListKmsKeySummary));
        else foreach (var k in keys) PrintKmsKey(k, false);
    }

    public static void PrintPublicAccessBlock(string user, PublicAccessBlockConfiguration? current, bool json)
    {
        if (json) Console.WriteLine(current is null ? "null" : JsonSerializer.Serialize(current, AdminJson.Default.PublicAccessBlockConfiguration));
        else Console.WriteLine(current is null ? $"user {user} has no account-wide public access block" : Describe(current));
    }

    private static string Describe(PublicAccessBlockConfiguration c) =>
        $"BlockPublicAcls={c.BlockPublicAcls} IgnorePublicAcls={c.IgnorePublicAcls} BlockPublicPolicy={c.BlockPublicPolicy} RestrictPublicBuckets={c.RestrictPublicBuckets}";

    public static void PrintKmsKey(KmsKeySummary key, bool json) =>
        Console.WriteLine(json ? JsonSerializer.Serialize(key, AdminJson.Default.KmsKeySummary)
            : $"{key.Id,-32} {key.Algorithm,-6} {(key.Enabled ? "enabled" : "disabled"),-8} version {key.CurrentVersion}");

    public static void PrintKey(CreatedKey key, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(key, AdminJson.Default.CreatedKey));
            return;
        }
        Console.WriteLine($"user         : {key.User}");
        Console.WriteLine($"canonical id : {key.CanonicalId}");
        Console.WriteLine($"access key   : {key.AccessKey}");
        Console.WriteLine($"secret key   : {key.SecretKey}");
    }
}
