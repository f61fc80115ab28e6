using Xos.Server.Storage.Sql;

namespace Xos.Server.Background;

/// <summary>
/// On a database shared by gateways, keeps the store's credential cache in step with every gateway's and admin
/// command's changes (see <see cref="CredentialCache"/>); on SQLite there is nothing to listen to and it ends at once.
/// </summary>
public sealed class CredentialChangeListener(Storage.IMetadataStore store) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        store is SqlMetadataStore sql ? sql.CacheCredentialsAsync(stoppingToken) : Task.CompletedTask;
}
