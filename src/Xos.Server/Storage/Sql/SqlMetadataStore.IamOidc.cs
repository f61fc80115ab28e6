using System.Data.Common;
using System.Text.Json;
using Xos.Server.Iam;

namespace Xos.Server.Storage.Sql;

/// <summary>OpenID Connect providers of accounts.</summary>
public sealed partial class SqlMetadataStore
{
    private const string OidcColumns = "arn, account_id, url, client_ids, thumbprints, created";

    private static OidcProvider ReadOidc(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2),
        JsonSerializer.Deserialize(r.GetString(3), StorageJson.Default.ListString)!, JsonSerializer.Deserialize(r.GetString(4), StorageJson.Default.ListString)!,
        FromMillis(r.GetInt64(5)));

    private static string JsonList(IReadOnlyList<string> values) => JsonSerializer.Serialize(values.ToList(), StorageJson.Default.ListString);

    public Task<IamWrite> CreateOidcProviderAsync(OidcProvider p, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
        await ExecAsync(db, tx, $"INSERT INTO iam_oidc_providers({OidcColumns}) VALUES (@arn, @a, @url, @ids, @tps, @now) ON CONFLICT DO NOTHING", ct,
            ("@arn", p.Arn), ("@a", p.AccountId), ("@url", p.Url), ("@ids", JsonList(p.ClientIds)), ("@tps", JsonList(p.Thumbprints)),
            ("@now", Millis(p.Created))) == 1 ? IamWrite.Done : IamWrite.Exists, ct);

    public async Task<OidcProvider?> GetOidcProviderAsync(string accountId, string arn, CancellationToken ct) =>
        (await QueryAsync($"SELECT {OidcColumns} FROM iam_oidc_providers WHERE account_id = @a AND arn = @arn", ReadOidc, ct,
            ("@a", accountId), ("@arn", arn))).FirstOrDefault();

    public async Task<IReadOnlyList<OidcProvider>> ListOidcProvidersAsync(string accountId, CancellationToken ct) =>
        await QueryAsync($"SELECT {OidcColumns} FROM iam_oidc_providers WHERE account_id = @a ORDER BY arn", ReadOidc, ct, ("@a", accountId));

    public Task<IamWrite> UpdateOidcProviderAsync(string accountId, string arn, Func<OidcProvider, OidcProvider> change, CancellationToken ct) =>
        WriteCredentialsAsync(async (db, tx) =>
        {
            OidcProvider current;
            await using (var cmd = Command(db, tx, $"SELECT {OidcColumns} FROM iam_oidc_providers WHERE account_id = @a AND arn = @arn",
                             ("@a", accountId), ("@arn", arn)))
            {
                var found = await ReadAllAsync(cmd, ReadOidc, ct);
                if (found.Count == 0) return IamWrite.NotFound;
                current = found[0];
            }
            var changed = change(current);
            await ExecAsync(db, tx, "UPDATE iam_oidc_providers SET client_ids = @ids, thumbprints = @tps WHERE arn = @arn", ct,
                ("@ids", JsonList(changed.ClientIds)), ("@tps", JsonList(changed.Thumbprints)), ("@arn", arn));
            return IamWrite.Done;
        }, ct);

    public Task<bool> DeleteOidcProviderAsync(string accountId, string arn, CancellationToken ct) => WriteCredentialsAsync(async (db, tx) =>
        await ExecAsync(db, tx, "DELETE FROM iam_oidc_providers WHERE account_id = @a AND arn = @arn", ct, ("@a", accountId), ("@arn", arn)) == 1, ct);
}
