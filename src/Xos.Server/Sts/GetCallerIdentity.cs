using Xos.Server.Hosting;
using Xos.Server.Protocol;
using static Xos.Server.Sts.StsEndpoint;

namespace Xos.Server.Sts;

/// <summary>
/// STS GetCallerIdentity: who the credentials belong to. Every XOS user is an account of its own, so the account is
/// the user's canonical id; the root user is that account's root. A role session answers with its assumed-role ARN.
/// </summary>
public static class GetCallerIdentity
{
    public static async Task HandleAsync(S3Request req)
    {
        var caller = RequireCaller(req);
        string arn, userId;
        if (caller.Session is { IsRoleSession: true, RoleArn: not null } iamSession)
        {
            arn = caller.Arn;
            userId = AssumeRole.AssumedRoleId(iamSession.RoleId ?? iamSession.RoleName, iamSession.SessionName);
        }
        else if (caller.Session is { IsRoleSession: true } session)
        {
            arn = AssumeRole.AssumedRoleArn(session.RoleName, session.SessionName);
            userId = AssumeRole.AssumedRoleId(session.RoleName, session.SessionName);
        }
        else if (caller.IamUser is { } user)
        {
            arn = caller.Arn;
            userId = user.Id;
        }
        else
        {
            arn = caller.DisplayName == RootCredentials.DisplayName
                ? $"arn:aws:iam::{caller.OwnerId}:root"
                : $"arn:aws:iam::{caller.OwnerId}:user/{caller.DisplayName}";
            userId = caller.OwnerId;
        }

        await S3Xml.WriteAsync(req.Http, 200, "GetCallerIdentityResponse", w =>
        {
            w.WriteStartElement("GetCallerIdentityResult");
            w.Element("Arn", arn);
            w.Element("UserId", userId);
            w.Element("Account", caller.OwnerId);
            w.WriteEndElement();
            WriteMetadata(w, req);
        }, Namespace);
    }
}
