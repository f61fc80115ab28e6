using System.Xml;
using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>ARNs of an account's IAM entities, and the one an action is checked against.</summary>
public static class IamArns
{
    public static string Of(string accountId, string kind, string path, string name) => $"arn:aws:iam::{accountId}:{kind}{path}{name}";

    public static string User(IamEntity user) => Of(user.AccountId, "user", user.Path, user.Name);
    public static string Group(IamEntity group) => Of(group.AccountId, "group", group.Path, group.Name);
    /// <summary>A role's ARN; the administrator's roles are in the global namespace, with no account.</summary>
    public static string Role(IamRole role) => Of(AdministratorNamespace.ArnAccount(role.AccountId), "role", role.Path, role.Name);

    /// <summary>The resource an IAM user's policies must allow the action on (the entity's ARN with its path when it exists).</summary>
    public static async Task<string> TargetArnAsync(IamCall call, IamTarget target)
    {
        switch (target)
        {
            case IamTarget.UserOrSelf when call.Optional("UserName") is null:
                return call.Caller.Arn;
            case IamTarget.User or IamTarget.UserOrSelf:
            {
                var name = call.Optional("UserName") ?? "";
                var user = name.Length == 0 ? null : await call.Store.GetEntityAsync(IamKind.User, call.Account, name, call.Ct);
                if (user is null && name == call.Caller.OwnerId && AdministratorNamespace.IsAccountRoot(call.Caller))
                    return AdministratorNamespace.AccountUserArn(name);
                return Of(call.Account, "user", user?.Path ?? call.Optional("Path") ?? "/", user?.Name ?? name);
            }
            case IamTarget.Group:
            {
                var name = call.Optional("GroupName") ?? "";
                var group = name.Length == 0 ? null : await call.Store.GetEntityAsync(IamKind.Group, call.Account, name, call.Ct);
                return Of(call.Account, "group", group?.Path ?? call.Optional("Path") ?? "/", group?.Name ?? name);
            }
            case IamTarget.Role:
            {
                var name = call.Optional("RoleName") ?? "";
                var role = name.Length == 0 ? null : await call.Store.GetIamRoleAsync(call.Account, name, call.Ct);
                return Of(AdministratorNamespace.ArnAccount(call.Account), "role", role?.Path ?? call.Optional("Path") ?? "/", role?.Name ?? name);
            }
            case IamTarget.OidcProvider:
                return call.Optional("OpenIDConnectProviderArn") ?? "*";
            case IamTarget.Policy:
                return call.Optional("PolicyArn") ?? Of(call.Account, "policy", call.Optional("Path") ?? "/", call.Optional("PolicyName") ?? "");
            default:
                return "*";
        }
    }
}

/// <summary>The XML shapes of IAM's answers.</summary>
public static class IamXml
{
    /// <summary>IAM answers policy documents URL-encoded (RFC 3986); the SDKs decode them.</summary>
    public static void Document(this XmlWriter w, string name, string json) => w.Element(name, Uri.EscapeDataString(json));

    public static void Members<T>(this XmlWriter w, string name, IEnumerable<T> items, Action<XmlWriter, T> write)
    {
        w.WriteStartElement(name);
        foreach (var item in items)
        {
            w.WriteStartElement("member");
            write(w, item);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    public static void Strings(this XmlWriter w, string name, IEnumerable<string> items) => w.Members(name, items, (x, s) => x.WriteString(s));

    public static void Paging(this XmlWriter w, string? nextMarker)
    {
        w.Element("IsTruncated", nextMarker is not null);
        if (nextMarker is not null) w.Element("Marker", nextMarker);
    }

    public static void Tags(this XmlWriter w, IReadOnlyList<KeyValuePair<string, string>> tags, bool always = false)
    {
        if (tags.Count == 0 && !always) return;
        w.Members("Tags", tags, (x, t) =>
        {
            x.Element("Key", t.Key);
            x.Element("Value", t.Value);
        });
    }

    /// <summary>What users, groups and roles all answer: Path, KINDName, KINDId, Arn, CreateDate.</summary>
    private static void Entity(XmlWriter w, string kind, string path, string name, string id, string arn, DateTimeOffset created)
    {
        w.Element("Path", path);
        w.Element(kind + "Name", name);
        w.Element(kind + "Id", id);
        w.Element("Arn", arn);
        w.Element("CreateDate", created);
    }

    /// <summary>The content of a User element.</summary>
    public static void User(this XmlWriter w, IamEntity user, IReadOnlyList<KeyValuePair<string, string>>? tags = null)
    {
        Entity(w, "User", user.Path, user.Name, user.Id, IamArns.User(user), user.Created);
        if (tags is not null) w.Tags(tags);
    }

    public static void Group(this XmlWriter w, IamEntity group) =>
        Entity(w, "Group", group.Path, group.Name, group.Id, IamArns.Group(group), group.Created);

    public static void Role(this XmlWriter w, IamRole role, IReadOnlyList<KeyValuePair<string, string>>? tags = null)
    {
        Entity(w, "Role", role.Path, role.Name, role.Id, IamArns.Role(role), role.Created);
        w.Document("AssumeRolePolicyDocument", role.TrustPolicy);
        if (role.Description is not null) w.Element("Description", role.Description);
        w.Element("MaxSessionDuration", role.MaxSessionSeconds);
        if (tags is not null) w.Tags(tags);
    }

    public static void Policy(this XmlWriter w, ManagedPolicy p)
    {
        w.Element("PolicyName", p.Name);
        w.Element("PolicyId", p.Id);
        w.Element("Arn", p.Arn);
        w.Element("Path", p.Path);
        w.Element("DefaultVersionId", "v" + p.DefaultVersion);
        w.Element("AttachmentCount", p.AttachmentCount);
        w.Element("PermissionsBoundaryUsageCount", 0);
        w.Element("IsAttachable", true);
        if (p.Description is not null) w.Element("Description", p.Description);
        w.Element("CreateDate", p.Created);
        w.Element("UpdateDate", p.Updated);
    }

    public static void PolicyVersion(this XmlWriter w, PolicyVersion v, bool withDocument)
    {
        if (withDocument) w.Document("Document", v.Document);
        w.Element("VersionId", "v" + v.Version);
        w.Element("IsDefaultVersion", v.IsDefault);
        w.Element("CreateDate", v.Created);
    }
}
