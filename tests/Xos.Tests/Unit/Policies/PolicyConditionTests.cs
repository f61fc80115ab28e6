using Xos.Server.Auth.Policies;
using Xos.Server.Protocol;

namespace Xos.Tests.Unit.Policies;

/// <summary>The condition operators and principal kinds of bucket policies, as IAM documents them.</summary>
public sealed class PolicyConditionTests
{
    private static readonly PolicyCaller Alice = new(false, "alice", "alice-id");

    private static Dictionary<string, string[]> Ctx(params (string Key, string[] Values)[] keys) =>
        keys.ToDictionary(k => k.Key, k => k.Values, StringComparer.OrdinalIgnoreCase);

    private static bool Holds(string op, string key, string[] expected, Dictionary<string, string[]> context) =>
        PolicyConditions.Holds(new PolicyCondition(op, key, expected), context);

    [Theory]
    [InlineData("StringLikeIfExists", true)]
    [InlineData("StringLike", false)]
    [InlineData("StringNotLike", true)]
    [InlineData("StringNotEquals", true)]
    [InlineData("StringNotEqualsIfExists", true)]
    [InlineData("ArnNotLike", true)]
    [InlineData("NumericLessThanIfExists", true)]
    [InlineData("ForAnyValue:StringEquals", false)]
    [InlineData("ForAllValues:StringEquals", true)]
    public void AMissingKeyMatchesOnlyIfExistsNegatedAndForAllValuesOperators(string op, bool holds) =>
        Assert.Equal(holds, Holds(op, "aws:Referer", ["http://www.example.com/*"], Ctx()));

    [Theory]
    [InlineData("http://www.example.com/", true)]
    [InlineData("http://www.example.com/index.html", true)]
    [InlineData("http://example.com", false)]
    public void IfExistsComparesAKeyThatIsPresent(string referer, bool holds) =>
        Assert.Equal(holds, Holds("StringLikeIfExists", "aws:Referer", ["http://www.example.com/*"], Ctx(("aws:Referer", [referer]))));

    [Fact]
    public void SetOperatorsOnMultiValuedKeys()
    {
        var keys = Ctx(("s3:RequestObjectTagKeys", ["project", "team"]));
        Assert.True(Holds("ForAllValues:StringEquals", "s3:RequestObjectTagKeys", ["project", "team", "owner"], keys));
        Assert.False(Holds("ForAllValues:StringEquals", "s3:RequestObjectTagKeys", ["project"], keys));
        Assert.True(Holds("ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", ["team"], keys));
        Assert.False(Holds("ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", ["owner"], keys));
        Assert.True(Holds("ForAnyValue:StringLike", "s3:RequestObjectTagKeys", ["pro*"], keys));
        // ForAllValues with a negated operator: no requested key may be one of the values.
        Assert.True(Holds("ForAllValues:StringNotEquals", "s3:RequestObjectTagKeys", ["secret"], keys));
        Assert.False(Holds("ForAllValues:StringNotEquals", "s3:RequestObjectTagKeys", ["team"], keys));
    }

    [Fact]
    public void NullTestsPresence()
    {
        var encrypted = Ctx(("s3:x-amz-server-side-encryption", ["AES256"]));
        Assert.True(Holds("Null", "s3:x-amz-server-side-encryption", ["true"], Ctx()));
        Assert.False(Holds("Null", "s3:x-amz-server-side-encryption", ["true"], encrypted));
        Assert.True(Holds("Null", "s3:x-amz-server-side-encryption", ["false"], encrypted));
    }

    private static PolicyDocument Policy(string statement) =>
        PolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{{statement}}]}""", "media");

    [Fact]
    public void RequestKeysOfTheSuiteDecideWhetherAStatementApplies()
    {
        var p = Policy("""
            {"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::media/*",
             "Condition":{"StringLike":{"s3:x-amz-copy-source":"source/public/*"},"StringEquals":{"s3:x-amz-metadata-directive":"COPY",
                          "s3:x-amz-grant-full-control":"id=owner-id","s3:RequestObjectTag/security":"public"}}}
            """);
        PolicyDecision Eval(Dictionary<string, string[]> context) =>
            p.Evaluate(new PolicyRequest(Alice, "s3:PutObject", "arn:aws:s3:::media/new", context));
        var all = Ctx(("s3:x-amz-copy-source", ["source/public/foo"]), ("s3:x-amz-metadata-directive", ["COPY"]),
            ("s3:x-amz-grant-full-control", ["id=owner-id"]), ("s3:RequestObjectTag/security", ["public"]));
        Assert.Equal(PolicyDecision.Allow, Eval(all));
        foreach (var key in all.Keys)
        {
            var missing = new Dictionary<string, string[]>(all, StringComparer.OrdinalIgnoreCase);
            missing.Remove(key);
            Assert.Equal(PolicyDecision.NotApplicable, Eval(missing));
        }
        var privateSource = new Dictionary<string, string[]>(all, StringComparer.OrdinalIgnoreCase) { ["s3:x-amz-copy-source"] = ["source/private/foo"] };
        Assert.Equal(PolicyDecision.NotApplicable, Eval(privateSource));
    }

    [Fact]
    public void ServicePrincipalsAreAcceptedButMatchNoUser()
    {
        var p = Policy("""{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::media/logs/*"}""");
        Assert.Equal(PolicyDecision.NotApplicable, p.Evaluate(new PolicyRequest(Alice, "s3:PutObject", "arn:aws:s3:::media/logs/x", Ctx())));
        Assert.Equal(PolicyDecision.NotApplicable, p.Evaluate(new PolicyRequest(new PolicyCaller(true, null, null), "s3:PutObject", "arn:aws:s3:::media/logs/x", Ctx())));
    }

    [Theory]
    [InlineData("""{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::s3tenant1:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::media"}""")]
    [InlineData("""{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::media"}""")]
    public void InvalidPrincipalsAreMalformed(string statement)
    {
        var e = Assert.Throws<S3Exception>(() => Policy(statement));
        Assert.Equal("MalformedPolicy", e.Code);
    }

    [Fact]
    public void NotPrincipalStillWorksWithDeny()
    {
        var p = Policy("""
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"},
            {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}
            """);
        Assert.Equal(PolicyDecision.Allow, p.Evaluate(new PolicyRequest(Alice, "s3:GetObject", "arn:aws:s3:::media/k", Ctx())));
        Assert.Equal(PolicyDecision.Deny, p.Evaluate(new PolicyRequest(new PolicyCaller(false, "bob", "bob-id"), "s3:GetObject", "arn:aws:s3:::media/k", Ctx())));
    }

    [Theory]
    [InlineData("""{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::media"}""", true)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*","Condition":{"StringLike":{"aws:Referer":"http://x/*"}}}""", true)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::media","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/32"}}}""", false)]
    [InlineData("""{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::s3tenant1:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::media"}""", false)]
    [InlineData("""{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::media"}""", false)]
    public void PublicPolicies(string statement, bool isPublic) => Assert.Equal(isPublic, Policy(statement).IsPublic);
}
