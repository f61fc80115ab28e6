using System.CommandLine;
using Xos.Server.Admin;
using Xos.Server.Buckets;
using Xos.Server.Storage;

namespace Xos.Server.Cli;

/// <summary>
/// The commands of `xos admin`. Each works on the data folder (--data, and --metadata where gateways share PostgreSQL), or,
/// all but `root rotate`, on a running server through the admin HTTP API (--endpoint URL, signed with XOS_ROOT_ACCESS_KEY and
/// XOS_ROOT_SECRET_KEY). --data, --metadata and --endpoint may stand anywhere after `admin`.
/// </summary>
public static class AdminCli
{
    private delegate Task Work(ParseResult result, IAdministration admin, IMetadataStore? store, AdminTarget target, CancellationToken ct);

    public static Command Command(Func<string, string?> env)
    {
        var admin = new Command("admin", "Manage users, keys, roles, KMS keys and account settings, with the server running or not");
        var settings = ServerSettings.AddTo(admin, [ServerSettings.Data, ServerSettings.Metadata], recursive: true);
        var endpoint = new Option<string>("--endpoint")
        {
            HelpName = "URL",
            Description = "a running server, through its admin HTTP API, signed with XOS_ROOT_ACCESS_KEY and XOS_ROOT_SECRET_KEY (instead of --data)",
            Recursive = true,
        };
        endpoint.Validators.Add(r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                r.AddError($"must be an http:// or https:// URL, not '{text}'");
        });
        admin.Add(endpoint);

        AdminTarget Target(ParseResult r) =>
            new(ServerSettings.Bind(r, settings, ServerSettings.All, env), r.GetValue(endpoint) is { } e ? new Uri(e) : null);
        Command Leaf(string name, string description, IEnumerable<Symbol> symbols, Work work)
        {
            var command = new Command(name, description);
            foreach (var symbol in symbols)
            {
                if (symbol is Argument a) command.Add(a);
                else command.Add((Option)symbol);
            }
            command.SetAction(r =>
            {
                var target = Target(r);
                return AdminCommand.RunAsync(target, (a, s, ct) => work(r, a, s, target, ct));
            });
            return command;
        }
        static Command Group(string name, string description, params Command[] commands)
        {
            var group = new Command(name, description);
            foreach (var c in commands) group.Add(c);
            return group;
        }
        static Option<bool> Json() => new("--json") { Description = "print JSON" };
        static Argument<string> Name(string name, string description) => new(name) { Description = description };
        var accessKey = () => new Option<string>("--access-key") { HelpName = "AK", Description = "the access key to give (default: generated)" };
        var secretKey = () => new Option<string>("--secret-key") { HelpName = "SK", Description = "its secret (default: generated)" };

        var userName = Name("NAME", "the user's name");
        var (userJson, userAk, userSk) = (Json(), accessKey(), secretKey());
        var usersJson = Json();
        var keyUser = Name("USER", "the user who gets the key");
        var (keyJson, keyAk, keySk) = (Json(), accessKey(), secretKey());
        var removedUser = Name("NAME", "the user to remove, with their keys");
        var removedKey = Name("ACCESS_KEY", "the key to remove");
        admin.Add(Group("user", "Accounts: each owns its buckets and keys",
            Leaf("add", "Create a user with a first key; prints the key and secret", [userName, userAk, userSk, userJson],
                async (r, a, _, _, ct) => AdminCommand.PrintKey(await a.AddUserAsync(r.GetValue(userName)!, r.GetValue(userAk), r.GetValue(userSk), ct), r.GetValue(userJson))),
            Leaf("list", "List users and their access keys", [usersJson],
                async (r, a, _, _, ct) => AdminCommand.PrintUsers(await a.ListUsersAsync(ct), r.GetValue(usersJson))),
            Leaf("remove", "Remove a user", [removedUser], async (r, a, _, _, ct) =>
            {
                await a.RemoveUserAsync(r.GetValue(removedUser)!, ct);
                Console.WriteLine($"removed user {r.GetValue(removedUser)}");
            })));
        admin.Add(Group("key", "Access keys of users",
            Leaf("add", "Give a user another key; prints the key and secret", [keyUser, keyAk, keySk, keyJson],
                async (r, a, _, _, ct) => AdminCommand.PrintKey(await a.AddKeyAsync(r.GetValue(keyUser)!, r.GetValue(keyAk), r.GetValue(keySk), ct), r.GetValue(keyJson))),
            Leaf("remove", "Remove an access key", [removedKey], async (r, a, _, _, ct) =>
            {
                await a.RemoveKeyAsync(r.GetValue(removedKey)!, ct);
                Console.WriteLine($"removed access key {r.GetValue(removedKey)}");
            })));

        var roleName = Name("NAME", "the role's name (its ARN is arn:aws:iam::role/NAME)");
        var policy = new Option<FileInfo>("--policy") { HelpName = "FILE.json", Description = "the role's policy document", Required = true }.AcceptExistingOnly();
        var trust = new Option<string[]>("--trust") { HelpName = "USER", Description = "a user who may assume the role (repeatable)" };
        var (roleJson, rolesJson) = (Json(), Json());
        var removedRole = Name("NAME", "the role to remove");
        admin.Add(Group("role", "Roles that trusted users assume through STS AssumeRole",
            Leaf("add", "Create a role; prints its ARN", [roleName, policy, trust, roleJson], async (r, a, _, _, ct) =>
                AdminCommand.PrintRole(await a.AddRoleAsync(r.GetValue(roleName)!, await File.ReadAllTextAsync(r.GetValue(policy)!.FullName, ct), r.GetValue(trust) ?? [], ct),
                    r.GetValue(roleJson))),
            Leaf("list", "List roles", [rolesJson], async (r, a, _, _, ct) => AdminCommand.PrintRoles(await a.ListRolesAsync(ct), r.GetValue(rolesJson))),
            Leaf("remove", "Remove a role", [removedRole], async (r, a, _, _, ct) =>
            {
                await a.RemoveRoleAsync(r.GetValue(removedRole)!, ct);
                Console.WriteLine($"removed role {r.GetValue(removedRole)}");
            })));

        var kmsId = Name("KEY_ID", "the key's name");
        var algorithm = new Option<string>("--algorithm") { HelpName = "AES256|SM4", Description = "the key's algorithm (default AES256)" };
        algorithm.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, "AES256", "SM4");
        var (kmsJson, kmsListJson) = (Json(), Json());
        Command KmsChange(string name, string description, Func<IAdministration, string, CancellationToken, Task<KmsKeySummary>> change)
        {
            var (id, json) = (Name("KEY_ID", "the key's name"), Json());
            return Leaf(name, description, [id, json], async (r, a, _, _, ct) => AdminCommand.PrintKmsKey(await change(a, r.GetValue(id)!, ct), r.GetValue(json)));
        }
        admin.Add(Group("kms", "Keys of the built-in key service (SSE-KMS)",
            Leaf("create", "Create a key", [kmsId, algorithm, kmsJson],
                async (r, a, _, _, ct) => AdminCommand.PrintKmsKey(await a.AddKmsKeyAsync(r.GetValue(kmsId)!, r.GetValue(algorithm), ct), r.GetValue(kmsJson))),
            Leaf("list", "List keys", [kmsListJson], async (r, a, _, _, ct) => AdminCommand.PrintKmsKeys(await a.ListKmsKeysAsync(ct), r.GetValue(kmsListJson))),
            KmsChange("disable", "Disable a key: its objects are unreadable (403) until it is enabled", (a, id, ct) => a.SetKmsKeyEnabledAsync(id, false, ct)),
            KmsChange("enable", "Enable a disabled key", (a, id, ct) => a.SetKmsKeyEnabledAsync(id, true, ct)),
            KmsChange("rotate", "Add a key version; new objects use it, older ones stay readable", (a, id, ct) => a.RotateKmsKeyAsync(id, ct))));

        admin.Add(Group("root", "The root account's key",
            Leaf("rotate", "A new root key; every other one stops working at once (data folder only)", [],
                (_, _, store, target, ct) => AdminCommand.RotateRootAsync(target, store, ct))));

        var (getUser, getJson) = (Name("USER", "the account"), Json());
        var (putUser, putJson) = (Name("USER", "the account"), Json());
        var deleteUser = Name("USER", "the account");
        var flags = new[] { "--block-public-acls", "--ignore-public-acls", "--block-public-policy", "--restrict-public-buckets" }
            .Select(f => new Option<bool>(f) { Description = $"set {f[2..]}" }).ToArray();
        admin.Add(Group("public-access-block", "An account-wide public access block",
            Leaf("get", "Show it", [getUser, getJson], async (r, a, _, _, ct) =>
                AdminCommand.PrintPublicAccessBlock(r.GetValue(getUser)!, await a.GetAccountPublicAccessBlockAsync(r.GetValue(getUser)!, ct), r.GetValue(getJson))),
            Leaf("put", "Set it: the flags given are on, the others off", [putUser, .. flags, putJson], async (r, a, _, _, ct) =>
            {
                var block = new PublicAccessBlockConfiguration(r.GetValue((Option<bool>)flags[0]), r.GetValue((Option<bool>)flags[1]),
                    r.GetValue((Option<bool>)flags[2]), r.GetValue((Option<bool>)flags[3]));
                await a.SetAccountPublicAccessBlockAsync(r.GetValue(putUser)!, block, ct);
                AdminCommand.PrintPublicAccessBlock(r.GetValue(putUser)!, block, r.GetValue(putJson));
            }),
            Leaf("delete", "Remove it", [deleteUser], async (r, a, _, _, ct) =>
            {
                await a.SetAccountPublicAccessBlockAsync(r.GetValue(deleteUser)!, null, ct);
                Console.WriteLine($"removed the account-wide public access block of {r.GetValue(deleteUser)}");
            })));
        return admin;
    }
}
