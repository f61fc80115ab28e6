using Xos.Server.Auth;
using Xos.Server.Auth.Policies;

namespace Xos.Server.Iam;

/// <summary>
/// Whether a caller may assume a role made with the IAM API: the role's trust policy must allow sts:AssumeRole to
/// the caller (by its ARN, its account's root ARN or account id). An IAM user trusted only through its account also
/// needs its own policies to allow sts:AssumeRole on the role, as AWS has it. An account root is also trusted by the
/// ARN it has in the administrator's namespace (see <see cref="AdministratorNamespace"/>).
/// </summary>
public static class RoleTrust
{
    public static bool Allows(Authorizer authorizer, Identity caller, IamRole role)
    {
        var roleArn = IamArns.Role(role);
        var context = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["aws:PrincipalArn"] = [caller.Arn],
            ["aws:PrincipalAccount"] = [caller.OwnerId],
        };
        var trust = PolicyDocument.ParseTrust(role.TrustPolicy);
        var asItself = trust.Evaluate(new PolicyRequest(new PolicyCaller(false, null, null, Arn: caller.Arn), "sts:AssumeRole", roleArn, context));
        if (asItself == PolicyDecision.Deny) return false;
        var asAccount = trust.Evaluate(new PolicyRequest(Authorizer.Caller(caller), "sts:AssumeRole", roleArn, context));
        if (asAccount == PolicyDecision.Deny) return false;
        if (caller.IamUser is null)
        {
            // An account is also the user named by its canonical id in the administrator's namespace (arn:aws:iam:::user/ID).
            var asGlobalUser = AdministratorNamespace.IsAccountRoot(caller)
                ? trust.Evaluate(new PolicyRequest(new PolicyCaller(false, null, null, Arn: AdministratorNamespace.AccountUserArn(caller.OwnerId)),
                    "sts:AssumeRole", roleArn, context))
                : PolicyDecision.NotApplicable;
            if (asGlobalUser == PolicyDecision.Deny) return false;
            return asItself == PolicyDecision.Allow || asAccount == PolicyDecision.Allow || asGlobalUser == PolicyDecision.Allow;
        }
        var own = authorizer.EvaluateIdentity(caller.IamUser.Policies, new PolicyRequest(Authorizer.Caller(caller), "sts:AssumeRole", roleArn, context));
        if (own == PolicyDecision.Deny) return false;
        return asItself == PolicyDecision.Allow || (asAccount == PolicyDecision.Allow && own == PolicyDecision.Allow);
    }
}
