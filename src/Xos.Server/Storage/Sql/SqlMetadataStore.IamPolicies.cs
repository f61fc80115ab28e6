using System.Data.Common;
using Xos.Server.Iam;

namespace Xos.Server.Storage.Sql;

/// <summary>Roles made with the IAM API, inline and managed policies, attachments and tags.</summary>
public sealed partial class SqlMetadataStore
{
    private const string RoleColumns = "name, role_id, account_id, path, description, max_session, trust_policy, created";

    private static IamRole ReadIamRole(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        NullableString(r, 4), (int)r.GetInt64(5), r.GetString(6), FromMillis(r.GetInt64(7)));

    public Task<IamWrite> CreateIamRoleAsync(IamRole role, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        // Role names are unique on the server regardless of case (the roles table predates accounts): the unique index says so.
        if (await ScalarAsync(db, tx, "SELECT 1 FROM roles WHERE lower(name) = @k", ct, ("@k", role.Name.ToLowerInvariant())) is not null)
            return IamWrite.Exists;
        await ExecAsync(db, tx,
            "INSERT INTO roles(name, policy, trusted_users, created, account_id, role_id, path, description, max_session, trust_policy) " +
            "VALUES (@name, '', '[]', @now, @a, @id, @path, @desc, @max, @trust)", ct,
            ("@name", role.Name), ("@now", Millis(role.Created)), ("@a", role.AccountId), ("@id", role.Id), ("@path", role.Path),
            ("@desc", role.Description), ("@max", role.MaxSessionSeconds), ("@trust", role.TrustPolicy));
        return IamWrite.Done;
    }, ct);

    public async Task<IamRole?> GetIamRoleAsync(string accountId, string name, CancellationToken ct) =>
        (await QueryAsync($"SELECT {RoleColumns} FROM roles WHERE account_id = @a AND lower(name) = @k", ReadIamRole, ct,
            ("@a", accountId), ("@k", name.ToLowerInvariant()))).FirstOrDefault();

    public async Task<IReadOnlyList<IamRole>> ListIamRolesAsync(string accountId, string pathPrefix, CancellationToken ct) =>
        await QueryAsync($"SELECT {RoleColumns} FROM roles WHERE account_id = @a AND substr(path, 1, @n) = @p ORDER BY lower(name)", ReadIamRole, ct,
            ("@a", accountId), ("@n", pathPrefix.Length), ("@p", pathPrefix));

    public Task<IamWrite> UpdateIamRoleAsync(string accountId, string name, string? description, int? maxSessionSeconds, string? trustPolicy,
        CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (await EntityIdAsync(db, tx, IamKind.Role, accountId, name, ct) is not { } role) return IamWrite.NotFound;
        if (description is not null) await ExecAsync(db, tx, "UPDATE roles SET description = @v WHERE name = @n", ct, ("@v", description), ("@n", role));
        if (maxSessionSeconds is { } max) await ExecAsync(db, tx, "UPDATE roles SET max_session = @v WHERE name = @n", ct, ("@v", max), ("@n", role));
        if (trustPolicy is not null) await ExecAsync(db, tx, "UPDATE roles SET trust_policy = @v WHERE name = @n", ct, ("@v", trustPolicy), ("@n", role));
        return IamWrite.Done;
    }, ct);

    public Task<IamWrite> DeleteIamRoleAsync(string accountId, string name, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (await EntityIdAsync(db, tx, IamKind.Role, accountId, name, ct) is not { } role) return IamWrite.NotFound;
        if (await HasPoliciesAsync(db, tx, IamKind.Role, role, ct)) return IamWrite.Conflict;
        await DeleteTagsAsync(db, tx, IamKind.Role, role, ct);
        await ExecAsync(db, tx, "DELETE FROM roles WHERE name = @n", ct, ("@n", role));
        return IamWrite.Done;
    }, ct);

    // ---------------------------------------------------------------- inline policies

    public Task PutInlinePolicyAsync(string accountId, IamKind kind, string ownerId, string name, string document, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            await ExecAsync(db, tx,
                "INSERT INTO iam_inline_policies(account_id, owner_kind, owner_id, name, document) VALUES (@a, @kind, @id, @name, @doc) " +
                "ON CONFLICT(owner_kind, owner_id, name) DO UPDATE SET document = excluded.document", ct,
                ("@a", accountId), ("@kind", KindName(kind)), ("@id", ownerId), ("@name", name), ("@doc", document));
        }, ct);

    public async Task<string?> GetInlinePolicyAsync(IamKind kind, string ownerId, string name, CancellationToken ct) =>
        (await QueryAsync("SELECT document FROM iam_inline_policies WHERE owner_kind = @kind AND owner_id = @id AND name = @name",
            r => r.GetString(0), ct, ("@kind", KindName(kind)), ("@id", ownerId), ("@name", name))).FirstOrDefault();

    public async Task<IReadOnlyList<string>> ListInlinePoliciesAsync(IamKind kind, string ownerId, CancellationToken ct) =>
        await QueryAsync("SELECT name FROM iam_inline_policies WHERE owner_kind = @kind AND owner_id = @id ORDER BY name",
            r => r.GetString(0), ct, ("@kind", KindName(kind)), ("@id", ownerId));

    public Task<bool> DeleteInlinePolicyAsync(IamKind kind, string ownerId, string name, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) => await ExecAsync(db, tx,
            "DELETE FROM iam_inline_policies WHERE owner_kind = @kind AND owner_id = @id AND name = @name", ct,
            ("@kind", KindName(kind)), ("@id", ownerId), ("@name", name)) == 1, ct);

    // ---------------------------------------------------------------- managed policies

    private const string PolicyColumns =
        "p.arn, p.id, p.account_id, p.name, p.path, p.description, p.default_version, p.created, p.updated, " +
        "(SELECT COUNT(*) FROM iam_attachments a WHERE a.policy_arn = p.arn)";

    private static ManagedPolicy ReadPolicy(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        NullableString(r, 5), (int)r.GetInt64(6), FromMillis(r.GetInt64(7)), FromMillis(r.GetInt64(8)), (int)r.GetInt64(9));

    public Task<IamWrite> CreateManagedPolicyAsync(ManagedPolicy p, string document, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (await ExecAsync(db, tx,
                "INSERT INTO iam_policies(arn, id, account_id, name, path, description, default_version, next_version, created, updated) " +
                "VALUES (@arn, @id, @a, @name, @path, @desc, 1, 2, @now, @now) ON CONFLICT DO NOTHING", ct,
                ("@arn", p.Arn), ("@id", p.Id), ("@a", p.AccountId), ("@name", p.Name), ("@path", p.Path), ("@desc", p.Description),
                ("@now", Millis(p.Created))) == 0) return IamWrite.Exists;
        await ExecAsync(db, tx, "INSERT INTO iam_policy_versions(arn, version, document, created) VALUES (@arn, 1, @doc, @now)", ct,
            ("@arn", p.Arn), ("@doc", document), ("@now", Millis(p.Created)));
        return IamWrite.Done;
    }, ct);

    public async Task<ManagedPolicy?> GetManagedPolicyAsync(string accountId, string arn, CancellationToken ct) =>
        (await QueryAsync($"SELECT {PolicyColumns} FROM iam_policies p WHERE p.arn = @arn AND p.account_id = @a", ReadPolicy, ct,
            ("@arn", arn), ("@a", accountId))).FirstOrDefault();

    public async Task<IReadOnlyList<ManagedPolicy>> ListManagedPoliciesAsync(string accountId, string pathPrefix, CancellationToken ct) =>
        await QueryAsync($"SELECT {PolicyColumns} FROM iam_policies p WHERE p.account_id = @a AND substr(p.path, 1, @n) = @p ORDER BY p.name",
            ReadPolicy, ct, ("@a", accountId), ("@n", pathPrefix.Length), ("@p", pathPrefix));

    private const string VersionColumns = "v.version, v.document, v.created, CASE WHEN p.default_version = v.version THEN 1 ELSE 0 END";

    private static PolicyVersion ReadVersion(DbDataReader r) => new((int)r.GetInt64(0), r.GetString(1), FromMillis(r.GetInt64(2)), r.GetInt32(3) == 1);

    public async Task<PolicyVersion?> GetPolicyVersionAsync(string arn, int version, CancellationToken ct) =>
        (await QueryAsync($"SELECT {VersionColumns} FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.arn WHERE v.arn = @arn AND v.version = @v",
            ReadVersion, ct, ("@arn", arn), ("@v", version))).FirstOrDefault();

    public async Task<IReadOnlyList<PolicyVersion>> ListPolicyVersionsAsync(string arn, CancellationToken ct) =>
        await QueryAsync($"SELECT {VersionColumns} FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.arn WHERE v.arn = @arn ORDER BY v.version DESC",
            ReadVersion, ct, ("@arn", arn));

    public Task<(IamWrite Result, int Version)> CreatePolicyVersionAsync(string arn, string document, bool setDefault, int limit, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            if (await ScalarAsync(db, tx, "SELECT next_version FROM iam_policies WHERE arn = @arn", ct, ("@arn", arn)) is not { } next)
                return (IamWrite.NotFound, 0);
            if (Convert.ToInt64(await ScalarAsync(db, tx, "SELECT COUNT(*) FROM iam_policy_versions WHERE arn = @arn", ct, ("@arn", arn))) >= limit)
                return (IamWrite.Limit, 0);
            var version = Convert.ToInt32(next);
            var now = Millis(DateTimeOffset.UtcNow);
            await ExecAsync(db, tx, "INSERT INTO iam_policy_versions(arn, version, document, created) VALUES (@arn, @v, @doc, @now)", ct,
                ("@arn", arn), ("@v", version), ("@doc", document), ("@now", now));
            await ExecAsync(db, tx, setDefault
                ? "UPDATE iam_policies SET next_version = @v + 1, default_version = @v, updated = @now WHERE arn = @arn"
                : "UPDATE iam_policies SET next_version = @v + 1, updated = @now WHERE arn = @arn", ct, ("@arn", arn), ("@v", version), ("@now", now));
            return (IamWrite.Done, version);
        }, ct);

    public Task<IamWrite> DeletePolicyVersionAsync(string arn, int version, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (await ScalarAsync(db, tx, "SELECT default_version FROM iam_policies WHERE arn = @arn", ct, ("@arn", arn)) is not { } current)
            return IamWrite.NotFound;
        if (Convert.ToInt32(current) == version) return IamWrite.Conflict;
        return await ExecAsync(db, tx, "DELETE FROM iam_policy_versions WHERE arn = @arn AND version = @v", ct, ("@arn", arn), ("@v", version)) == 1
            ? IamWrite.Done : IamWrite.NotFound;
    }, ct);

    public Task<IamWrite> SetDefaultPolicyVersionAsync(string arn, int version, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
        await ExecAsync(db, tx,
            "UPDATE iam_policies SET default_version = @v, updated = @now WHERE arn = @arn AND EXISTS (SELECT 1 FROM iam_policy_versions WHERE arn = @arn AND version = @v)",
            ct, ("@arn", arn), ("@v", version), ("@now", Millis(DateTimeOffset.UtcNow))) == 1 ? IamWrite.Done : IamWrite.NotFound, ct);

    public Task<IamWrite> DeleteManagedPolicyAsync(string arn, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        if (await ScalarAsync(db, tx, "SELECT 1 FROM iam_policies WHERE arn = @arn", ct, ("@arn", arn)) is null) return IamWrite.NotFound;
        // As IAM: detached from every user, group and role, and its versions other than the default deleted, first.
        if (Convert.ToInt64(await ScalarAsync(db, tx,
                "SELECT (SELECT COUNT(*) FROM iam_attachments WHERE policy_arn = @arn) + (SELECT COUNT(*) FROM iam_policy_versions WHERE arn = @arn) - 1",
                ct, ("@arn", arn))) > 0) return IamWrite.Conflict;
        await ExecAsync(db, tx, "DELETE FROM iam_policies WHERE arn = @arn", ct, ("@arn", arn));
        return IamWrite.Done;
    }, ct);

    public Task<IamWrite> AttachPolicyAsync(string accountId, IamKind kind, string ownerId, string policyArn, bool attach, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            var args = new (string, object?)[] { ("@a", accountId), ("@kind", KindName(kind)), ("@id", ownerId), ("@arn", policyArn) };
            var changed = await ExecAsync(db, tx, attach
                ? "INSERT INTO iam_attachments(account_id, owner_kind, owner_id, policy_arn) VALUES (@a, @kind, @id, @arn) ON CONFLICT DO NOTHING"
                : "DELETE FROM iam_attachments WHERE account_id = @a AND owner_kind = @kind AND owner_id = @id AND policy_arn = @arn", ct, args);
            return attach || changed == 1 ? IamWrite.Done : IamWrite.NotFound;
        }, ct);

    public async Task<IReadOnlyList<string>> ListAttachedPoliciesAsync(IamKind kind, string ownerId, CancellationToken ct) =>
        await QueryAsync("SELECT policy_arn FROM iam_attachments WHERE owner_kind = @kind AND owner_id = @id ORDER BY policy_arn",
            r => r.GetString(0), ct, ("@kind", KindName(kind)), ("@id", ownerId));

    public async Task<int> CountAttachmentsAsync(string accountId, string policyArn, CancellationToken ct) =>
        (await QueryAsync("SELECT COUNT(*) FROM iam_attachments WHERE account_id = @a AND policy_arn = @arn", r => (int)r.GetInt64(0), ct,
            ("@a", accountId), ("@arn", policyArn)))[0];

    // ---------------------------------------------------------------- tags

    public async Task<IamWrite> TagAsync(string accountId, IamKind kind, string ownerId, IReadOnlyList<KeyValuePair<string, string>> tags, int limit,
        CancellationToken ct)
    {
        try
        {
            return await TagOrThrowAsync(accountId, kind, ownerId, tags, limit, ct);
        }
        catch (TooManyTagsException)
        {
            return IamWrite.Limit;
        }
    }

    private sealed class TooManyTagsException : Exception;

    private Task<IamWrite> TagOrThrowAsync(string accountId, IamKind kind, string ownerId, IReadOnlyList<KeyValuePair<string, string>> tags, int limit,
        CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        foreach (var (key, value) in tags)
            await ExecAsync(db, tx,
                "INSERT INTO iam_tags(account_id, owner_kind, owner_id, key, value) VALUES (@a, @kind, @id, @key, @value) " +
                "ON CONFLICT(owner_kind, owner_id, key) DO UPDATE SET value = excluded.value", ct,
                ("@a", accountId), ("@kind", KindName(kind)), ("@id", ownerId), ("@key", key), ("@value", value));
        // Checked after the upserts so that replacing existing tags never counts against the limit; the transaction rolls back otherwise.
        if (Convert.ToInt64(await ScalarAsync(db, tx, "SELECT COUNT(*) FROM iam_tags WHERE owner_kind = @kind AND owner_id = @id", ct,
                ("@kind", KindName(kind)), ("@id", ownerId))) > limit) throw new TooManyTagsException();
        return IamWrite.Done;
    }, ct);

    public Task UntagAsync(IamKind kind, string ownerId, IReadOnlyList<string> keys, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
    {
        foreach (var key in keys)
            await ExecAsync(db, tx, "DELETE FROM iam_tags WHERE owner_kind = @kind AND owner_id = @id AND key = @key", ct,
                ("@kind", KindName(kind)), ("@id", ownerId), ("@key", key));
    }, ct);

    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ListTagsAsync(IamKind kind, string ownerId, CancellationToken ct) =>
        await QueryAsync("SELECT key, value FROM iam_tags WHERE owner_kind = @kind AND owner_id = @id ORDER BY key",
            r => KeyValuePair.Create(r.GetString(0), r.GetString(1)), ct, ("@kind", KindName(kind)), ("@id", ownerId));
}

/// <summary>The identity policies of IAM users and roles, read with their access keys so that the credential cache holds them.</summary>
public sealed partial class SqlMetadataStore
{
    /// <summary>
    /// Every policy document that applies to the user (its inline policies, its groups', and the managed policies
    /// attached to it or its groups) or to the role (its inline and attached ones).
    /// </summary>
    private static async Task<IReadOnlyList<string>> IdentityPoliciesAsync(DbConnection db, IamKind kind, string id, CancellationToken ct)
    {
        const string Owners =
            "(owner_kind = @kind AND owner_id = @id) OR (@kind = 'user' AND owner_kind = 'group' AND owner_id IN (SELECT group_id FROM iam_group_members WHERE user_id = @id))";
        await using var cmd = Command(db, null,
            $"SELECT document, NULL FROM iam_inline_policies WHERE {Owners} " +
            $"UNION ALL SELECT v.document, a.policy_arn FROM iam_attachments a LEFT JOIN iam_policies p ON p.arn = a.policy_arn " +
            $"LEFT JOIN iam_policy_versions v ON v.arn = p.arn AND v.version = p.default_version WHERE {Owners.Replace("owner_", "a.owner_")}",
            ("@kind", KindName(kind)), ("@id", id));
        var documents = await ReadAllAsync(cmd, r => NullableString(r, 0) ?? AwsManagedPolicies.Find(NullableString(r, 1) ?? "")?.Document, ct);
        return documents.OfType<string>().ToList();
    }
}
