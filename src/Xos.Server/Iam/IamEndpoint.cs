using System.Xml;
using Xos.Server.Auth;
using Xos.Server.Auth.Policies;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>
/// The IAM API at the S3 endpoint: a form-encoded POST / signed with SigV4 for service "iam" (any region), with
/// Version=2010-05-08 and an Action. Answers and errors take IAM's XML shapes. The account is always the caller's:
/// its root may do everything, an IAM user what its policies allow (iam:ACTION on the target's ARN).
/// </summary>
public static class IamEndpoint
{
    public const string Namespace = "https://iam.amazonaws.com/doc/2010-05-08/";
    public const string Version = "2010-05-08";

    /// <summary>An action: its handler, and what it acts on (for the ARN an IAM user's policies are checked against).</summary>
    private sealed record Operation(Func<IamCall, Task> Handler, IamTarget Target);

    private static readonly Dictionary<string, Operation> Operations = new(StringComparer.Ordinal)
    {
        ["CreateUser"] = new(IamUsers.CreateAsync, IamTarget.User),
        ["GetUser"] = new(IamUsers.GetAsync, IamTarget.UserOrSelf),
        ["ListUsers"] = new(IamUsers.ListAsync, IamTarget.Account),
        ["UpdateUser"] = new(IamUsers.UpdateAsync, IamTarget.User),
        ["DeleteUser"] = new(IamUsers.DeleteAsync, IamTarget.User),
        ["TagUser"] = new(IamUsers.TagAsync, IamTarget.User),
        ["UntagUser"] = new(IamUsers.UntagAsync, IamTarget.User),
        ["ListUserTags"] = new(IamUsers.ListTagsAsync, IamTarget.User),
        ["CreateAccessKey"] = new(IamAccessKeys.CreateAsync, IamTarget.UserOrSelf),
        ["ListAccessKeys"] = new(IamAccessKeys.ListAsync, IamTarget.UserOrSelf),
        ["UpdateAccessKey"] = new(IamAccessKeys.UpdateAsync, IamTarget.UserOrSelf),
        ["DeleteAccessKey"] = new(IamAccessKeys.DeleteAsync, IamTarget.UserOrSelf),
        ["GetAccessKeyLastUsed"] = new(IamAccessKeys.LastUsedAsync, IamTarget.Account),
        ["PutUserPolicy"] = new(c => IamInlinePolicies.PutAsync(c, IamKind.User), IamTarget.User),
        ["GetUserPolicy"] = new(c => IamInlinePolicies.GetAsync(c, IamKind.User), IamTarget.User),
        ["ListUserPolicies"] = new(c => IamInlinePolicies.ListAsync(c, IamKind.User), IamTarget.User),
        ["DeleteUserPolicy"] = new(c => IamInlinePolicies.DeleteAsync(c, IamKind.User), IamTarget.User),
        ["PutGroupPolicy"] = new(c => IamInlinePolicies.PutAsync(c, IamKind.Group), IamTarget.Group),
        ["GetGroupPolicy"] = new(c => IamInlinePolicies.GetAsync(c, IamKind.Group), IamTarget.Group),
        ["ListGroupPolicies"] = new(c => IamInlinePolicies.ListAsync(c, IamKind.Group), IamTarget.Group),
        ["DeleteGroupPolicy"] = new(c => IamInlinePolicies.DeleteAsync(c, IamKind.Group), IamTarget.Group),
        ["PutRolePolicy"] = new(c => IamInlinePolicies.PutAsync(c, IamKind.Role), IamTarget.Role),
        ["GetRolePolicy"] = new(c => IamInlinePolicies.GetAsync(c, IamKind.Role), IamTarget.Role),
        ["ListRolePolicies"] = new(c => IamInlinePolicies.ListAsync(c, IamKind.Role), IamTarget.Role),
        ["DeleteRolePolicy"] = new(c => IamInlinePolicies.DeleteAsync(c, IamKind.Role), IamTarget.Role),
        ["CreatePolicy"] = new(IamManagedPolicies.CreateAsync, IamTarget.Policy),
        ["GetPolicy"] = new(IamManagedPolicies.GetAsync, IamTarget.Policy),
        ["ListPolicies"] = new(IamManagedPolicies.ListAsync, IamTarget.Account),
        ["DeletePolicy"] = new(IamManagedPolicies.DeleteAsync, IamTarget.Policy),
        ["GetPolicyVersion"] = new(IamManagedPolicies.GetVersionAsync, IamTarget.Policy),
        ["ListPolicyVersions"] = new(IamManagedPolicies.ListVersionsAsync, IamTarget.Policy),
        ["CreatePolicyVersion"] = new(IamManagedPolicies.CreateVersionAsync, IamTarget.Policy),
        ["DeletePolicyVersion"] = new(IamManagedPolicies.DeleteVersionAsync, IamTarget.Policy),
        ["SetDefaultPolicyVersion"] = new(IamManagedPolicies.SetDefaultVersionAsync, IamTarget.Policy),
        ["AttachUserPolicy"] = new(c => IamManagedPolicies.AttachAsync(c, IamKind.User, true), IamTarget.User),
        ["DetachUserPolicy"] = new(c => IamManagedPolicies.AttachAsync(c, IamKind.User, false), IamTarget.User),
        ["ListAttachedUserPolicies"] = new(c => IamManagedPolicies.ListAttachedAsync(c, IamKind.User), IamTarget.User),
        ["AttachGroupPolicy"] = new(c => IamManagedPolicies.AttachAsync(c, IamKind.Group, true), IamTarget.Group),
        ["DetachGroupPolicy"] = new(c => IamManagedPolicies.AttachAsync(c, IamKind.Group, false), IamTarget.Group),
        ["ListAttachedGroupPolicies"] = new(c => IamManagedPolicies.ListAttachedAsync(c, IamKind.Group), IamTarget.Group),
        ["AttachRolePolicy"] = new(c => IamManagedPolicies.AttachAsync(c, IamKind.Role, true), IamTarget.Role),
        ["DetachRolePolicy"] = new(c => IamManagedPolicies.AttachAsync(c, IamKind.Role, false), IamTarget.Role),
        ["ListAttachedRolePolicies"] = new(c => IamManagedPolicies.ListAttachedAsync(c, IamKind.Role), IamTarget.Role),
        ["CreateGroup"] = new(IamGroups.CreateAsync, IamTarget.Group),
        ["GetGroup"] = new(IamGroups.GetAsync, IamTarget.Group),
        ["ListGroups"] = new(IamGroups.ListAsync, IamTarget.Account),
        ["UpdateGroup"] = new(IamGroups.UpdateAsync, IamTarget.Group),
        ["DeleteGroup"] = new(IamGroups.DeleteAsync, IamTarget.Group),
        ["AddUserToGroup"] = new(c => IamGroups.MembershipAsync(c, true), IamTarget.Group),
        ["RemoveUserFromGroup"] = new(c => IamGroups.MembershipAsync(c, false), IamTarget.Group),
        ["ListGroupsForUser"] = new(IamGroups.ListForUserAsync, IamTarget.User),
        ["CreateRole"] = new(IamRoles.CreateAsync, IamTarget.Role),
        ["GetRole"] = new(IamRoles.GetAsync, IamTarget.Role),
        ["ListRoles"] = new(IamRoles.ListAsync, IamTarget.Account),
        ["UpdateRole"] = new(IamRoles.UpdateAsync, IamTarget.Role),
        ["UpdateAssumeRolePolicy"] = new(IamRoles.UpdateTrustAsync, IamTarget.Role),
        ["DeleteRole"] = new(IamRoles.DeleteAsync, IamTarget.Role),
        ["TagRole"] = new(IamRoles.TagAsync, IamTarget.Role),
        ["UntagRole"] = new(IamRoles.UntagAsync, IamTarget.Role),
        ["ListRoleTags"] = new(IamRoles.ListTagsAsync, IamTarget.Role),
        ["CreateOpenIDConnectProvider"] = new(IamOidcProviders.CreateAsync, IamTarget.Account),
        ["GetOpenIDConnectProvider"] = new(IamOidcProviders.GetAsync, IamTarget.OidcProvider),
        ["ListOpenIDConnectProviders"] = new(IamOidcProviders.ListAsync, IamTarget.Account),
        ["DeleteOpenIDConnectProvider"] = new(IamOidcProviders.DeleteAsync, IamTarget.OidcProvider),
        ["AddClientIDToOpenIDConnectProvider"] = new(IamOidcProviders.AddClientIdAsync, IamTarget.OidcProvider),
        ["RemoveClientIDFromOpenIDConnectProvider"] = new(IamOidcProviders.RemoveClientIdAsync, IamTarget.OidcProvider),
        ["UpdateOpenIDConnectProviderThumbprint"] = new(IamOidcProviders.UpdateThumbprintsAsync, IamTarget.OidcProvider),
        ["GetAccountSummary"] = new(IamAccountSummary.GetAsync, IamTarget.Account),
    };

    /// <summary>Whether a form POSTed to the endpoint is an IAM request (IAM's API version, or an action only IAM has).</summary>
    public static bool Handles(Dictionary<string, string> form) =>
        form.GetValueOrDefault("Version") == Version || (form.GetValueOrDefault("Action") is { } action && Operations.ContainsKey(action));

    public static async Task HandleAsync(S3Request req, ServerContext ctx, Dictionary<string, string> form, CancellationToken ct)
    {
        try
        {
            var action = form.GetValueOrDefault("Action") ?? "";
            if (!Operations.TryGetValue(action, out var operation))
                throw new S3Exception("InvalidAction", 400, $"Could not find operation {action} for version {Version}");
            var caller = Sts.StsEndpoint.RequireCaller(req);
            var call = new IamCall(req, ctx, form, caller, action, ct);
            await AuthorizeAsync(call, operation.Target);
            await operation.Handler(call);
        }
        catch (S3Exception e)
        {
            await Sts.StsEndpoint.WriteErrorAsync(req, e, Namespace);
        }
    }

    /// <summary>
    /// The account root may do anything in its account; an IAM user, or a session of a role made with the IAM API,
    /// what its policies allow; other temporary credentials (of XOS's own roles) nothing. Administrator policies on the
    /// caller's account come first: their Deny wins; and an account addressing itself in the administrator's namespace
    /// (UserName = its canonical id) needs their Allow (see <see cref="AdministratorNamespace"/>).
    /// </summary>
    private static async Task AuthorizeAsync(IamCall call, IamTarget target)
    {
        var caller = call.Caller;
        var adminPolicies = caller.AdminPolicies;
        if (adminPolicies is not null)
        {
            var arn = await IamArns.TargetArnAsync(call, target);
            if (call.Ctx.Authorizer.EvaluateIdentity(adminPolicies, Request(call, arn)) == PolicyDecision.Deny)
                throw IamErrors.AccessDenied(caller, call.Action, arn);
        }
        if (await AddressesOwnAccountAsync(call, target))
        {
            var self = AdministratorNamespace.AccountUserArn(caller.OwnerId);
            if (adminPolicies is null || call.Ctx.Authorizer.EvaluateIdentity(adminPolicies, Request(call, self)) != PolicyDecision.Allow)
                throw IamErrors.AccessDenied(caller, call.Action, self);
            return;
        }
        IReadOnlyList<string>? policies = caller.IamUser?.Policies;
        if (caller.Session is { IsRoleSession: true } session)
            policies = session.RolePolicies ?? throw IamErrors.AccessDenied(caller, call.Action, "*");
        if (policies is null) return;
        var resource = await IamArns.TargetArnAsync(call, target);
        if (call.Ctx.Authorizer.EvaluateIdentity(policies, Request(call, resource)) != PolicyDecision.Allow)
            throw IamErrors.AccessDenied(caller, call.Action, resource);
    }

    private static PolicyRequest Request(IamCall call, string resource)
    {
        var caller = call.Caller;
        return new PolicyRequest(Authorizer.Caller(caller), "iam:" + call.Action, resource, new Dictionary<string, string[]>
        {
            ["aws:PrincipalArn"] = [caller.Arn],
            ["aws:PrincipalAccount"] = [caller.OwnerId],
            ["aws:username"] = [caller.IamUser?.Name ?? caller.DisplayName],
            ["sts:authentication"] = [caller.Session is not null ? "true" : "false"],
        });
    }

    /// <summary>Whether an account other than the administrator names itself as a user (with no IAM user of that name in it).</summary>
    private static async Task<bool> AddressesOwnAccountAsync(IamCall call, IamTarget target) =>
        target is IamTarget.User or IamTarget.UserOrSelf
        && call.Optional("UserName") is { } name && name == call.Caller.OwnerId
        && AdministratorNamespace.IsAccountRoot(call.Caller) && !AdministratorNamespace.IsAdministrator(call.Caller)
        && await call.Store.GetEntityAsync(IamKind.User, call.Account, name, call.Ct) is null;
}

/// <summary>What an action names, for its resource ARN.</summary>
public enum IamTarget { Account, User, UserOrSelf, Group, Role, Policy, OidcProvider }

/// <summary>One IAM request: the caller, its account, the form's parameters and the answer's writer.</summary>
public sealed class IamCall(S3Request req, ServerContext ctx, Dictionary<string, string> form, Identity caller, string action, CancellationToken ct)
{
    public S3Request Req { get; } = req;
    public ServerContext Ctx { get; } = ctx;
    public Identity Caller { get; } = caller;
    public string Action { get; } = action;
    public CancellationToken Ct { get; } = ct;
    public string Account => Caller.OwnerId;
    public IIamStore Store => Ctx.Store;

    public string? Optional(string name) => form.GetValueOrDefault(name);

    /// <summary>A required parameter; IAM's ValidationError when it is missing.</summary>
    public string Required(string name) => form.GetValueOrDefault(name)
        ?? throw IamErrors.Validation($"1 validation error detected: Value null at '{char.ToLowerInvariant(name[0])}{name[1..]}' failed to satisfy constraint: Member must not be null");

    /// <summary>The members of a list parameter (Name.member.1, Name.member.2, ...), in order.</summary>
    public List<string> Members(string name, string suffix = "")
    {
        var list = new List<string>();
        for (var i = 1; form.TryGetValue($"{name}.member.{i}{suffix}", out var value); i++) list.Add(value);
        return list;
    }

    /// <summary>Answers one element (User, Group, Role, Policy, ...) of the result, written by <paramref name="body"/>.</summary>
    public Task RespondElementAsync(string element, Action<XmlWriter> body) => RespondAsync(w =>
    {
        w.WriteStartElement(element);
        body(w);
        w.WriteEndElement();
    });

    /// <summary>Writes ACTIONResponse with ACTIONResult (when <paramref name="result"/> is given) and the request id.</summary>
    public Task RespondAsync(Action<XmlWriter>? result = null) =>
        S3Xml.WriteAsync(Req.Http, 200, Action + "Response", w =>
        {
            if (result is not null)
            {
                w.WriteStartElement(Action + "Result");
                result(w);
                w.WriteEndElement();
            }
            w.WriteStartElement("ResponseMetadata");
            w.Element("RequestId", Req.RequestId);
            w.WriteEndElement();
        }, IamEndpoint.Namespace);
}
