using System.Data.Common;

namespace Xos.Server.Storage.Sql;

/// <summary>Keys of the built-in key service and their versions.</summary>
public sealed partial class SqlMetadataStore
{
    public Task<bool> CreateKmsKeyAsync(string id, string algorithm, string wrappedMaterial, CancellationToken ct) => WriteAsync<bool>(async (db, tx) =>
    {
        var now = Millis(DateTimeOffset.UtcNow);
        if (await ExecAsync(db, tx, "INSERT INTO kms_keys(id, algorithm, enabled, created, current_version) VALUES (@id, @alg, 1, @now, 1) ON CONFLICT(id) DO NOTHING",
                ct, ("@id", id), ("@alg", algorithm), ("@now", now)) == 0)
            return false;
        await ExecAsync(db, tx, "INSERT INTO kms_key_versions(key_id, version, material, created) VALUES (@id, 1, @m, @now)", ct,
            ("@id", id), ("@m", wrappedMaterial), ("@now", now));
        return true;
    }, ct);

    public async Task<KmsKeyRecord?> GetKmsKeyAsync(string id, CancellationToken ct) => (await ReadKmsKeysAsync("WHERE k.id = @id", id, ct)).FirstOrDefault();

    public async Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(CancellationToken ct) => await ReadKmsKeysAsync("", null, ct);

    private async Task<List<KmsKeyRecord>> ReadKmsKeysAsync(string where, string? id, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null,
            "SELECT k.id, k.algorithm, k.enabled, k.created, k.current_version, v.version, v.material FROM kms_keys k " +
            $"JOIN kms_key_versions v ON v.key_id = k.id {where} ORDER BY k.id, v.version", ("@id", id));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var keys = new List<KmsKeyRecord>();
        while (await r.ReadAsync(ct))
        {
            var keyId = r.GetString(0);
            if (keys.Count == 0 || keys[^1].Id != keyId)
                keys.Add(new KmsKeyRecord(keyId, r.GetString(1), r.GetInt64(2) != 0, FromMillis(r.GetInt64(3)), (int)r.GetInt64(4), new Dictionary<int, string>()));
            ((Dictionary<int, string>)keys[^1].WrappedMaterial)[(int)r.GetInt64(5)] = r.GetString(6);
        }
        return keys;
    }

    public Task<bool> SetKmsKeyEnabledAsync(string id, bool enabled, CancellationToken ct) => WriteAsync<bool>(async (db, tx) =>
    {
        return await ExecAsync(db, tx, "UPDATE kms_keys SET enabled = @e WHERE id = @id", ct, ("@e", enabled ? 1 : 0), ("@id", id)) == 1;
    }, ct);

    public Task<int?> RotateKmsKeyAsync(string id, string wrappedMaterial, CancellationToken ct) => WriteAsync<int?>(async (db, tx) =>
    {
        if (await ScalarAsync(db, tx, "UPDATE kms_keys SET current_version = current_version + 1 WHERE id = @id RETURNING current_version", ct, ("@id", id))
            is not long version)
            return null;
        await ExecAsync(db, tx, "INSERT INTO kms_key_versions(key_id, version, material, created) VALUES (@id, @v, @m, @now)", ct,
            ("@id", id), ("@v", version), ("@m", wrappedMaterial), ("@now", Millis(DateTimeOffset.UtcNow)));
        return (int)version;
    }, ct);
}
