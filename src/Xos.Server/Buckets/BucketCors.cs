using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>One CORS rule: which origins may use which methods and headers, and what the browser may read back.</summary>
public sealed record CorsRule(
    string? Id,
    List<string> AllowedMethods,
    List<string> AllowedOrigins,
    List<string> AllowedHeaders,
    List<string> ExposeHeaders,
    int? MaxAgeSeconds)
{
    public bool MatchesOrigin(string origin) => AllowedOrigins.Any(o => BucketCors.WildcardMatch(o, origin, ignoreCase: false));

    public bool AllowsHeaders(IEnumerable<string> requested) =>
        requested.All(h => AllowedHeaders.Any(a => BucketCors.WildcardMatch(a, h, ignoreCase: true)));
}

/// <summary>
/// Put/Get/DeleteBucketCors, the OPTIONS preflight answered from the first matching rule, and the
/// Access-Control-* headers added to actual requests whose Origin matches a rule.
/// </summary>
public static class BucketCors
{
    public const string SettingName = "cors";
    private const int MaxRules = 100;
    private static readonly string[] Methods = ["GET", "PUT", "POST", "DELETE", "HEAD"];

    /// <summary>A pattern with at most one '*' standing for any run of characters.</summary>
    public static bool WildcardMatch(string pattern, string value, bool ignoreCase)
    {
        var cmp = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var star = pattern.IndexOf('*');
        if (star < 0) return string.Equals(pattern, value, cmp);
        var head = pattern[..star];
        var tail = pattern[(star + 1)..];
        return value.Length >= head.Length + tail.Length && value.StartsWith(head, cmp) && value.EndsWith(tail, cmp);
    }

    public static List<CorsRule> Parse(XElement doc)
    {
        if (doc.Name.LocalName != "CORSConfiguration") throw S3Errors.MalformedXml();
        var rules = new List<CorsRule>();
        foreach (var r in doc.Children("CORSRule"))
        {
            var methods = r.Children("AllowedMethod").Select(e => e.Value.Trim()).ToList();
            var origins = r.Children("AllowedOrigin").Select(e => e.Value.Trim()).ToList();
            if (methods.Count == 0 || origins.Count == 0) throw S3Errors.MalformedXml();
            foreach (var m in methods)
                if (!Methods.Contains(m)) throw S3Errors.InvalidRequest($"Found unsupported HTTP method in CORS config. Unsupported method is {m}");
            foreach (var o in origins)
                if (o.Count(c => c == '*') > 1) throw S3Errors.InvalidRequest($"AllowedOrigin \"{o}\" can not have more than one wildcard.");
            var headers = r.Children("AllowedHeader").Select(e => e.Value.Trim()).ToList();
            foreach (var h in headers)
                if (h.Count(c => c == '*') > 1) throw S3Errors.InvalidRequest($"AllowedHeader \"{h}\" can not have more than one wildcard.");
            int? maxAge = null;
            if (r.ChildValue("MaxAgeSeconds") is { } age)
                maxAge = int.TryParse(age.Trim(), out var a) && a >= 0 ? a : throw S3Errors.MalformedXml();
            var id = r.ChildValue("ID");
            if (id is { Length: > 255 }) throw S3Errors.InvalidArgument("The ID of a CORS rule can be at most 255 characters.", "ID", id);
            rules.Add(new CorsRule(id, methods, origins, headers, r.Children("ExposeHeader").Select(e => e.Value.Trim()).ToList(), maxAge));
        }
        if (rules.Count == 0) throw S3Errors.MalformedXml();
        if (rules.Count > MaxRules) throw S3Errors.InvalidRequest("The number of CORS rules should not exceed allowed limit of 100 rules.");
        return rules;
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketCORS", ct);
        var rules = Parse(await S3Xml.ReadBodyAsync(req, ct));
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, JsonSerializer.Serialize(rules, CorsJson.Default.ListCorsRule), ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketCORS", ct);
        var rules = await LoadAsync(ctx, bucket.Id, ct) ?? throw NoSuchCorsConfiguration(bucket.Name);
        await S3Xml.WriteAsync(req.Http, 200, "CORSConfiguration", w =>
        {
            foreach (var r in rules)
            {
                w.WriteStartElement("CORSRule");
                w.Element("ID", r.Id);
                foreach (var h in r.AllowedHeaders) w.Element("AllowedHeader", h);
                foreach (var m in r.AllowedMethods) w.Element("AllowedMethod", m);
                foreach (var o in r.AllowedOrigins) w.Element("AllowedOrigin", o);
                foreach (var e in r.ExposeHeaders) w.Element("ExposeHeader", e);
                if (r.MaxAgeSeconds is { } age) w.Element("MaxAgeSeconds", age);
                w.WriteEndElement();
            }
        });
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketCORS", ct);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, SettingName, null, ct);
        req.Http.Response.StatusCode = 204;
    }

    private static S3Exception NoSuchCorsConfiguration(string bucket) =>
        new("NoSuchCORSConfiguration", 404, "The CORS configuration does not exist", ("BucketName", bucket));

    private static async Task<List<CorsRule>?> LoadAsync(ServerContext ctx, long bucketId, CancellationToken ct) =>
        await ctx.Store.GetBucketSettingAsync(bucketId, SettingName, ct) is { } json
            ? JsonSerializer.Deserialize(json, CorsJson.Default.ListCorsRule)
            : null;

    /// <summary>OPTIONS /bucket[/key]: a browser's preflight, answered without authentication from the bucket's rules.</summary>
    public static async Task PreflightAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var origin = req.Header("Origin");
        var method = req.Header("Access-Control-Request-Method");
        if (origin is null) throw new S3Exception("BadRequest", 400, "Insufficient information. Origin request header needed.");
        if (method is null) throw new S3Exception("BadRequest", 400, "Invalid Access-Control-Request-Method: null");
        var bucket = await ctx.Store.GetBucketAsync(req.Bucket!, ct) ?? throw S3Errors.NoSuchBucket(req.Bucket!);
        var rules = await LoadAsync(ctx, bucket.Id, ct) ?? throw S3Errors.AccessDenied("CORSResponse: CORS is not enabled for this bucket.");
        var requestedHeaders = (req.Header("Access-Control-Request-Headers") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rule = rules.FirstOrDefault(r => r.MatchesOrigin(origin) && r.AllowedMethods.Contains(method) && r.AllowsHeaders(requestedHeaders))
                   ?? throw S3Errors.AccessDenied("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
        var h = req.Http.Response.Headers;
        WriteAllowHeaders(h, rule, origin);
        h.AccessControlAllowMethods = string.Join(", ", rule.AllowedMethods);
        if (requestedHeaders.Length > 0) h.AccessControlAllowHeaders = string.Join(", ", requestedHeaders);
        if (rule.MaxAgeSeconds is { } maxAge) h.AccessControlMaxAge = maxAge.ToString();
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    /// <summary>Adds Access-Control-* headers to an actual request whose Origin and method match a rule of the bucket.</summary>
    public static async Task ApplyToActualRequestAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        if (req.Header("Origin") is not { } origin || req.Bucket is null || !BucketNames.IsValid(req.Bucket)) return;
        var bucket = await ctx.Store.GetBucketAsync(req.Bucket, ct);
        if (bucket is null || await LoadAsync(ctx, bucket.Id, ct) is not { } rules) return;
        // A request that names the method it stands for (Access-Control-Request-Method) is matched as that method.
        var method = req.Header("Access-Control-Request-Method") ?? req.Method;
        var rule = rules.FirstOrDefault(r => r.MatchesOrigin(origin) && r.AllowedMethods.Contains(method));
        if (rule is null) return;
        WriteAllowHeaders(req.Http.Response.Headers, rule, origin);
        req.Http.Response.Headers.AccessControlAllowMethods = string.Join(", ", rule.AllowedMethods);
        if (rule.MaxAgeSeconds is { } maxAge) req.Http.Response.Headers.AccessControlMaxAge = maxAge.ToString();
    }

    private static void WriteAllowHeaders(IHeaderDictionary h, CorsRule rule, string origin)
    {
        var wildcard = rule.AllowedOrigins.Contains("*");
        h.AccessControlAllowOrigin = wildcard ? "*" : origin;
        if (!wildcard) h.AccessControlAllowCredentials = "true";
        if (rule.ExposeHeaders.Count > 0) h.AccessControlExposeHeaders = string.Join(", ", rule.ExposeHeaders);
        h.Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
    }

    /// <summary>Headers that survive when an error replaces the response, so a browser can read the error.</summary>
    public static readonly string[] ResponseHeaders =
        ["Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Expose-Headers", "Access-Control-Max-Age", "Vary"];
}

[JsonSerializable(typeof(List<CorsRule>))]
internal sealed partial class CorsJson : JsonSerializerContext;
