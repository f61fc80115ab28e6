using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>The limits XOS enforces on an account's IAM entities (IAM's default quotas).</summary>
public static class IamQuotas
{
    public const int Users = 5000;
    public const int Groups = 300;
    public const int AccessKeysPerUser = IamAccessKeys.PerUser;
}

/// <summary>GetAccountSummary: how many IAM entities the account has, and the quotas XOS enforces on them.</summary>
public static class IamAccountSummary
{
    public static async Task GetAsync(IamCall c)
    {
        var counts = await c.Store.CountIamAsync(c.Account, c.Ct);
        var map = new (string Key, long Value)[]
        {
            ("Users", counts.Users), ("UsersQuota", IamQuotas.Users),
            ("Groups", counts.Groups), ("GroupsQuota", IamQuotas.Groups),
            ("Roles", counts.Roles), ("Policies", counts.Policies), ("Providers", counts.Providers),
            ("AccessKeysPerUserQuota", IamQuotas.AccessKeysPerUser),
            ("AccountAccessKeysPresent", counts.RootKeys > 0 ? 1 : 0), ("AccountMFAEnabled", 0),
        };
        await c.RespondAsync(w =>
        {
            w.WriteStartElement("SummaryMap");
            foreach (var (key, value) in map)
            {
                w.WriteStartElement("entry");
                w.Element("key", key);
                w.Element("value", value);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        });
    }
}
