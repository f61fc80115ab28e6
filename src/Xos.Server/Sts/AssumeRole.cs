using System.Text.RegularExpressions;
using Xos.Server.Auth.Policies;
using Xos.Server.Hosting;
using Xos.Server.Iam;
using Xos.Server.Protocol;
using static Xos.Server.Sts.StsEndpoint;

namespace Xos.Server.Sts;

/// <summary>
/// STS AssumeRole: a user the role trusts gets temporary credentials that act as that user within the role's policy
/// and the optional session policy. Sessions live in the metadata store, so they survive restarts and work on every
/// server sharing it.
/// </summary>
public static partial class AssumeRole
{
    [GeneratedRegex(@"^arn:aws:iam::([0-9a-zA-Z]*:)?role/(?:[\u0021-\u007E]*/)?([A-Za-z0-9+=,.@_-]{1,64})$")]
    private static partial Regex RoleArn();

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionName();

    public static string AssumedRoleArn(string roleName, string sessionName) => $"arn:aws:sts::assumed-role/{roleName}/{sessionName}";

    /// <summary>The ARN of a session of a role made with the IAM API: in the role's account.</summary>
    public static string AssumedRoleArn(string account, string roleName, string sessionName) => $"arn:aws:sts::{account}:assumed-role/{roleName}/{sessionName}";

    public static string AssumedRoleId(string roleName, string sessionName) => $"{roleName}:{sessionName}";

    public static async Task HandleAsync(S3Request req, ServerContext ctx, Dictionary<string, string> form, CancellationToken ct)
    {
        var caller = RequireCaller(req);
        // Credentials of a role session cannot assume another role; those of GetSessionToken act as their user and can.
        if (caller.Session is { IsRoleSession: true }) throw S3Errors.AccessDenied("Temporary credentials cannot assume a role.");

        var arn = form.GetValueOrDefault("RoleArn") ?? throw Validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
        var match = RoleArn().Match(arn);
        if (!match.Success) throw Validation($"{arn} is invalid");
        var sessionName = form.GetValueOrDefault("RoleSessionName") ?? throw Validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
        if (!SessionName().IsMatch(sessionName))
            throw Validation("1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*");
        var duration = Duration(form, defaultSeconds: 3600, maxSeconds: 43200);
        string? sessionPolicy = null;
        if (form.TryGetValue("Policy", out var policyText))
        {
            if (policyText.Length is < 1 or > 2048)
                throw Validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
            try
            {
                PolicyDocument.ParseIdentity(policyText);
            }
            catch (S3Exception e) when (e.Code == "MalformedPolicy")
            {
                throw new S3Exception("MalformedPolicyDocument", 400, e.Message);
            }
            sessionPolicy = policyText;
        }

        var roleName = match.Groups[2].Value;
        var account = match.Groups[1].Value.TrimEnd(':');
        // No account: the global namespace, where the administrator's roles live beside XOS's own.
        var iamRole = account.Length > 0 ? await ctx.Store.GetIamRoleAsync(account, roleName, ct)
            : AdministratorNamespace.AccountId is { } admin ? await ctx.Store.GetIamRoleAsync(admin, roleName, ct) : null;
        CheckAdministratorPolicies(ctx, caller, "sts:AssumeRole", arn);
        bool trusted;
        if (iamRole is not null)
        {
            trusted = RoleTrust.Allows(ctx.Authorizer, caller, iamRole);
            roleName = iamRole.Name;
            if (duration > iamRole.MaxSessionSeconds)
                throw Validation($"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }
        else
        {
            // XOS's own roles (xos admin role): trusted users by name; the server's root may assume any.
            var role = await ctx.Store.GetRoleAsync(roleName, ct);
            trusted = role is not null && caller.IamUser is null
                      && (caller.DisplayName == RootCredentials.DisplayName || role.TrustedUsers.Contains(caller.DisplayName));
        }
        if (!trusted) throw S3Errors.AccessDenied($"User: {caller.Arn} is not authorized to perform: sts:AssumeRole on resource: {arn}");

        var (accessKey, secretKey, token, tokenHash) = NewCredentials();
        var expires = DateTimeOffset.UtcNow.AddSeconds(duration);
        // A session of an account's role acts in the role's account (as AWS's do); one of XOS's own roles as the caller.
        await ctx.Store.CreateSessionAsync(accessKey, secretKey, tokenHash, iamRole?.AccountId ?? caller.OwnerId, roleName, sessionName, sessionPolicy, expires, ct);
        var assumedId = iamRole is null ? AssumedRoleId(roleName, sessionName) : AssumedRoleId(iamRole.Id, sessionName);
        var assumedArn = iamRole is null ? AssumedRoleArn(roleName, sessionName) : AssumedRoleArn(AdministratorNamespace.ArnAccount(iamRole.AccountId), roleName, sessionName);

        await S3Xml.WriteAsync(req.Http, 200, "AssumeRoleResponse", w =>
        {
            w.WriteStartElement("AssumeRoleResult");
            WriteCredentials(w, accessKey, secretKey, token, expires);
            w.WriteStartElement("AssumedRoleUser");
            w.Element("AssumedRoleId", assumedId);
            w.Element("Arn", assumedArn);
            w.WriteEndElement();
            w.Element("PackedPolicySize", sessionPolicy is null ? 0 : Math.Min(100, sessionPolicy.Length * 100 / 2048));
            w.WriteEndElement();
            WriteMetadata(w, req);
        }, Namespace);
    }
}
