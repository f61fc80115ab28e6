using Xos.Server.Auth.Policies;
using Xos.Server.Iam;
using Xos.Server.Storage;
using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>Administrator policies (see <see cref="AdministratorNamespace"/>) in the evaluation of S3 requests.</summary>
public sealed partial class Authorizer
{
    /// <summary>
    /// What the administrator's policies say of the request. Those on the caller's account: a Deny binds everyone who
    /// acts for the account (its root keys, its IAM users, its sessions); an Allow speaks only for the account itself
    /// (its root keys and their GetSessionToken sessions), never for its IAM users, whom their account governs. Sessions
    /// of the administrator's roles are sessions of its account, as AWS's roles are: their policies are no administrator
    /// policies, and another account's bucket lets them in only through its own policy or ACLs.
    /// </summary>
    private PolicyDecision AdminDecision(S3Request req, string action, string resource, ObjectRecord? obj)
    {
        if (req.Identity is not { } caller) return PolicyDecision.NotApplicable;
        var decision = PolicyDecision.NotApplicable;
        if (caller.AdminPolicies is { } policies)
        {
            decision = EvaluateIdentity(policies, new PolicyRequest(Caller(caller), action, resource, Context(req, obj)));
            if (decision == PolicyDecision.Deny) return decision;
            if (!AdministratorNamespace.IsAccountRoot(caller)) decision = PolicyDecision.NotApplicable;
        }
        return decision;
    }

    /// <summary>Whether the action reads or changes an object the request names (an object-level grant of an ACL).</summary>
    private static bool IsObjectRead(string action) => AclGrants.TryGetValue(action, out var grant) && grant.Level == Level.Object;
}
