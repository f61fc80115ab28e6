using System.Text.Json;
using Xos.Server.Buckets;
using Xos.Server.Hosting;

namespace Xos.Server.Admin;

/// <summary>`xos admin`: manages users, keys, roles, KMS keys and account settings in the data folder's metadata store, or on a running server (--endpoint). Root's key changes only with `root rotate`.</summary>
public static class AdminCommand
{
    public const string Usage = """
          (every command but root rotate also works on a running server: --endpoint URL instead of --data DIR,
           signed with XOS_ROOT_ACCESS_KEY/XOS_ROOT_SECRET_KEY through the admin HTTP API;
           gateways sharing PostgreSQL metadata: --metadata URL or XOS_METADATA_URL beside --data DIR)
          xos admin [--data DIR] user add NAME [--access-key AK --secret-key SK] [--json]
          xos admin [--data DIR] user list [--json]
          xos admin [--data DIR] user remove NAME
          xos admin [--data DIR] key add USER [--access-key AK --secret-key SK] [--json]
          xos admin [--data DIR] key remove ACCESS_KEY
          xos admin [--data DIR] role add NAME --policy FILE.json --trust USER [--trust USER ...] [--json]
          xos admin [--data DIR] role list [--json]
          xos admin [--data DIR] role remove NAME
          xos admin [--data DIR] kms create KEY_ID [--algorithm AES256|SM4] [--json]
          xos admin [--data DIR] kms list [--json]
          xos admin [--data DIR] kms disable|enable|rotate KEY_ID [--json]
          xos admin [--data DIR] root rotate
          xos admin [--data DIR] public-access-block get|delete USER [--json]
          xos admin [--data DIR] notify add webhook|redis|nats|amqp NAME URL|KEY=VALUE... [--json]
          xos admin [--data DIR] notify list [--json]
          xos admin [--data DIR] notify remove ARN | KIND NAME
          xos admin [--data DIR] public-access-block put USER [--block-public-acls] [--ignore-public-acls]
                                                             [--block-public-policy] [--restrict-public-buckets] [--json]
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var rest = new List<string>();
        string? data = null, metadata = null, accessKey = null, secretKey = null, policyFile = null, algorithm = null, endpoint = null;
        var trust = new List<string>();
        var json = false;
        var block = PublicAccessBlockConfiguration.None;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new AdminException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--data": data = Next(); break;
                    case "--metadata": metadata = Next(); break;
                    case "--endpoint": endpoint = Next(); break;
                    case "--access-key": accessKey = Next(); break;
                    case "--secret-key": secretKey = Next(); break;
                    case "--policy": policyFile = Next(); break;
                    case "--trust": trust.Add(Next()); break;
                    case "--algorithm": algorithm = Next(); break;
                    case "--json": json = true; break;
                    case "--block-public-acls": block = block with { BlockPublicAcls = true }; break;
                    case "--ignore-public-acls": block = block with { IgnorePublicAcls = true }; break;
                    case "--block-public-policy": block = block with { BlockPublicPolicy = true }; break;
                    case "--restrict-public-buckets": block = block with { RestrictPublicBuckets = true }; break;
                    default: rest.Add(args[i]); break;
                }
            }
            catch (AdminException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        }
        if (rest.Count < 2)
        {
            Console.Error.WriteLine("usage:\n" + Usage);
            return 2;
        }

        var options = ServerOptions.Parse([.. data is null ? [] : new[] { "--data", data }, .. metadata is null ? [] : new[] { "--metadata", metadata }],
            Environment.GetEnvironmentVariable);
        IAdministration admin;
        Storage.IMetadataStore? store = null;
        if (endpoint is not null)
        {
            // A running server, through its admin HTTP API, signed with root's keys from the environment.
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine("--endpoint must be an http:// or https:// URL");
                return 2;
            }
            if (options.RootAccessKey is null || options.RootSecretKey is null)
            {
                Console.Error.WriteLine("xos admin --endpoint signs with root's keys: set XOS_ROOT_ACCESS_KEY and XOS_ROOT_SECRET_KEY");
                return 2;
            }
            admin = new RemoteAdministration(uri, options.RootAccessKey, options.RootSecretKey);
        }
        else
        {
            Directory.CreateDirectory(options.DataDirectory);
            (store, var rootUserId) = await MetadataBootstrap.OpenForAdminAsync(options, CancellationToken.None);
            var master = Storage.Encryption.MasterKey.LoadOrCreate(options.DataDirectory, Environment.GetEnvironmentVariable("XOS_MASTER_KEY"));
            admin = new AdminService(store, rootUserId, new Kms.KeyService(store, master));
        }
        using var _ = store;
        using var __ = admin as IDisposable;
        var ct = CancellationToken.None;
        string Arg(int n) => rest.Count > n ? rest[n] : throw new AdminException("missing NAME; usage:\n" + Usage);

        try
        {
            if (rest[0] == "notify")
            {
                await AdminService.RunCommandAsync(admin, [.. rest.Skip(1)], json, ct);
                return 0;
            }
            switch (rest[0], rest[1])
            {
                case ("user", "add"):
                    PrintKey(await admin.AddUserAsync(Arg(2), accessKey, secretKey, ct), json);
                    break;
                case ("user", "list"):
                    var users = await admin.ListUsersAsync(ct);
                    if (json) Console.WriteLine(JsonSerializer.Serialize(users, AdminJson.Default.IReadOnlyListUserSummary));
                    else foreach (var u in users) Console.WriteLine($"{u.Name,-24} {u.CanonicalId}  keys: {string.Join(",", u.AccessKeys)}");
                    break;
                case ("user", "remove"):
                    await admin.RemoveUserAsync(Arg(2), ct);
                    Console.WriteLine($"removed user {rest[2]}");
                    break;
                case ("key", "add"):
                    PrintKey(await admin.AddKeyAsync(Arg(2), accessKey, secretKey, ct), json);
                    break;
                case ("key", "remove"):
                    await admin.RemoveKeyAsync(Arg(2), ct);
                    Console.WriteLine($"removed access key {rest[2]}");
                    break;
                case ("role", "add"):
                    if (policyFile is null) throw new AdminException("role add needs --policy FILE.json");
                    var role = await admin.AddRoleAsync(Arg(2), await File.ReadAllTextAsync(policyFile), trust, ct);
                    Console.WriteLine(json ? JsonSerializer.Serialize(role, AdminJson.Default.RoleSummary) : role.Arn);
                    break;
                case ("role", "list"):
                    var roles = await admin.ListRolesAsync(ct);
                    if (json) Console.WriteLine(JsonSerializer.Serialize(roles, AdminJson.Default.IReadOnlyListRoleSummary));
                    else foreach (var r in roles) Console.WriteLine($"{r.Arn,-40} trust: {string.Join(",", r.TrustedUsers)}");
                    break;
                case ("role", "remove"):
                    await admin.RemoveRoleAsync(Arg(2), ct);
                    Console.WriteLine($"removed role {rest[2]}");
                    break;
                case ("kms", "create"):
                    PrintKmsKey(await admin.AddKmsKeyAsync(Arg(2), algorithm, ct), json);
                    break;
                case ("kms", "list"):
                    var keys = await admin.ListKmsKeysAsync(ct);
                    if (json) Console.WriteLine(JsonSerializer.Serialize(keys, AdminJson.Default.IReadOnlyListKmsKeySummary));
                    else foreach (var k in keys) PrintKmsKey(k, false);
                    break;
                case ("kms", "disable" or "enable"):
                    PrintKmsKey(await admin.SetKmsKeyEnabledAsync(Arg(2), rest[1] == "enable", ct), json);
                    break;
                case ("kms", "rotate"):
                    PrintKmsKey(await admin.RotateKmsKeyAsync(Arg(2), ct), json);
                    break;
                case ("root", "rotate"):
                    if (store is null) throw new AdminException("root rotate works on the data folder (--data), not through --endpoint");
                    var rotated = await MetadataBootstrap.RotateRootKeyAsync(options, store, ct);
                    Console.WriteLine($"access key   : {rotated.AccessKey}");
                    Console.WriteLine($"secret key   : {rotated.SecretKey}   (kept in {Path.Combine(options.DataDirectory, RootCredentials.FileName)})");
                    Console.WriteLine("every other root key stops working now; a server started with XOS_ROOT_ACCESS_KEY/XOS_ROOT_SECRET_KEY puts that key back when it restarts");
                    break;
                case ("public-access-block", "get"):
                    var current = await admin.GetAccountPublicAccessBlockAsync(Arg(2), ct);
                    if (json) Console.WriteLine(current is null ? "null" : JsonSerializer.Serialize(current, AdminJson.Default.PublicAccessBlockConfiguration));
                    else Console.WriteLine(current is null ? $"user {rest[2]} has no account-wide public access block" : Describe(current));
                    break;
                case ("public-access-block", "put"):
                    await admin.SetAccountPublicAccessBlockAsync(Arg(2), block, ct);
                    Console.WriteLine(json ? JsonSerializer.Serialize(block, AdminJson.Default.PublicAccessBlockConfiguration) : Describe(block));
                    break;
                case ("public-access-block", "delete"):
                    await admin.SetAccountPublicAccessBlockAsync(Arg(2), null, ct);
                    Console.WriteLine($"removed the account-wide public access block of {rest[2]}");
                    break;
                default:
                    Console.Error.WriteLine("usage:\n" + Usage);
                    return 2;
            }
            return 0;
        }
        catch (AdminException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"cannot reach {endpoint}: {e.Message}");
            return 1;
        }
    }

    private static string Describe(PublicAccessBlockConfiguration c) =>
        $"BlockPublicAcls={c.BlockPublicAcls} IgnorePublicAcls={c.IgnorePublicAcls} BlockPublicPolicy={c.BlockPublicPolicy} RestrictPublicBuckets={c.RestrictPublicBuckets}";

    private static void PrintKmsKey(KmsKeySummary key, bool json) =>
        Console.WriteLine(json ? JsonSerializer.Serialize(key, AdminJson.Default.KmsKeySummary)
            : $"{key.Id,-32} {key.Algorithm,-6} {(key.Enabled ? "enabled" : "disabled"),-8} version {key.CurrentVersion}");

    private static void PrintKey(CreatedKey key, bool json)
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
