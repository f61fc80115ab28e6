using System.Text.RegularExpressions;
using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>
/// OpenID Connect identity providers of the account: registered, listed, changed and removed as IAM does. XOS keeps
/// them but does not yet offer AssumeRoleWithWebIdentity.
/// </summary>
public static partial class IamOidcProviders
{
    [GeneratedRegex("^[0-9A-Za-z]{40}$")]
    private static partial Regex Thumbprint();

    private static List<string> Thumbprints(IamCall c)
    {
        var list = c.Members("ThumbprintList");
        if (list.Count > 5 || list.Any(t => !Thumbprint().IsMatch(t)))
            throw IamErrors.Validation("1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: at most 5 thumbprints of 40 characters");
        return list;
    }

    private static string ClientId(IamCall c)
    {
        var id = c.Required("ClientID");
        if (id.Length is < 1 or > 255) throw IamErrors.Validation("1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length between 1 and 255");
        return id;
    }

    private static async Task<OidcProvider> FindAsync(IamCall c) =>
        await c.Store.GetOidcProviderAsync(c.Account, c.Required("OpenIDConnectProviderArn"), c.Ct)
        ?? throw IamErrors.NoSuchEntity($"OpenIDConnect Provider not found for arn {c.Required("OpenIDConnectProviderArn")}");

    public static async Task CreateAsync(IamCall c)
    {
        var url = c.Required("Url");
        if (url.Length > 255 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Query.Length > 0)
            throw IamErrors.Validation($"1 validation error detected: Value '{url}' at 'url' failed to satisfy constraint: it must be an https URL without a query");
        var provider = new OidcProvider(IamArns.Of(c.Account, "oidc-provider/", "", url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/')),
            c.Account, url, c.Members("ClientIDList").Distinct().ToList(), Thumbprints(c), IamUsers.Now());
        if (await c.Store.CreateOidcProviderAsync(provider, c.Ct) == IamWrite.Exists)
            throw IamErrors.Exists($"Provider with url {url} already exists.");
        await c.RespondAsync(w => w.Element("OpenIDConnectProviderArn", provider.Arn));
    }

    public static async Task GetAsync(IamCall c)
    {
        var provider = await FindAsync(c);
        await c.RespondAsync(w =>
        {
            w.Element("Url", provider.Url);
            w.Strings("ClientIDList", provider.ClientIds);
            w.Strings("ThumbprintList", provider.Thumbprints);
            w.Element("CreateDate", provider.Created);
        });
    }

    public static async Task ListAsync(IamCall c)
    {
        var providers = await c.Store.ListOidcProvidersAsync(c.Account, c.Ct);
        await c.RespondAsync(w => w.Members("OpenIDConnectProviderList", providers, (x, p) => x.Element("Arn", p.Arn)));
    }

    public static async Task DeleteAsync(IamCall c)
    {
        if (!await c.Store.DeleteOidcProviderAsync(c.Account, c.Required("OpenIDConnectProviderArn"), c.Ct))
            throw IamErrors.NoSuchEntity($"OpenIDConnect Provider not found for arn {c.Required("OpenIDConnectProviderArn")}");
        await c.RespondAsync();
    }

    public static Task AddClientIdAsync(IamCall c)
    {
        var id = ClientId(c);
        return ChangeAsync(c, p => p.ClientIds.Contains(id) ? p : p with { ClientIds = [.. p.ClientIds, id] });
    }

    public static Task RemoveClientIdAsync(IamCall c)
    {
        var id = ClientId(c);
        return ChangeAsync(c, p => p with { ClientIds = p.ClientIds.Where(x => x != id).ToList() });
    }

    public static Task UpdateThumbprintsAsync(IamCall c)
    {
        var thumbprints = Thumbprints(c);
        return ChangeAsync(c, p => p with { Thumbprints = thumbprints });
    }

    private static async Task ChangeAsync(IamCall c, Func<OidcProvider, OidcProvider> change)
    {
        var arn = c.Required("OpenIDConnectProviderArn");
        if (await c.Store.UpdateOidcProviderAsync(c.Account, arn, change, c.Ct) == IamWrite.NotFound)
            throw IamErrors.NoSuchEntity($"OpenIDConnect Provider not found for arn {arn}");
        await c.RespondAsync();
    }
}
