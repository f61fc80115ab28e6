using System.Text.Json;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Admin;

/// <summary>
/// The admin HTTP API under <c>/_xos/admin/</c> (a path no S3 bucket can have, since bucket names cannot contain '_'),
/// signed like any S3 request (SigV4 or V2) with the root credentials, or sent by the web console in a session of
/// root's own key (with its CSRF token). JSON in and out.
/// </summary>
public sealed class AdminApi(AdminService admin, RequestAuthenticator authenticator, ServerOptions options, RootCredentials root, ServerOverview overview)
{
    private const string Prefix = "/_xos/admin";

    /// <summary>Path-style requests under the prefix; on a virtual host the same path is an object key.</summary>
    public bool Matches(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments(Prefix, StringComparison.Ordinal)) return false;
        var host = http.Request.Host.Host;
        return !options.Domains.Any(d => host.EndsWith("." + d, StringComparison.OrdinalIgnoreCase));
    }

    public async Task HandleAsync(HttpContext http)
    {
        var requestId = RequestIds.Next();
        http.Response.Headers["x-amz-request-id"] = requestId;
        var ct = http.RequestAborted;
        try
        {
            var req = S3Request.Parse(http, requestId, options.Domains);
            await authenticator.AuthenticateAsync(req, ct);
            // Temporary credentials never administer, even root's: a role session would otherwise escape its policies;
            // nor do the IAM users of root's account, which act only as their policies allow.
            if (req.Identity is not { Session: null, IamUser: null } caller || caller.OwnerId != root.UserId)
                throw new AdminException("the admin API needs the root credentials", 403);
            var path = http.Request.Path.Value![Prefix.Length..].Trim('/');
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
            await RouteAsync(http, req, parts, ct);
        }
        catch (S3Exception e)
        {
            await WriteAsync(http, e.Status, new AdminError(e.Code, e.Message), AdminJson.Default.AdminError);
        }
        catch (AdminException e)
        {
            await WriteAsync(http, e.Status, new AdminError(e.Status switch { 404 => "NotFound", 409 => "Conflict", 403 => "AccessDenied", _ => "InvalidRequest" }, e.Message),
                AdminJson.Default.AdminError);
        }
        catch (JsonException)
        {
            await WriteAsync(http, 400, new AdminError("InvalidRequest", "the request body is not valid JSON"), AdminJson.Default.AdminError);
        }
    }

    private async Task RouteAsync(HttpContext http, S3Request req, string[] p, CancellationToken ct)
    {
        var method = http.Request.Method;
        switch (p)
        {
            case ["overview"] when method == "GET":
                await WriteAsync(http, 200, await overview.ReadAsync(ct), AdminJson.Default.OverviewSummary);
                return;
            case ["users"] when method == "GET":
                await WriteAsync(http, 200, await admin.ListUsersAsync(ct), AdminJson.Default.IReadOnlyListUserSummary);
                return;
            case ["users"] when method == "POST":
            {
                var body = await ReadAsync(req, ct);
                var created = await admin.AddUserAsync(body.Name ?? throw new AdminException("name is required"), body.AccessKey, body.SecretKey, ct);
                await WriteAsync(http, 200, created, AdminJson.Default.CreatedKey);
                return;
            }
            case ["users", var name] when method == "DELETE":
                await admin.RemoveUserAsync(name, ct);
                http.Response.StatusCode = 204;
                return;
            case ["users", var name, "keys"] when method == "POST":
            {
                var body = await ReadAsync(req, ct);
                await WriteAsync(http, 200, await admin.AddKeyAsync(name, body.AccessKey, body.SecretKey, ct), AdminJson.Default.CreatedKey);
                return;
            }
            case ["keys", var accessKey] when method == "DELETE":
                await admin.RemoveKeyAsync(accessKey, ct);
                http.Response.StatusCode = 204;
                return;
            case ["roles"] when method == "GET":
                await WriteAsync(http, 200, await admin.ListRolesAsync(ct), AdminJson.Default.IReadOnlyListRoleSummary);
                return;
            case ["roles"] when method == "POST":
            {
                var body = await ReadAsync(req, ct);
                var role = await admin.AddRoleAsync(body.Name ?? throw new AdminException("name is required"),
                    body.Policy ?? throw new AdminException("policy is required"), body.Trust ?? [], ct);
                await WriteAsync(http, 200, role, AdminJson.Default.RoleSummary);
                return;
            }
            case ["roles", var name] when method == "DELETE":
                await admin.RemoveRoleAsync(name, ct);
                http.Response.StatusCode = 204;
                return;
            case ["users", var name, "public-access-block"] when method == "GET":
            {
                var config = await admin.GetAccountPublicAccessBlockAsync(name, ct)
                             ?? throw new AdminException($"user {name} has no account-wide public access block", 404);
                await WriteAsync(http, 200, config, AdminJson.Default.PublicAccessBlockConfiguration);
                return;
            }
            case ["users", var name, "public-access-block"] when method == "PUT":
            {
                var config = await JsonSerializer.DeserializeAsync(req.Body, AdminJson.Default.PublicAccessBlockConfiguration, ct)
                             ?? throw new AdminException("the body must be a public access block configuration");
                await admin.SetAccountPublicAccessBlockAsync(name, config, ct);
                await WriteAsync(http, 200, config, AdminJson.Default.PublicAccessBlockConfiguration);
                return;
            }
            case ["users", var name, "public-access-block"] when method == "DELETE":
                await admin.SetAccountPublicAccessBlockAsync(name, null, ct);
                http.Response.StatusCode = 204;
                return;
            case ["kms", "keys"] when method == "GET":
                await WriteAsync(http, 200, await admin.ListKmsKeysAsync(ct), AdminJson.Default.IReadOnlyListKmsKeySummary);
                return;
            case ["kms", "keys"] when method == "POST":
            {
                var body = await ReadAsync(req, ct);
                var key = await admin.AddKmsKeyAsync(body.Name ?? throw new AdminException("name is required"), body.Algorithm, ct);
                await WriteAsync(http, 200, key, AdminJson.Default.KmsKeySummary);
                return;
            }
            case ["kms", "keys", var keyId, var action] when method == "POST" && action is "enable" or "disable" or "rotate":
            {
                var key = action == "rotate" ? await admin.RotateKmsKeyAsync(keyId, ct) : await admin.SetKmsKeyEnabledAsync(keyId, action == "enable", ct);
                await WriteAsync(http, 200, key, AdminJson.Default.KmsKeySummary);
                return;
            }
            case ["notify", "targets"] when method == "GET":
                await WriteAsync(http, 200, await admin.ListNotifyTargetsAsync(ct), AdminJson.Default.IReadOnlyListNotifyTargetSummary);
                return;
            case ["notify", "targets"] when method == "POST":
            {
                var body = await JsonSerializer.DeserializeAsync(req.Body, AdminJson.Default.NotifyTargetRequest, ct)
                           ?? throw new AdminException("the body must be a notification target");
                var target = await admin.AddNotifyTargetAsync(body.Kind ?? throw new AdminException("kind is required"),
                    body.Name ?? throw new AdminException("name is required"), body.Settings ?? [], ct);
                await WriteAsync(http, 200, target, AdminJson.Default.NotifyTargetSummary);
                return;
            }
            case ["notify", "targets", var arn] when method == "DELETE":
                await WriteAsync(http, 200, new NotifyRemoved(arn, await admin.RemoveNotifyTargetAsync(arn, ct)), AdminJson.Default.NotifyRemoved);
                return;
            default:
                throw new AdminException($"no admin operation {method} {http.Request.Path}", 404);
        }
    }

    private static async Task<AdminRequest> ReadAsync(S3Request req, CancellationToken ct)
    {
        if (req.ContentLength is 0) return new AdminRequest(null, null, null, null, null);
        return await JsonSerializer.DeserializeAsync(req.Body, AdminJson.Default.AdminRequest, ct) ?? new AdminRequest(null, null, null, null, null);
    }

    private static async Task WriteAsync<T>(HttpContext http, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, value, type, http.RequestAborted);
    }
}
