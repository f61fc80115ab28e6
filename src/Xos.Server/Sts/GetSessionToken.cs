using Xos.Server.Hosting;
using Xos.Server.Protocol;
using static Xos.Server.Sts.StsEndpoint;

namespace Xos.Server.Sts;

/// <summary>
/// STS GetSessionToken: temporary credentials of the calling user, for handing to a process that should not hold
/// the long-term key. They act as the user, with no policy of their own, until they expire.
/// </summary>
public static class GetSessionToken
{
    public static async Task HandleAsync(S3Request req, ServerContext ctx, Dictionary<string, string> form, CancellationToken ct)
    {
        var caller = RequireCaller(req);
        if (caller.Session is not null) throw S3Errors.AccessDenied("Cannot call GetSessionToken with session credentials");
        // XOS has no MFA devices, so no one-time code can be verified.
        if (form.ContainsKey("SerialNumber") || form.ContainsKey("TokenCode"))
            throw S3Errors.AccessDenied("MultiFactorAuthentication failed: no MFA device is registered for this user.");
        var duration = Duration(form, defaultSeconds: 43200, maxSeconds: 129600);
        CheckAdministratorPolicies(ctx, caller, "sts:GetSessionToken", "*");

        var (accessKey, secretKey, token, tokenHash) = NewCredentials();
        var expires = DateTimeOffset.UtcNow.AddSeconds(duration);
        await ctx.Store.CreateSessionAsync(accessKey, secretKey, tokenHash, caller.OwnerId, roleName: "", sessionName: caller.DisplayName,
            sessionPolicy: null, expires, ct, caller.IamUser?.Id);

        await S3Xml.WriteAsync(req.Http, 200, "GetSessionTokenResponse", w =>
        {
            w.WriteStartElement("GetSessionTokenResult");
            WriteCredentials(w, accessKey, secretKey, token, expires);
            w.WriteEndElement();
            WriteMetadata(w, req);
        }, Namespace);
    }
}
