using Xos.Server.Storage;

namespace Xos.Server.Auth;

/// <summary>Access keys as the metadata store holds them.</summary>
public sealed class StoreCredentialProvider(IMetadataStore store) : ICredentialProvider
{
    public async ValueTask<AccessKeyRecord?> FindAsync(string accessKey, CancellationToken ct) =>
        await store.FindAccessKeyAsync(accessKey, ct);
}
