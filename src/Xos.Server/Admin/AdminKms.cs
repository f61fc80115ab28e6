using Xos.Server.Kms;

namespace Xos.Server.Admin;

public sealed record KmsKeySummary(string Id, string Algorithm, bool Enabled, DateTimeOffset Created, int CurrentVersion);

/// <summary>The key service's keys: what `xos admin kms` and the admin HTTP API create, list, disable, enable and rotate.</summary>
public sealed partial class AdminService
{
    private KeyService Keys => kms ?? throw new AdminException("the key service needs the master key", 500);

    public async Task<KmsKeySummary> AddKmsKeyAsync(string id, string? algorithm, CancellationToken ct)
    {
        try
        {
            if (!await Keys.CreateAsync(id, algorithm, ct)) throw new AdminException($"key {id} already exists", 409);
        }
        catch (ArgumentException e)
        {
            throw new AdminException(e.Message);
        }
        return await GetKmsKeyAsync(id, ct);
    }

    private async Task<KmsKeySummary> GetKmsKeyAsync(string id, CancellationToken ct) =>
        (await ListKmsKeysAsync(ct)).FirstOrDefault(k => k.Id == id) ?? throw new AdminException($"no key {id}", 404);

    public async Task<IReadOnlyList<KmsKeySummary>> ListKmsKeysAsync(CancellationToken ct) =>
        (await Keys.ListAsync(ct)).Select(k => new KmsKeySummary(k.Id, k.Algorithm, k.Enabled, k.Created, k.CurrentVersion)).ToList();

    public async Task<KmsKeySummary> SetKmsKeyEnabledAsync(string id, bool enabled, CancellationToken ct)
    {
        if (!await Keys.SetEnabledAsync(id, enabled, ct)) throw new AdminException($"no key {id}", 404);
        return await GetKmsKeyAsync(id, ct);
    }

    public async Task<KmsKeySummary> RotateKmsKeyAsync(string id, CancellationToken ct)
    {
        if (await Keys.RotateAsync(id, ct) is null) throw new AdminException($"no key {id}", 404);
        return await GetKmsKeyAsync(id, ct);
    }

    /// <summary>Creates the keys named in XOS_KMS_KEYS (comma separated, NAME or NAME:SM4) that do not exist yet.</summary>
    public async Task ProvisionKmsKeysAsync(string? spec, CancellationToken ct)
    {
        foreach (var entry in (spec ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.LastIndexOf(':');
            var (id, algorithm) = colon > 0 && entry[(colon + 1)..].ToUpperInvariant() is "SM4" or "AES256" ? (entry[..colon], entry[(colon + 1)..]) : (entry, null);
            try
            {
                await Keys.CreateAsync(id, algorithm, ct);
            }
            catch (ArgumentException e)
            {
                throw new AdminException($"XOS_KMS_KEYS: {e.Message}");
            }
        }
    }
}
