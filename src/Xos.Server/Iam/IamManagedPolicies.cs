using System.Globalization;
using Xos.Server.Protocol;

namespace Xos.Server.Iam;

/// <summary>
/// Managed policies: the account's own (versioned, at most 5 versions, one of them the default) and AWS's built in
/// (<see cref="AwsManagedPolicies"/>), attached to users, groups and roles.
/// </summary>
public static class IamManagedPolicies
{
    public const int MaxVersions = 5;

    private static string PolicyArn(IamCall c)
    {
        var arn = c.Required("PolicyArn");
        if (arn.Length is < 20 or > 2048 || !arn.StartsWith("arn:", StringComparison.Ordinal))
            throw IamErrors.InvalidInput($"ARN {arn} is not valid.");
        return arn;
    }

    /// <summary>The policy named by PolicyArn: the account's own, or one of AWS's (with its single version v1).</summary>
    private static async Task<(ManagedPolicy Policy, AwsManagedPolicy? Aws)> FindAsync(IamCall c, string arn)
    {
        if (AwsManagedPolicies.Find(arn) is { } aws)
            return (new ManagedPolicy(aws.Arn, aws.Id, "aws", aws.Name, "/", aws.Description, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
                await c.Store.CountAttachmentsAsync(c.Account, arn, c.Ct)), aws);
        var policy = await c.Store.GetManagedPolicyAsync(c.Account, arn, c.Ct) ?? throw IamErrors.NoSuchEntity($"Policy {arn} was not found.");
        return (policy, null);
    }

    public static async Task CreateAsync(IamCall c)
    {
        var name = IamRules.Name(c, "PolicyName", 128);
        var path = IamRules.Path(c);
        var document = IamRules.PolicyDocument(c, "PolicyDocument", IamRules.MaxManagedPolicyChars);
        var now = IamUsers.Now();
        var policy = new ManagedPolicy(IamArns.Of(c.Account, "policy", path, name), IamRules.NewId("ANPA"), c.Account, name, path,
            c.Optional("Description"), 1, now, now, 0);
        if (await c.Store.CreateManagedPolicyAsync(policy, document, c.Ct) == IamWrite.Exists)
            throw IamErrors.Exists($"A policy called {name} already exists. Duplicate names are not allowed.");
        await c.RespondElementAsync("Policy", w => w.Policy(policy));
    }

    public static async Task GetAsync(IamCall c)
    {
        var (policy, _) = await FindAsync(c, PolicyArn(c));
        await c.RespondElementAsync("Policy", w => w.Policy(policy));
    }

    public static async Task ListAsync(IamCall c)
    {
        var scope = c.Optional("Scope") ?? "All";
        if (scope is not ("All" or "AWS" or "Local"))
            throw IamErrors.Validation($"1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]");
        var prefix = IamRules.PathPrefix(c);
        var policies = new List<ManagedPolicy>();
        if (scope != "Local" && prefix == "/")
            foreach (var aws in AwsManagedPolicies.All) policies.Add((await FindAsync(c, aws.Arn)).Policy);
        if (scope != "AWS") policies.AddRange(await c.Store.ListManagedPoliciesAsync(c.Account, prefix, c.Ct));
        if (c.Optional("OnlyAttached") == "true") policies.RemoveAll(p => p.AttachmentCount == 0);
        var (page, next) = IamRules.Page(c, policies);
        await c.RespondAsync(w =>
        {
            w.Members("Policies", page, (x, p) => x.Policy(p));
            w.Paging(next);
        });
    }

    public static async Task DeleteAsync(IamCall c)
    {
        var arn = PolicyArn(c);
        if (AwsManagedPolicies.Find(arn) is not null) throw IamErrors.InvalidInput($"Cannot delete the AWS managed policy {arn}.");
        switch (await c.Store.DeleteManagedPolicyAsync((await FindAsync(c, arn)).Policy.Arn, c.Ct))
        {
            case IamWrite.NotFound: throw IamErrors.NoSuchEntity($"Policy {arn} was not found.");
            case IamWrite.Conflict: throw IamErrors.DeleteConflict("Cannot delete a policy attached to entities or with versions other than the default.");
        }
        await c.RespondAsync();
    }

    private static int VersionId(IamCall c)
    {
        var text = c.Required("VersionId");
        if (text.Length < 2 || text[0] != 'v' || !int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw IamErrors.Validation($"1 validation error detected: Value '{text}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?");
        return version;
    }

    public static async Task GetVersionAsync(IamCall c)
    {
        var arn = PolicyArn(c);
        var version = VersionId(c);
        var (policy, aws) = await FindAsync(c, arn);
        var found = aws is not null
            ? version == 1 ? new PolicyVersion(1, aws.Document, policy.Created, true) : null
            : await c.Store.GetPolicyVersionAsync(arn, version, c.Ct);
        if (found is null) throw IamErrors.NoSuchEntity($"Policy {arn} version v{version} does not exist or is not attachable.");
        await c.RespondElementAsync("PolicyVersion", w => w.PolicyVersion(found, withDocument: true));
    }

    public static async Task ListVersionsAsync(IamCall c)
    {
        var arn = PolicyArn(c);
        var (policy, aws) = await FindAsync(c, arn);
        IReadOnlyList<PolicyVersion> versions = aws is not null
            ? [new PolicyVersion(1, aws.Document, policy.Created, true)]
            : await c.Store.ListPolicyVersionsAsync(arn, c.Ct);
        var (page, next) = IamRules.Page(c, versions);
        await c.RespondAsync(w =>
        {
            w.Members("Versions", page, (x, v) => x.PolicyVersion(v, withDocument: false));
            w.Paging(next);
        });
    }

    /// <summary>The account's own policy named by PolicyArn; AWS's cannot be changed.</summary>
    private static async Task<string> OwnArnAsync(IamCall c)
    {
        var arn = PolicyArn(c);
        var (policy, aws) = await FindAsync(c, arn);
        if (aws is not null) throw IamErrors.InvalidInput($"Cannot change the AWS managed policy {arn}.");
        return policy.Arn;
    }

    public static async Task CreateVersionAsync(IamCall c)
    {
        var document = IamRules.PolicyDocument(c, "PolicyDocument", IamRules.MaxManagedPolicyChars);
        var arn = await OwnArnAsync(c);
        var setDefault = c.Optional("SetAsDefault") == "true";
        var (result, version) = await c.Store.CreatePolicyVersionAsync(arn, document, setDefault, MaxVersions, c.Ct);
        if (result == IamWrite.Limit) throw IamErrors.LimitExceeded($"A managed policy can have up to {MaxVersions} versions. Before you create a new version, you must delete an existing version.");
        if (result == IamWrite.NotFound) throw IamErrors.NoSuchEntity($"Policy {arn} was not found.");
        await c.RespondElementAsync("PolicyVersion", w => w.PolicyVersion(new PolicyVersion(version, document, IamUsers.Now(), setDefault), withDocument: false));
    }

    public static async Task DeleteVersionAsync(IamCall c)
    {
        var arn = await OwnArnAsync(c);
        var version = VersionId(c);
        switch (await c.Store.DeletePolicyVersionAsync(arn, version, c.Ct))
        {
            case IamWrite.NotFound: throw IamErrors.NoSuchEntity($"Policy {arn} version v{version} does not exist.");
            case IamWrite.Conflict: throw IamErrors.DeleteConflict("Cannot delete the default version of a policy.");
        }
        await c.RespondAsync();
    }

    public static async Task SetDefaultVersionAsync(IamCall c)
    {
        var arn = await OwnArnAsync(c);
        var version = VersionId(c);
        if (await c.Store.SetDefaultPolicyVersionAsync(arn, version, c.Ct) == IamWrite.NotFound)
            throw IamErrors.NoSuchEntity($"Policy {arn} version v{version} does not exist.");
        await c.RespondAsync();
    }

    public static async Task AttachAsync(IamCall c, IamKind kind, bool attach)
    {
        var arn = PolicyArn(c);
        var owner = await IamInlinePolicies.OwnerIdAsync(c, kind);
        if (attach)
        {
            if (AwsManagedPolicies.Find(arn) is null && await c.Store.GetManagedPolicyAsync(c.Account, arn, c.Ct) is null)
                throw IamErrors.NoSuchEntity($"Policy {arn} does not exist or is not attachable.");
        }
        if (await c.Store.AttachPolicyAsync(c.Account, kind, owner, arn, attach, c.Ct) == IamWrite.NotFound)
            throw IamErrors.NoSuchEntity($"Policy {arn} was not found.");
        await c.RespondAsync();
    }

    public static async Task ListAttachedAsync(IamCall c, IamKind kind)
    {
        var owner = await IamInlinePolicies.OwnerIdAsync(c, kind);
        var (page, next) = IamRules.Page(c, await c.Store.ListAttachedPoliciesAsync(kind, owner, c.Ct));
        await c.RespondAsync(w =>
        {
            w.Members("AttachedPolicies", page, (x, arn) =>
            {
                x.Element("PolicyName", arn[(arn.LastIndexOf('/') + 1)..]);
                x.Element("PolicyArn", arn);
            });
            w.Paging(next);
        });
    }
}
