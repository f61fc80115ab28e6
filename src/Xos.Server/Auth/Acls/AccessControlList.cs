using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;
using System.Xml.Linq;
using Xos.Server.Protocol;

namespace Xos.Server.Auth.Acls;

public enum AclPermission { Read, Write, ReadAcp, WriteAcp, FullControl }

/// <summary>Who a grant is for: a canonical user id, or one of S3's predefined groups.</summary>
public sealed record Grantee(string? Id, string? GroupUri)
{
    public const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    public static Grantee User(string id) => new(id, null);
    public static Grantee Group(string uri) => new(null, uri);

    public bool IsPublic => GroupUri is AllUsers or AuthenticatedUsers;

    public bool Includes(Identity? caller) =>
        GroupUri switch
        {
            AllUsers => true,
            AuthenticatedUsers => caller is not null,
            null => caller is not null && caller.OwnerId == Id,
            _ => false,
        };
}

public sealed record Grant(Grantee Grantee, AclPermission Permission);

/// <summary>
/// An S3 access control list: an owner and up to 100 grants. Stored as compact JSON beside the bucket or object;
/// null in the store means the default "private" ACL (owner FULL_CONTROL).
/// </summary>
public sealed partial record AccessControlList(string OwnerId, IReadOnlyList<Grant> Grants)
{
    public const int MaxGrants = 100;

    public static AccessControlList Private(string ownerId) => new(ownerId, [new Grant(Grantee.User(ownerId), AclPermission.FullControl)]);

    /// <summary>
    /// Whether the ACL gives <paramref name="caller"/> the permission, directly or through FULL_CONTROL; with
    /// <paramref name="ignorePublicGrants"/> (a public access block's IgnorePublicAcls) grants to everyone count for nothing.
    /// </summary>
    public bool Allows(Identity? caller, AclPermission permission, bool ignorePublicGrants = false) =>
        Grants.Any(g => (g.Permission == permission || g.Permission == AclPermission.FullControl) && g.Grantee.Includes(caller)
                        && !(ignorePublicGrants && g.Grantee.IsPublic));

    /// <summary>Whether the ACL grants anything to everyone (AllUsers) or to every signed-in user (AuthenticatedUsers), as S3 judges public ACLs.</summary>
    public bool IsPublic => Grants.Any(g => g.Grantee.IsPublic);

    /// <summary>Whether the ACL grants nothing to anyone but <paramref name="ownerId"/>, as ACLs must be before BucketOwnerEnforced disables them.</summary>
    public bool OnlyOwner(string ownerId) => Grants.All(g => g.Grantee.GroupUri is null && g.Grantee.Id == ownerId);

    /// <summary>The canned ACLs of S3, for a bucket or an object in a bucket owned by <paramref name="bucketOwnerId"/>.</summary>
    public static AccessControlList Canned(string name, string ownerId, string bucketOwnerId)
    {
        var owner = new Grant(Grantee.User(ownerId), AclPermission.FullControl);
        List<Grant> grants = name switch
        {
            "private" or "aws-exec-read" => [owner],
            "public-read" => [owner, new(Grantee.Group(Grantee.AllUsers), AclPermission.Read)],
            "public-read-write" => [owner, new(Grantee.Group(Grantee.AllUsers), AclPermission.Read), new(Grantee.Group(Grantee.AllUsers), AclPermission.Write)],
            "authenticated-read" => [owner, new(Grantee.Group(Grantee.AuthenticatedUsers), AclPermission.Read)],
            "bucket-owner-read" => ownerId == bucketOwnerId ? [owner] : [owner, new(Grantee.User(bucketOwnerId), AclPermission.Read)],
            "bucket-owner-full-control" => ownerId == bucketOwnerId ? [owner] : [owner, new(Grantee.User(bucketOwnerId), AclPermission.FullControl)],
            "log-delivery-write" => [owner, new(Grantee.Group(Grantee.LogDelivery), AclPermission.Write), new(Grantee.Group(Grantee.LogDelivery), AclPermission.ReadAcp)],
            _ => throw S3Errors.InvalidArgument("Invalid canned ACL", "x-amz-acl", name),
        };
        return new AccessControlList(ownerId, grants);
    }

    private static readonly (string Header, AclPermission Permission)[] GrantHeaders =
    [
        ("x-amz-grant-read", AclPermission.Read), ("x-amz-grant-write", AclPermission.Write), ("x-amz-grant-read-acp", AclPermission.ReadAcp),
        ("x-amz-grant-write-acp", AclPermission.WriteAcp), ("x-amz-grant-full-control", AclPermission.FullControl),
    ];

    /// <summary>
    /// The ACL a write request asks for with x-amz-acl or x-amz-grant-* headers; null when it names none.
    /// Grantees named by id must be known accounts (<paramref name="userExists"/>).
    /// </summary>
    public static async Task<AccessControlList?> FromHeadersAsync(S3Request req, string ownerId, string bucketOwnerId, Func<string, Task<bool>> userExists)
    {
        var canned = req.Header("x-amz-acl");
        var grants = new List<Grant>();
        foreach (var (header, permission) in GrantHeaders)
        {
            if (req.Header(header) is not { } value) continue;
            foreach (var grantee in ParseGrantHeader(value))
            {
                if (grantee.Id is not null && !await userExists(grantee.Id)) throw InvalidGranteeId();
                grants.Add(new Grant(grantee, permission));
            }
        }
        if (canned is not null && grants.Count > 0) throw S3Errors.InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed");
        if (canned is not null) return Canned(canned, ownerId, bucketOwnerId);
        if (grants.Count > MaxGrants) throw new S3Exception("MalformedACLError", 400, "The ACL you provided was not well formed or did not validate against our published schema");
        return grants.Count > 0 ? new AccessControlList(ownerId, grants) : null;
    }

    public static bool HasAclHeaders(S3Request req) =>
        req.Header("x-amz-acl") is not null || GrantHeaders.Any(g => req.Header(g.Header) is not null);

    private static S3Exception InvalidGranteeId() => InvalidArgumentWithName("Invalid id");

    private static S3Exception InvalidArgumentWithName(string message) => S3Errors.InvalidArgument(message, "CanonicalUser/ID", "");

    /// <summary>Parses <c>id="...", uri="..."</c> lists; e-mail grantees cannot be resolved.</summary>
    private static IEnumerable<Grantee> ParseGrantHeader(string value)
    {
        foreach (var raw in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=');
            if (eq <= 0) throw S3Errors.InvalidArgument("Invalid grant header", "x-amz-grant", value);
            var kind = raw[..eq].Trim().ToLowerInvariant();
            var v = raw[(eq + 1)..].Trim().Trim('"');
            yield return kind switch
            {
                "id" => Grantee.User(v),
                "uri" => KnownGroup(v),
                "emailaddress" => throw UnresolvableEmail(),
                _ => throw S3Errors.InvalidArgument("Invalid grant header", "x-amz-grant", value),
            };
        }
    }

    private static Grantee KnownGroup(string uri) =>
        uri is Grantee.AllUsers or Grantee.AuthenticatedUsers or Grantee.LogDelivery
            ? Grantee.Group(uri)
            : throw S3Errors.InvalidArgument("Invalid group uri", "uri", uri);

    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>Reads an AccessControlPolicy body. The owner named in it must be the resource's owner.</summary>
    public static async Task<AccessControlList> FromXmlAsync(XElement doc, string ownerId, Func<string, Task<bool>> userExists)
    {
        if (doc.Name.LocalName != "AccessControlPolicy") throw MalformedAcl();
        var ownerElement = doc.Child("Owner");
        var declaredOwner = ownerElement?.ChildValue("ID");
        if (declaredOwner is not null && declaredOwner != ownerId) throw S3Errors.AccessDenied();
        var list = doc.Child("AccessControlList") ?? throw MalformedAcl();
        var grants = new List<Grant>();
        foreach (var g in list.Children("Grant"))
        {
            var grantee = g.Child("Grantee") ?? throw MalformedAcl();
            var permission = ParsePermission(g.ChildValue("Permission"));
            var type = grantee.Attribute(Xsi + "type")?.Value;
            Grantee who;
            if (grantee.ChildValue("ID") is { } id && (type is null or "CanonicalUser"))
            {
                if (!await userExists(id)) throw InvalidGranteeId();
                who = Grantee.User(id);
            }
            else if (grantee.ChildValue("URI") is { } uri && (type is null or "Group")) who = KnownGroup(uri);
            else if (grantee.ChildValue("EmailAddress") is not null) throw UnresolvableEmail();
            else throw MalformedAcl();
            grants.Add(new Grant(who, permission));
        }
        if (grants.Count > MaxGrants) throw MalformedAcl();
        return new AccessControlList(ownerId, grants);
    }

    // Accounts have no e-mail addresses here, so no e-mail grantee can be resolved.
    private static S3Exception UnresolvableEmail() =>
        new("UnresolvableGrantByEmailAddress", 400, "The e-mail address you provided does not match any account on record.");

    private static S3Exception MalformedAcl() =>
        new("MalformedACLError", 400, "The XML you provided was not well-formed or did not validate against our published schema");

    private static AclPermission ParsePermission(string? text) => text switch
    {
        "READ" => AclPermission.Read,
        "WRITE" => AclPermission.Write,
        "READ_ACP" => AclPermission.ReadAcp,
        "WRITE_ACP" => AclPermission.WriteAcp,
        "FULL_CONTROL" => AclPermission.FullControl,
        _ => throw MalformedAcl(),
    };

    public static string PermissionName(AclPermission p) => p switch
    {
        AclPermission.Read => "READ",
        AclPermission.Write => "WRITE",
        AclPermission.ReadAcp => "READ_ACP",
        AclPermission.WriteAcp => "WRITE_ACP",
        _ => "FULL_CONTROL",
    };

    /// <summary>Writes the AccessControlPolicy response body: group grants first, then canonical users, as S3 lists them.</summary>
    public void WriteXml(XmlWriter w, Func<string, string> displayName)
    {
        w.WriteStartElement("Owner");
        w.Element("ID", OwnerId);
        w.Element("DisplayName", displayName(OwnerId));
        w.WriteEndElement();
        w.WriteStartElement("AccessControlList");
        foreach (var g in Grants.Where(g => g.Grantee.Id is null).Concat(Grants.Where(g => g.Grantee.Id is not null)))
        {
            w.WriteStartElement("Grant");
            w.WriteStartElement("Grantee");
            w.WriteAttributeString("xmlns", "xsi", null, Xsi.NamespaceName);
            if (g.Grantee.Id is { } id)
            {
                w.WriteAttributeString("xsi", "type", Xsi.NamespaceName, "CanonicalUser");
                w.Element("ID", id);
                w.Element("DisplayName", displayName(id));
            }
            else
            {
                w.WriteAttributeString("xsi", "type", Xsi.NamespaceName, "Group");
                w.Element("URI", g.Grantee.GroupUri);
            }
            w.WriteEndElement();
            w.Element("Permission", PermissionName(g.Permission));
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    // Storage form: {"o":"owner","g":[["id","...","READ"],["uri","...","WRITE"]]}
    private sealed record Stored(
        [property: JsonPropertyName("o")] string Owner,
        [property: JsonPropertyName("g")] List<string[]> Grants);

    public string ToJson() => JsonSerializer.Serialize(
        new Stored(OwnerId, Grants.Select(g => new[] { g.Grantee.Id is null ? "uri" : "id", g.Grantee.Id ?? g.Grantee.GroupUri!, PermissionName(g.Permission) }).ToList()),
        AclJson.Default.Stored);

    /// <summary>The stored ACL, or the default private ACL of <paramref name="ownerId"/> when none is stored.</summary>
    public static AccessControlList FromJson(string? json, string ownerId) => json is null ? Private(ownerId) : Parsed.Get(json);

    private static AccessControlList Parse(string json)
    {
        var s = JsonSerializer.Deserialize(json, AclJson.Default.Stored)!;
        return new AccessControlList(s.Owner, s.Grants.Select(g => new Grant(g[0] == "id" ? Grantee.User(g[1]) : Grantee.Group(g[1]), ParsePermission(g[2]))).ToList());
    }

    /// <summary>
    /// ACLs already parsed, by their stored text: every read of an object checks its ACL, and the same few ACLs (the
    /// canned ones of each owner) are stored on most objects. Lists are immutable, so they are shared.
    /// </summary>
    private static readonly Caching.ParsedByText<AccessControlList> Parsed = new(Parse);

    [JsonSerializable(typeof(Stored))]
    private sealed partial class AclJson : JsonSerializerContext;
}
