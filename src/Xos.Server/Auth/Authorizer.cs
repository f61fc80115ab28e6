using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Xos.Server.Auth.Acls;
using Xos.Server.Auth.Policies;
using Xos.Server.Buckets;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Auth;

/// <summary>
/// Decides whether the caller may perform an IAM action on a bucket or object. An explicit Deny in the bucket policy
/// wins; then an Allow in the bucket policy, the bucket owner (except on objects other accounts wrote), or a grant in
/// the bucket's ACL (bucket-level actions) or the object's ACL (object reads and ACL access) lets the request through;
/// anything else is AccessDenied.
/// </summary>
public sealed partial class Authorizer
{
    private enum Level { Bucket, Object }

    /// <summary>The ACL permission that grants each action; actions missing here are reserved to the bucket owner.</summary>
    private static readonly Dictionary<string, (AclPermission Permission, Level Level)> AclGrants = new(StringComparer.OrdinalIgnoreCase)
    {
        ["s3:GetObject"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectVersion"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectAttributes"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectVersionAttributes"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectTorrent"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectVersionTorrent"] = (AclPermission.Read, Level.Object),
        ["s3:GetObjectAcl"] = (AclPermission.ReadAcp, Level.Object),
        ["s3:GetObjectVersionAcl"] = (AclPermission.ReadAcp, Level.Object),
        ["s3:PutObjectAcl"] = (AclPermission.WriteAcp, Level.Object),
        ["s3:PutObjectVersionAcl"] = (AclPermission.WriteAcp, Level.Object),
        ["s3:ListBucket"] = (AclPermission.Read, Level.Bucket),
        ["s3:ListBucketVersions"] = (AclPermission.Read, Level.Bucket),
        ["s3:ListBucketMultipartUploads"] = (AclPermission.Read, Level.Bucket),
        ["s3:PutObject"] = (AclPermission.Write, Level.Bucket),
        ["s3:DeleteObject"] = (AclPermission.Write, Level.Bucket),
        ["s3:DeleteObjectVersion"] = (AclPermission.Write, Level.Bucket),
        ["s3:AbortMultipartUpload"] = (AclPermission.Write, Level.Bucket),
        ["s3:ListMultipartUploadParts"] = (AclPermission.Write, Level.Bucket),
        ["s3:GetBucketAcl"] = (AclPermission.ReadAcp, Level.Bucket),
        ["s3:PutBucketAcl"] = (AclPermission.WriteAcp, Level.Bucket),
    };

    /// <summary>Requires an authenticated caller (for ListBuckets and CreateBucket) whose session, if any, allows the action.</summary>
    public Identity RequireAuthenticated(S3Request req, string action, string resource)
    {
        var caller = req.Identity ?? throw S3Errors.AccessDenied();
        if (caller.Session is { } session) CheckSession(session, req, action, resource, null);
        if (AdminDecision(req, action, resource, null) == PolicyDecision.Deny) throw S3Errors.AccessDenied();
        if (caller.IamUser is not null && IdentityDecision(req, action, resource, null) != PolicyDecision.Allow) throw S3Errors.AccessDenied();
        return caller;
    }

    /// <summary>
    /// Throws AccessDenied unless the caller may perform <paramref name="action"/>. For object-level actions on a key
    /// that does not exist, pass null: the caller then needs the bucket's READ, so that only those who may list the
    /// bucket learn that the key is missing.
    /// </summary>
    /// <summary>
    /// x-amz-expected-bucket-owner (for the request's bucket) and x-amz-source-expected-bucket-owner (for a copy's
    /// source): a request meant for another account's bucket is refused, whoever signed it.
    /// </summary>
    private static void CheckExpectedOwner(S3Request req, BucketRecord bucket)
    {
        var header = bucket.Name == req.Bucket ? "x-amz-expected-bucket-owner" : "x-amz-source-expected-bucket-owner";
        if (req.Header(header) is { } expected && expected != bucket.OwnerId) throw S3Errors.AccessDenied();
    }

    public void Authorize(S3Request req, BucketRecord bucket, string action, ObjectRecord? obj = null, string? key = null)
    {
        CheckExpectedOwner(req, bucket);
        var caller = req.Identity;
        var resource = ResourceArn(bucket, action, key ?? req.Key);
        if (caller?.Session is { } session) CheckSession(session, req, action, resource, obj);
        // The administrator's policies on the caller's account (see Iam/AdministratorNamespace.cs): a Deny wins.
        var admin = AdminDecision(req, action, resource, obj);
        if (admin == PolicyDecision.Deny) throw S3Errors.AccessDenied();
        var isOwner = caller is not null && caller.OwnerId == bucket.OwnerId;
        // An IAM user acts by its identity policies: an explicit Deny there wins; inside its account an Allow there (or
        // in the bucket policy) suffices; on another account's bucket both its policies and the bucket's must allow.
        var iamUser = caller?.IamUser is not null;
        var identity = iamUser ? IdentityDecision(req, action, resource, obj) : PolicyDecision.NotApplicable;
        if (identity == PolicyDecision.Deny) throw S3Errors.AccessDenied();
        var block = PublicAccessBlockConfiguration.Effective(bucket);
        var decision = bucket.Policy is { } policy ? EvaluatePolicy(req, bucket, policy, action, obj, key ?? req.Key) : PolicyDecision.NotApplicable;
        // The owner can always read and replace the policy, so a careless Deny cannot lock them out of their bucket.
        if (decision == PolicyDecision.Deny && !(isOwner && !iamUser && action.EndsWith("BucketPolicy", StringComparison.Ordinal))) throw S3Errors.AccessDenied();
        // The administrator speaks for every account: its Allow lets the account in, on any account's bucket. A missing
        // key is told apart from a forbidden one only to those allowed to list the bucket, as for everyone else.
        if (admin == PolicyDecision.Allow && (obj is not null || !IsObjectRead(action)
                                              || AdminDecision(req, "s3:ListBucket", ResourceArn(bucket, "s3:ListBucket", null), null) == PolicyDecision.Allow))
            return;
        // Past here a grant of the bucket's (its policy, its ACLs) lets an IAM user of another account in only with its own Allow.
        if (iamUser && !isOwner && identity != PolicyDecision.Allow) throw S3Errors.AccessDenied();
        // RestrictPublicBuckets: while the policy is public, it lets in no one from outside the owner's account.
        if (decision == PolicyDecision.Allow && !(block.RestrictPublicBuckets && !isOwner && Parsed(bucket.Policy!, bucket.Name).IsPublic)) return;
        // The owner's IAM users are the owner only as far as their policies allow.
        if (iamUser && identity != PolicyDecision.Allow) throw S3Errors.AccessDenied();
        var aclGoverned = AclGrants.TryGetValue(action, out var grant);
        // BucketOwnerEnforced disables ACLs: the owner owns every object and the policy alone lets others in.
        var aclsDisabled = BucketOwnershipControls.AclsDisabled(bucket);
        // With ACLs in force (S3's ObjectWriter ownership) an object written by another account is its writer's: the
        // bucket owner reads it, or its ACL, only through the grants of the object's ACL.
        var othersObject = !aclsDisabled && aclGoverned && grant.Level == Level.Object && obj is not null && obj.OwnerId != bucket.OwnerId;
        if (isOwner && !othersObject) return;
        if (!aclGoverned || aclsDisabled) throw S3Errors.AccessDenied();
        var ignorePublic = block.IgnorePublicAcls;
        if (grant.Level == Level.Object)
        {
            if (obj is null)
            {
                if (AccessControlList.FromJson(bucket.Acl, bucket.OwnerId).Allows(caller, AclPermission.Read, ignorePublic)) return;
                if (bucket.Policy is { } json && MayListKey(req, bucket, json, key ?? req.Key)) return;
                throw S3Errors.AccessDenied();
            }
            if (caller is not null && caller.OwnerId == obj.OwnerId) return;
            if (AccessControlList.FromJson(obj.Acl, obj.OwnerId).Allows(caller, grant.Permission, ignorePublic)) return;
            throw S3Errors.AccessDenied();
        }
        if (AccessControlList.FromJson(bucket.Acl, bucket.OwnerId).Allows(caller, grant.Permission, ignorePublic)) return;
        throw S3Errors.AccessDenied();
    }

    public const string LogDeliveryService = "logging.s3.amazonaws.com";

    /// <summary>
    /// Whether server access logs of <paramref name="source"/> may be written into <paramref name="target"/> under
    /// <paramref name="prefix"/>, as S3 decides it: the target's policy allows the logging service s3:PutObject on
    /// arn:aws:s3:::TARGET/PREFIX (conditions see aws:SourceArn and aws:SourceAccount of the source), or the target's ACL
    /// gives the LogDelivery group WRITE; an explicit Deny in the policy wins.
    /// </summary>
    public bool AllowsLogDelivery(BucketRecord target, string prefix, BucketRecord source)
    {
        var decision = PolicyDecision.NotApplicable;
        if (target.Policy is { } json)
        {
            var context = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
            {
                ["aws:SourceArn"] = ["arn:aws:s3:::" + source.Name],
                ["aws:SourceAccount"] = [source.OwnerId],
                ["aws:SecureTransport"] = ["true"],
            };
            var request = new PolicyRequest(new PolicyCaller(false, null, null, LogDeliveryService), "s3:PutObject",
                "arn:aws:s3:::" + target.Name + "/" + prefix, context);
            decision = Parsed(json, target.Name).Evaluate(request);
        }
        if (decision == PolicyDecision.Deny) return false;
        if (decision == PolicyDecision.Allow) return true;
        return !BucketOwnershipControls.AclsDisabled(target) && AccessControlList.FromJson(target.Acl, target.OwnerId).Grants
            .Any(g => g.Grantee.GroupUri == Grantee.LogDelivery && g.Permission is AclPermission.Write or AclPermission.FullControl);
    }

    /// <summary>
    /// Whether the bucket policy lets the caller list the missing key's name (s3:ListBucket with s3:prefix set to the
    /// key), in which case S3 may tell them the key does not exist (404) rather than 403.
    /// </summary>
    private bool MayListKey(S3Request req, BucketRecord bucket, string policyJson, string? key)
    {
        if (key is null) return false;
        var caller = req.Identity;
        var context = Context(req, null);
        context["s3:prefix"] = [key];
        var request = new PolicyRequest(Caller(caller), "s3:ListBucket", ResourceArn(bucket, "s3:ListBucket", null), context);
        return Parsed(policyJson, bucket.Name).Evaluate(request) == PolicyDecision.Allow;
    }

    /// <summary>Parsed policies by kind ("b:" bucket policies of that bucket, "s:" role and session policies, "i:" IAM policies) and text.</summary>
    private readonly ConcurrentDictionary<(string Kind, string Json), PolicyDocument> _parsedPolicies = new();

    private PolicyDocument Cached(string kind, string json, Func<string, PolicyDocument> parse)
    {
        if (_parsedPolicies.TryGetValue((kind, json), out var parsed)) return parsed;
        parsed = parse(json);
        if (_parsedPolicies.Count > 1024) _parsedPolicies.Clear();
        _parsedPolicies[(kind, json)] = parsed;
        return parsed;
    }

    private PolicyDocument Parsed(string json, string bucket) => Cached("b:" + bucket, json, text => PolicyDocument.Parse(text, bucket));

    private PolicyDocument ParsedIdentity(string json) => Cached("s:", json, PolicyDocument.ParseIdentity);

    private PolicyDocument ParsedIam(string json) => Cached("i:", json, PolicyDocument.ParseIam);

    /// <summary>Actions on objects name the object's ARN (bucket/key); the others name the bucket's.</summary>
    private static bool IsObjectAction(string action) =>
        action.Contains("Object", StringComparison.Ordinal) || action is "s3:AbortMultipartUpload" or "s3:ListMultipartUploadParts";

    private static string ResourceArn(BucketRecord bucket, string action, string? key) =>
        "arn:aws:s3:::" + bucket.Name + (IsObjectAction(action) && key is not null ? "/" + key : "");

    /// <summary>
    /// Temporary credentials act as the user who assumed the role, but only within what both the role's policy and
    /// the session policy given to AssumeRole allow.
    /// </summary>
    private void CheckSession(SessionGrant session, S3Request req, string action, string resource, ObjectRecord? obj)
    {
        var request = new PolicyRequest(Caller(req.Identity), action, resource, Context(req, obj));
        foreach (var json in new[] { session.RolePolicy, session.SessionPolicy })
        {
            if (json is null) continue;
            if (ParsedIdentity(json).Evaluate(request) != PolicyDecision.Allow) throw S3Errors.AccessDenied();
        }
        if (session.RolePolicies is { } policies && EvaluateIdentity(policies, request) != PolicyDecision.Allow) throw S3Errors.AccessDenied();
    }

    /// <summary>The caller as a policy's Principal element sees it: an IAM user by its ARN only, an account root by its id, name and ARN.</summary>
    public static PolicyCaller Caller(Identity? caller) => caller switch
    {
        null => new PolicyCaller(true, null, null),
        { IamUser: not null } => new PolicyCaller(false, null, caller.OwnerId, Arn: caller.Arn),
        { Session.RoleArn: { } roleArn } => new PolicyCaller(false, null, caller.OwnerId, Arn: caller.Arn, RoleArn: roleArn),
        _ => new PolicyCaller(false, caller.DisplayName, caller.OwnerId, Arn: caller.Arn),
    };

    private PolicyDecision IdentityDecision(S3Request req, string action, string resource, ObjectRecord? obj) =>
        EvaluateIdentity(req.Identity!.IamUser!.Policies, new PolicyRequest(Caller(req.Identity), action, resource, Context(req, obj)));

    /// <summary>IAM identity policies (of a user with its groups, or of a role) together: a Deny in any wins, else an Allow in any allows.</summary>
    public PolicyDecision EvaluateIdentity(IReadOnlyList<string> policies, PolicyRequest request) =>
        PolicyDocument.EvaluateAll(policies.Select(ParsedIam), request);





    private PolicyDecision EvaluatePolicy(S3Request req, BucketRecord bucket, string policyJson, string action, ObjectRecord? obj, string? key)
    {
        var request = new PolicyRequest(Caller(req.Identity), action, ResourceArn(bucket, action, key), Context(req, obj));
        return Parsed(policyJson, bucket.Name).Evaluate(request);
    }

    /// <summary>Request headers that are condition keys of the same name under "s3:".</summary>
    private static readonly string[] HeaderKeys =
    [
        "x-amz-acl", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control",
        "x-amz-content-sha256", "x-amz-metadata-directive", "x-amz-storage-class", "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm",
    ];

    /// <summary>The condition keys a policy can test, taken from the request.</summary>
    private static Dictionary<string, string[]> Context(S3Request req, ObjectRecord? obj)
    {
        var http = req.Http;
        var now = DateTimeOffset.UtcNow;
        var context = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["aws:SecureTransport"] = [http.Request.IsHttps ? "true" : "false"],
            ["aws:CurrentTime"] = [now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)],
            ["aws:EpochTime"] = [now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)],
            ["aws:PrincipalType"] = [req.Identity is null ? "Anonymous" : "User"],
            // Whether the request is signed with temporary credentials (of STS), as RGW's sts:authentication says.
            ["sts:authentication"] = [req.Identity?.Session is not null ? "true" : "false"],
            ["s3:authType"] = [req.Header("Authorization") is not null ? "REST-HEADER" : req.Identity is not null ? "REST-QUERY-STRING" : "Anonymous"],
        };
        void Add(string name, string? value)
        {
            if (value is not null) context[name] = [value];
        }
        Add("aws:SourceIp", http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null);
        Add("aws:Referer", req.Header("Referer"));
        Add("aws:UserAgent", req.Header("User-Agent"));
        Add("aws:username", req.Identity is { IamUser: { } user } ? user.Name : req.Identity?.DisplayName);
        Add("aws:userid", req.Identity is { IamUser: { } iamUser } ? iamUser.Id : req.Identity?.OwnerId);
        Add("aws:PrincipalArn", req.Identity?.Arn);
        Add("aws:PrincipalAccount", req.Identity?.OwnerId);
        Add("s3:prefix", req.Query("prefix"));
        Add("s3:delimiter", req.Query("delimiter"));
        Add("s3:max-keys", req.Query("max-keys"));
        foreach (var header in HeaderKeys) Add("s3:" + header, req.Header(header));
        if (req.Header("x-amz-copy-source") is { } copySource)
            context["s3:x-amz-copy-source"] = [Uri.UnescapeDataString(copySource.Trim()).TrimStart('/')];
        Add("s3:VersionId", req.Query("versionId"));
        if (req.Header("x-amz-tagging") is { } tagging)
        {
            var requested = QueryHelpers.ParseQuery(tagging.StartsWith('?') ? tagging : "?" + tagging);
            foreach (var (tagKey, values) in requested) context["s3:RequestObjectTag/" + tagKey] = [values.ToString()];
            context["s3:RequestObjectTagKeys"] = requested.Keys.ToArray();
        }
        if (obj?.Tags is { } tags)
            foreach (var tag in ObjectTagging.FromJson(tags)) context["s3:ExistingObjectTag/" + tag.Key] = [tag.Value];
        return context;
    }
}
