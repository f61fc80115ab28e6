using Xos.Server.Hosting;

namespace Xos.Server.Auth;

/// <summary>Owner and grantee display names for responses: the account's name, as AWS shows it, in every listing.</summary>
public static class DisplayNames
{
    /// <summary>Looks the ids up once; an id whose account is gone shows as itself.</summary>
    public static async Task<Func<string, string>> ResolveAsync(ServerContext ctx, IEnumerable<string> userIds, CancellationToken ct)
    {
        var ids = userIds.Distinct().ToList();
        var names = await ctx.Store.GetDisplayNamesAsync(ids, ct);
        return id => names.TryGetValue(id, out var name) ? name : id;
    }
}
