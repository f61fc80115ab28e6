using Xos.Server.Storage.Sql;

namespace Xos.Server.Background;

/// <summary>
/// On a database shared by gateways, keeps the store's caches of access keys and buckets in step with every gateway's
/// and admin command's changes (see <see cref="NotifiedCache{T}"/>); on SQLite there is nothing to listen to and it
/// ends at once.
/// </summary>
public sealed class SharedChangeListener(Storage.IMetadataStore store) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        store is SqlMetadataStore sql ? sql.CacheSharedRecordsAsync(stoppingToken) : Task.CompletedTask;
}
