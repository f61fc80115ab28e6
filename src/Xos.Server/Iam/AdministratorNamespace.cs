using Xos.Server.Auth;

namespace Xos.Server.Iam;

/// <summary>
/// The administrator's IAM namespace: the server root's account is also the global, account-less namespace RGW has
/// (ARNs with an empty account, arn:aws:iam:::role/NAME). In it
/// <list type="bullet">
/// <item>every account appears as a user whose name is its canonical id (arn:aws:iam:::user/CANONICAL-ID): policies the
/// administrator puts on or attaches to it ("administrator policies") bound what the account may do, everywhere;</item>
/// <item>the roles the server root creates live beside XOS's own roles (role names are unique on the server), so their
/// ARNs need no account.</item>
/// </list>
/// Other accounts keep AWS's model: their IAM users, groups, roles and policies are theirs, with their id in the ARN.
/// </summary>
public static class AdministratorNamespace
{
    /// <summary>The server root's canonical id (set when the server opens its store); null before, and then nothing is global.</summary>
    public static string? AccountId { get; set; }

    /// <summary>The account part of an IAM ARN of an entity of <paramref name="accountId"/>: empty for the administrator's.</summary>
    public static string ArnAccount(string accountId) => accountId == AccountId ? "" : accountId;

    /// <summary>The ARN under which an account appears in the administrator's namespace.</summary>
    public static string AccountUserArn(string canonicalId) => "arn:aws:iam:::user/" + canonicalId;

    /// <summary>Whether the caller is the administrator itself: the server root's own keys (not its IAM users, not a role session).</summary>
    public static bool IsAdministrator(Identity caller) =>
        AccountId is not null && caller.OwnerId == AccountId && caller.IamUser is null && caller.Session is not { IsRoleSession: true };

    /// <summary>Whether the caller is an account acting as itself (its root keys or their GetSessionToken session).</summary>
    public static bool IsAccountRoot(Identity caller) => caller.IamUser is null && caller.Session is not { IsRoleSession: true };

    /// <summary>
    /// The account a user name of an IAM request designates in the administrator's namespace, or null: for the
    /// administrator any existing account's canonical id; for an account root its own canonical id (it may then read or
    /// change its administrator policies where those allow it). An IAM user of that name, if there is one, comes first.
    /// </summary>
    public static async Task<string?> AccountUserAsync(IamCall c, string name)
    {
        if (AccountId is null || !IsAccountRoot(c.Caller)) return null;
        if (IsAdministrator(c.Caller)) return await c.Ctx.Store.UserExistsAsync(name, c.Ct) ? name : null;
        return name == c.Caller.OwnerId ? name : null;
    }
}
