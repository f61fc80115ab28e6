using Xos.Server.Auth.Policies;
using Xos.Server.Protocol;

namespace Xos.Tests.Unit.Policies;

public sealed class PolicyDocumentTests
{
    private static readonly PolicyCaller Anonymous = new(true, null, null);
    private static readonly PolicyCaller Alice = new(false, "alice", "alice-id");
    private static readonly Dictionary<string, string[]> NoContext = [];

    private static PolicyDocument Parse(string statements) =>
        PolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", "media");

    private static PolicyDecision Eval(PolicyDocument p, PolicyCaller caller, string action, string resource, Dictionary<string, string[]>? context = null) =>
        p.Evaluate(new PolicyRequest(caller, action, resource, context ?? NoContext));

    [Fact]
    public void TheGuidesPublicReadPolicyAllowsAnonymousGetObjectOnly()
    {
        var p = Parse("""{"Sid":"AddPerm","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::media/*"]}""");
        Assert.Equal(PolicyDecision.Allow, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/a/b.jpg"));
        Assert.Equal(PolicyDecision.Allow, Eval(p, Anonymous, "S3:getobject", "arn:aws:s3:::media/x"));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:PutObject", "arn:aws:s3:::media/x"));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:ListBucket", "arn:aws:s3:::media"));
    }

    [Fact]
    public void ExplicitDenyWinsOverAllow()
    {
        var p = Parse("""
            {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::media/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/private/*"}
            """);
        Assert.Equal(PolicyDecision.Allow, Eval(p, Alice, "s3:GetObject", "arn:aws:s3:::media/public/x"));
        Assert.Equal(PolicyDecision.Deny, Eval(p, Alice, "s3:GetObject", "arn:aws:s3:::media/private/x"));
    }

    [Theory]
    [InlineData("\"*\"", true, true)]
    [InlineData("{\"AWS\":\"*\"}", true, true)]
    [InlineData("{\"AWS\":\"arn:aws:iam::user/*\"}", false, true)]
    [InlineData("{\"AWS\":\"arn:aws:iam::user/alice\"}", false, true)]
    [InlineData("{\"AWS\":\"arn:aws:iam:::user/alice\"}", false, true)]
    [InlineData("{\"AWS\":[\"arn:aws:iam::user/bob\"]}", false, false)]
    [InlineData("{\"CanonicalUser\":\"alice-id\"}", false, true)]
    public void Principals(string principal, bool anonymousMatches, bool aliceMatches)
    {
        var p = Parse($$"""{"Effect":"Allow","Principal":{{principal}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}""");
        Assert.Equal(anonymousMatches, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/k") == PolicyDecision.Allow);
        Assert.Equal(aliceMatches, Eval(p, Alice, "s3:GetObject", "arn:aws:s3:::media/k") == PolicyDecision.Allow);
    }

    [Fact]
    public void WildcardsNotActionAndNotResource()
    {
        var p = Parse("""{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::media/lock?d/*"}""");
        Assert.Equal(PolicyDecision.Allow, Eval(p, Alice, "s3:PutObject", "arn:aws:s3:::media/open/x"));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Alice, "s3:DeleteObject", "arn:aws:s3:::media/open/x"));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Alice, "s3:PutObject", "arn:aws:s3:::media/locked/x"));
    }

    [Fact]
    public void TheGuidesDoubleSlashResourcesMeanTheBucketsObjects()
    {
        var p = Parse("""{"Effect":"Allow","Principal":"*","Action":["s3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::media","arn:aws:s3:::media//*"]}""");
        Assert.Equal(PolicyDecision.Allow, Eval(p, Alice, "s3:GetObject", "arn:aws:s3:::media/photo.jpg"));
    }

    [Fact]
    public void Conditions()
    {
        var p = Parse("""
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*",
             "Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]},"Bool":{"aws:SecureTransport":"false"},
                          "StringLikeIfExists":{"aws:Referer":"http://*.example.com/*"}}},
            {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::media",
             "Condition":{"StringEquals":{"s3:prefix":["public/",""]},"NumericLessThanEquals":{"s3:max-keys":"100"}}}
            """);
        Dictionary<string, string[]> Ctx(params (string, string)[] kv) => kv.ToDictionary(x => x.Item1, x => new[] { x.Item2 });
        Assert.Equal(PolicyDecision.Allow, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/x", Ctx(("aws:SourceIp", "127.0.0.1"), ("aws:SecureTransport", "false"))));
        Assert.Equal(PolicyDecision.Allow, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/x", Ctx(("aws:SourceIp", "::1"), ("aws:SecureTransport", "false"), ("aws:Referer", "http://www.example.com/page"))));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/x", Ctx(("aws:SourceIp", "10.1.2.3"), ("aws:SecureTransport", "false"))));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/x", Ctx(("aws:SourceIp", "127.0.0.1"), ("aws:SecureTransport", "false"), ("aws:Referer", "http://evil.org/"))));
        Assert.Equal(PolicyDecision.Allow, Eval(p, Anonymous, "s3:ListBucket", "arn:aws:s3:::media", Ctx(("s3:prefix", "public/"), ("s3:max-keys", "50"))));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:ListBucket", "arn:aws:s3:::media", Ctx(("s3:prefix", "private/"), ("s3:max-keys", "50"))));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:ListBucket", "arn:aws:s3:::media", Ctx(("s3:prefix", "public/"), ("s3:max-keys", "1000"))));
    }

    [Fact]
    public void DateAndNullConditions()
    {
        var p = Parse("""{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::media/*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"Null":{"aws:username":"true"}}}""");
        Dictionary<string, string[]> Ctx(string now) => new() { ["aws:CurrentTime"] = [now] };
        Assert.Equal(PolicyDecision.Deny, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/x", Ctx("2031-05-01T00:00:00Z")));
        Assert.Equal(PolicyDecision.NotApplicable, Eval(p, Anonymous, "s3:GetObject", "arn:aws:s3:::media/x", Ctx("2029-05-01T00:00:00Z")));
    }

    [Theory]
    [InlineData("not json", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("""{"Version":"2000-01-01","Statement":[]}""", "The policy must contain a valid version string")]
    [InlineData("""{"Version":"2012-10-17"}""", "Missing required field Statement")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"*"}]}""", "Invalid effect: Maybe")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}""", "Missing required field Principal")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:*","Resource":"*"}]}""", "Policy has invalid action")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}]}""", "Policy has invalid resource")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bogus":{"a":"b"}}}]}""", "Invalid Condition type : Bogus")]
    public void MalformedPolicies(string json, string message)
    {
        var e = Assert.Throws<S3Exception>(() => PolicyDocument.Parse(json, "media"));
        Assert.Equal(("MalformedPolicy", 400, message), (e.Code, e.Status, e.Message));
    }

    [Fact]
    public void PoliciesOver20KiBAreRefused()
    {
        var big = """{"Version":"2012-10-17","Statement":[{"Sid":"__","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}""".Replace("__", new string('x', 21000));
        Assert.Equal("MalformedPolicy", Assert.Throws<S3Exception>(() => PolicyDocument.Parse(big, "media")).Code);
    }
}
