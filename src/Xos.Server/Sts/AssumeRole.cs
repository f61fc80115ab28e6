using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Xos.Server.Auth.Policies;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Sts;

/// <summary>
/// STS AssumeRole at the S3 endpoint (POST /, form-encoded, SigV4 with any region): a user the role trusts gets
/// temporary credentials that act as that user within the role's policy and the optional session policy.
/// Sessions live in the metadata store, so they survive restarts and work on every server sharing it.
/// </summary>
public static partial class AssumeRole
{
    public const string Namespace = "https://sts.amazonaws.com/doc/2011-06-15/";
    private const int MaxFormBytes = 64 * 1024;

    [GeneratedRegex(@"^arn:aws:iam::(\d*:)?role/([A-Za-z0-9+=,.@_-]{1,64})$")]
    private static partial Regex RoleArn();

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionName();

    private static S3Exception Validation(string message) => new("ValidationError", 400, message);

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        try
        {
            await AssumeAsync(req, ctx, ct);
        }
        catch (S3Exception e)
        {
            await S3Xml.WriteAsync(req.Http, e.Status, "ErrorResponse", w =>
            {
                w.WriteStartElement("Error");
                w.Element("Type", e.Status >= 500 ? "Receiver" : "Sender");
                w.Element("Code", e.Code);
                w.Element("Message", e.Message);
                w.WriteEndElement();
                w.Element("RequestId", req.RequestId);
            }, Namespace);
        }
    }

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

    private static async Task AssumeAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var form = await ReadFormAsync(req, ct);
        var action = form.GetValueOrDefault("Action");
        if (action != "AssumeRole") throw new S3Exception("InvalidAction", 400, $"Could not find operation {action} for version 2011-06-15");
        var caller = req.Identity ?? throw new S3Exception("MissingAuthenticationToken", 403, "Request is missing Authentication Token");
        if (caller.Session is not null) throw S3Errors.AccessDenied("Temporary credentials cannot assume a role.");

        var arn = form.GetValueOrDefault("RoleArn") ?? throw Validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
        var match = RoleArn().Match(arn);
        if (!match.Success) throw Validation($"{arn} is invalid");
        var sessionName = form.GetValueOrDefault("RoleSessionName") ?? throw Validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
        if (!SessionName().IsMatch(sessionName))
            throw Validation("1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*");
        var duration = 3600;
        if (form.TryGetValue("DurationSeconds", out var durationText)
            && (!int.TryParse(durationText, NumberStyles.None, CultureInfo.InvariantCulture, out duration) || duration is < 900 or > 43200))
            throw Validation("The requested DurationSeconds must be between 900 and 43200 seconds.");
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
        var role = await ctx.Store.GetRoleAsync(roleName, ct);
        var trusted = role is not null && (caller.DisplayName == RootCredentials.DisplayName || role.TrustedUsers.Contains(caller.DisplayName));
        if (!trusted) throw S3Errors.AccessDenied($"User: {caller.DisplayName} is not authorized to perform: sts:AssumeRole on resource: {arn}");

        var accessKey = "XOST" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16);
        var secretKey = RootCredentials.NewSecretKey();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        var expires = DateTimeOffset.UtcNow.AddSeconds(duration);
        await ctx.Store.CreateSessionAsync(accessKey, secretKey, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))),
            caller.OwnerId, roleName, sessionName, sessionPolicy, expires, ct);

        await S3Xml.WriteAsync(req.Http, 200, "AssumeRoleResponse", w =>
        {
            w.WriteStartElement("AssumeRoleResult");
            w.WriteStartElement("Credentials");
            w.Element("AccessKeyId", accessKey);
            w.Element("SecretAccessKey", secretKey);
            w.Element("SessionToken", token);
            w.Element("Expiration", expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteEndElement();
            w.WriteStartElement("AssumedRoleUser");
            w.Element("AssumedRoleId", $"{roleName}:{sessionName}");
            w.Element("Arn", $"arn:aws:sts::assumed-role/{roleName}/{sessionName}");
            w.WriteEndElement();
            w.Element("PackedPolicySize", sessionPolicy is null ? 0 : Math.Min(100, sessionPolicy.Length * 100 / 2048));
            w.WriteEndElement();
            w.WriteStartElement("ResponseMetadata");
            w.Element("RequestId", req.RequestId);
            w.WriteEndElement();
        }, Namespace);
    }
}
