using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.WebUtilities;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Sts;

/// <summary>
/// STS at the S3 endpoint: a form-encoded POST / (signed with SigV4 for service "sts", any region) whose Action
/// names the operation. Answers and errors take STS's XML shapes, not S3's.
/// </summary>
public static class StsEndpoint
{
    public const string Namespace = "https://sts.amazonaws.com/doc/2011-06-15/";
    private const int MaxFormBytes = 64 * 1024;

    public static S3Exception Validation(string message) => new("ValidationError", 400, message);

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        try
        {
            var form = await ReadFormAsync(req, ct);
            if (Iam.IamEndpoint.Handles(form))
            {
                await Iam.IamEndpoint.HandleAsync(req, ctx, form, ct);
                return;
            }
            var action = form.GetValueOrDefault("Action");
            switch (action)
            {
                case "AssumeRole":
                    await AssumeRole.HandleAsync(req, ctx, form, ct);
                    break;
                case "GetSessionToken":
                    await GetSessionToken.HandleAsync(req, ctx, form, ct);
                    break;
                case "GetCallerIdentity":
                    await GetCallerIdentity.HandleAsync(req);
                    break;
                default:
                    throw new S3Exception("InvalidAction", 400, $"Could not find operation {action} for version 2011-06-15");
            }
        }
        catch (S3Exception e)
        {
            await WriteErrorAsync(req, e, Namespace);
        }
    }

    /// <summary>The ErrorResponse of the query APIs (STS, IAM) in the API's namespace.</summary>
    public static Task WriteErrorAsync(S3Request req, S3Exception e, string ns) =>
        S3Xml.WriteAsync(req.Http, e.Status, "ErrorResponse", w =>
        {
            w.WriteStartElement("Error");
            w.Element("Type", e.Status >= 500 ? "Receiver" : "Sender");
            w.Element("Code", e.Code);
            w.Element("Message", e.Message);
            w.WriteEndElement();
            w.Element("RequestId", req.RequestId);
        }, ns);

    private static async Task<Dictionary<string, string>> ReadFormAsync(S3Request req, CancellationToken ct)
    {
        if (req.ContentLength > MaxFormBytes) throw Validation("The request body is too large.");
        using var buffer = new MemoryStream();
        await req.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxFormBytes) throw Validation("The request body is too large.");
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in QueryHelpers.ParseQuery(req.RawQuery.Length > 0 ? "?" + req.RawQuery : "")) form[k] = v.ToString();
        foreach (var (k, v) in QueryHelpers.ParseQuery("?" + Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length))) form[k] = v.ToString();
        return form;
    }

    /// <summary>An explicit Deny of the administrator's policies on the caller's account refuses the STS action too.</summary>
    public static void CheckAdministratorPolicies(ServerContext ctx, Identity caller, string action, string resource)
    {
        if (caller.AdminPolicies is not { } policies) return;
        var request = new Auth.Policies.PolicyRequest(Authorizer.Caller(caller), action, resource, new Dictionary<string, string[]>
        {
            ["aws:PrincipalArn"] = [caller.Arn],
            ["aws:PrincipalAccount"] = [caller.OwnerId],
            ["sts:authentication"] = [caller.Session is not null ? "true" : "false"],
        });
        if (ctx.Authorizer.EvaluateIdentity(policies, request) == Auth.Policies.PolicyDecision.Deny)
            throw S3Errors.AccessDenied($"User: {caller.Arn} is not authorized to perform: {action} on resource: {resource} with an explicit deny");
    }

    public static Identity RequireCaller(S3Request req) =>
        req.Identity ?? throw new S3Exception("MissingAuthenticationToken", 403, "Request is missing Authentication Token");

    /// <summary>Optional DurationSeconds within the operation's bounds, STS's ValidationError otherwise.</summary>
    public static int Duration(Dictionary<string, string> form, int defaultSeconds, int maxSeconds)
    {
        if (!form.TryGetValue("DurationSeconds", out var text)) return defaultSeconds;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 900 || seconds > maxSeconds)
            throw Validation($"The requested DurationSeconds must be between 900 and {maxSeconds} seconds.");
        return seconds;
    }

    /// <summary>New temporary credentials: an access key, its secret, a session token and the hash of the token that is stored.</summary>
    public static (string AccessKey, string SecretKey, string Token, string TokenHash) NewCredentials()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        return ("XOST" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16), RootCredentials.NewSecretKey(), token,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))));
    }

    public static void WriteCredentials(XmlWriter w, string accessKey, string secretKey, string token, DateTimeOffset expires)
    {
        w.WriteStartElement("Credentials");
        w.Element("AccessKeyId", accessKey);
        w.Element("SecretAccessKey", secretKey);
        w.Element("SessionToken", token);
        w.Element("Expiration", expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteEndElement();
    }

    public static void WriteMetadata(XmlWriter w, S3Request req)
    {
        w.WriteStartElement("ResponseMetadata");
        w.Element("RequestId", req.RequestId);
        w.WriteEndElement();
    }
}
