using System.Globalization;
using System.Text;
using Xos.Server.Protocol;

namespace Xos.Server.Auth;

/// <summary>
/// Verifies who signed a request: Signature V4 (header or presigned query, signed, unsigned and aws-chunked payloads)
/// or Signature V2 (header or query). Sets <see cref="S3Request.Identity"/> and replaces the body with a decoded,
/// verifying stream. A request without any signature stays anonymous, unless <paramref name="sessions"/> (the web
/// console) knows it by its session.
/// </summary>
public sealed class RequestAuthenticator(ICredentialProvider credentials, TimeProvider time, ISessionAuthenticator? sessions = null)
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);
    private const int MaxUnsignedHashedBody = 1 << 20;

    public static S3Exception SignatureDoesNotMatch() => new("SignatureDoesNotMatch", 403,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.");

    /// <summary>As AWS does, the error tells the client what the server signed, so a client can find where they differ.</summary>
    private static S3Exception SignatureDoesNotMatch(string stringToSign, string canonicalRequest) => new("SignatureDoesNotMatch", 403,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ("StringToSign", stringToSign), ("CanonicalRequest", canonicalRequest));

    private static S3Exception InvalidAccessKeyId(string ak) => new("InvalidAccessKeyId", 403,
        "The AWS Access Key Id you provided does not exist in our records.", ("AWSAccessKeyId", ak));

    private static S3Exception HeaderMalformed(string message) => new("AuthorizationHeaderMalformed", 400, message);

    private static S3Exception QueryError(string message) => new("AuthorizationQueryParametersError", 400, message);

    private static S3Exception Expired() => S3Errors.AccessDenied("Request has expired");

    /// <summary>S3 answers an X-Amz-Expires outside 0..604800 with 403, as it answers an expired URL.</summary>
    private static S3Exception ExpiresOutOfRange(string message) => new("AuthorizationQueryParametersError", 403, message);

    private static S3Exception InvalidDate() => S3Errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header");

    public async Task AuthenticateAsync(S3Request req, CancellationToken ct)
    {
        var authorization = req.Header("Authorization");
        if (authorization is not null)
        {
            if (authorization.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal)) await HeaderV4Async(req, authorization, ct);
            else if (authorization.StartsWith("AWS ", StringComparison.Ordinal)) await HeaderV2Async(req, authorization, ct);
            else throw S3Errors.InvalidArgument("Unsupported Authorization Type", "Authorization", authorization);
            return;
        }
        if (req.HasQuery("X-Amz-Signature") || req.HasQuery("X-Amz-Credential")) await QueryV4Async(req, ct);
        else if (req.HasQuery("Signature") && req.HasQuery("AWSAccessKeyId")) await QueryV2Async(req, ct);
        else if (sessions is not null && !req.HasQuery("Signature")) req.Identity = await sessions.AuthenticateAsync(req, ct);
    }

    private async Task<AccessKeyRecord> FindAsync(string accessKey, CancellationToken ct) =>
        await credentials.FindAsync(accessKey, ct) ?? throw InvalidAccessKeyId(accessKey);

    private void CheckSkew(DateTimeOffset requestTime)
    {
        var now = time.GetUtcNow();
        if ((now - requestTime).Duration() > MaxSkew)
            throw new S3Exception("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.",
                ("RequestTime", requestTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)),
                ("ServerTime", now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                ("MaxAllowedSkewMilliseconds", ((long)MaxSkew.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
    }

    private static DateTimeOffset? ParseAmzDate(string? text) =>
        text is not null && DateTimeOffset.TryParseExact(text, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>
    /// The time a header-signed request claims: x-amz-date when sent (an invalid one is refused, never replaced by
    /// Date, since the signature may cover only x-amz-date), else Date. Times before the epoch are invalid; a wrong
    /// day-of-week name is ignored, as S3 does, so a well-formed but distant date is answered as skewed.
    /// </summary>
    private static DateTimeOffset RequestTime(S3Request req, bool isoAmzDate)
    {
        var amzDate = req.Header("x-amz-date");
        var time = amzDate is not null
            ? (isoAmzDate ? ParseAmzDate(amzDate.Trim()) : null) ?? ParseHttpDate(amzDate)
            : ParseHttpDate(req.Header("Date"));
        if (time is not { } t || t < DateTimeOffset.UnixEpoch) throw InvalidDate();
        return t;
    }

    private static DateTimeOffset? ParseHttpDate(string? text)
    {
        if (HttpDates.Parse(text) is { } t) return t;
        var comma = text?.IndexOf(',') ?? -1;
        return comma is > 0 and <= 9 ? HttpDates.Parse(text![(comma + 1)..]) : null;
    }

    private sealed record Credential(string AccessKey, string Date, string Region, string Service)
    {
        public string Scope => $"{Date}/{Region}/{Service}/aws4_request";
    }

    private static Credential? ParseCredential(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 5 || parts[4] != "aws4_request" || parts[1].Length != 8 || parts[0].Length == 0) return null;
        return new Credential(parts[0], parts[1], parts[2], parts[3]);
    }

    /// <summary>
    /// The identity a verified signature proves. Temporary (STS) keys also need their session token, unexpired;
    /// the token is compared by its hash in constant time.
    /// </summary>
    private Identity IdentityFor(AccessKeyRecord key, string? token) => IdentityFor(key, token, time.GetUtcNow());

    /// <summary>The identity that holding <paramref name="key"/> (and, for temporary keys, <paramref name="token"/>) proves at <paramref name="now"/>.</summary>
    public static Identity IdentityFor(AccessKeyRecord key, string? token, DateTimeOffset now)
    {
        if (key.Temporary is not { } temporary) return new Identity(key.AccessKey, key.OwnerId, key.DisplayName, token, IamUser: key.IamUser, AdminPolicies: key.AdminPolicies);
        if (string.IsNullOrEmpty(token))
            throw new S3Exception("InvalidToken", 400, "The provided token is malformed or otherwise invalid.");
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token));
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(temporary.TokenHash)))
            throw new S3Exception("InvalidToken", 400, "The provided token is malformed or otherwise invalid.");
        if (now >= temporary.Grant.Expires) throw new S3Exception("ExpiredToken", 400, "The provided token has expired.");
        return new Identity(key.AccessKey, key.OwnerId, key.DisplayName, token, temporary.Grant, key.IamUser, key.AdminPolicies);
    }

    // ------------------------------------------------------------------ Signature V4

    private async Task HeaderV4Async(S3Request req, string authorization, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in authorization[(SigV4.Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0) fields[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        if (!fields.TryGetValue("Credential", out var credentialText) || !fields.TryGetValue("SignedHeaders", out var signedHeaders)
            || !fields.TryGetValue("Signature", out var signature))
            throw HeaderMalformed("The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.");
        RequireSorted(signedHeaders);
        var credential = ParseCredential(credentialText)
                         ?? throw HeaderMalformed($"The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        var requestTime = RequestTime(req, isoAmzDate: true);
        var amzDateText = req.Header("x-amz-date")?.Trim() is { } sent && ParseAmzDate(sent) is not null
            ? sent
            : requestTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        if (!amzDateText.StartsWith(credential.Date, StringComparison.Ordinal))
            throw HeaderMalformed($"The authorization header is malformed; Invalid credential date \"{credential.Date}\". This date is not the same as X-Amz-Date: \"{amzDateText[..Math.Min(8, amzDateText.Length)]}\".");
        CheckSkew(requestTime);
        var key = await FindAsync(credential.AccessKey, ct);

        var payloadHash = req.Header("x-amz-content-sha256");
        var bodyHashed = false;
        if (payloadHash is null)
        {
            if (credential.Service == "s3") throw S3Errors.InvalidRequest("Missing required header for this request: x-amz-content-sha256");
            payloadHash = await HashSmallBodyAsync(req, ct);
            bodyHashed = true;
        }
        var signingKey = SigV4.SigningKey(key.SecretKey, credential.Date, credential.Region, credential.Service);
        var canonical = SigV4.CanonicalRequest(req.Method, SigV4.CanonicalUri(req.RawPath), SigV4.CanonicalQuery(req.RawQuery),
            CanonicalHeaders(req, signedHeaders), signedHeaders, payloadHash);
        var stringToSign = SigV4.StringToSign(amzDateText, credential.Scope, canonical);
        var expected = SigV4.Sign(signingKey, stringToSign);
        if (!SigV4.SignaturesEqual(expected, signature)) throw SignatureDoesNotMatch(stringToSign, canonical);

        req.Identity = IdentityFor(key, req.Header("x-amz-security-token"));
        if (!bodyHashed) AttachPayload(req, payloadHash, new ChunkSignatureChain(signingKey, amzDateText, credential.Scope, expected));
    }

    /// <summary>
    /// SigV4 lists the signed headers sorted; S3 computes the canonical request in that order, so a list in another
    /// order can never match what S3 signs (Ceph RGW refuses it the same way).
    /// </summary>
    private static void RequireSorted(string signedHeaders)
    {
        var names = signedHeaders.Split(';');
        for (var i = 1; i < names.Length; i++)
            if (string.CompareOrdinal(names[i - 1], names[i]) >= 0) throw SignatureDoesNotMatch();
    }

    private static List<(string Name, string Value)> CanonicalHeaders(S3Request req, string signedHeaders)
    {
        var list = new List<(string, string)>();
        foreach (var name in signedHeaders.Split(';'))
        {
            var values = req.HttpRequest.Headers[name];
            if (values.Count == 0 && name != "host") throw SignatureDoesNotMatch();
            list.Add((name, SigV4.CanonicalHeaderValue(name == "host" ? [req.HttpRequest.Headers.Host.ToString()] : values.Select(v => v ?? ""))));
        }
        return list;
    }

    /// <summary>Non-S3 services (STS) may sign the body without sending x-amz-content-sha256; such bodies are small forms.</summary>
    private static async Task<string> HashSmallBodyAsync(S3Request req, CancellationToken ct)
    {
        if (req.ContentLength > MaxUnsignedHashedBody) throw S3Errors.EntityTooLarge(MaxUnsignedHashedBody);
        using var buffer = new MemoryStream();
        await req.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxUnsignedHashedBody) throw S3Errors.EntityTooLarge(MaxUnsignedHashedBody);
        var bytes = buffer.ToArray();
        req.Body = new MemoryStream(bytes, writable: false);
        req.ContentLength = bytes.Length;
        return SigV4.Hex(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    /// <summary>Replaces the body by the stream that decodes and verifies it, according to the signed payload mode.</summary>
    private static void AttachPayload(S3Request req, string payloadHash, ChunkSignatureChain chain)
    {
        switch (payloadHash)
        {
            case "UNSIGNED-PAYLOAD":
                return;
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD":
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":
            case "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
            {
                var signed = payloadHash.StartsWith("STREAMING-AWS4", StringComparison.Ordinal);
                var decodedLength = req.Header("x-amz-decoded-content-length");
                long? length = long.TryParse(decodedLength, out var l) && l >= 0 ? l : null;
                if (length is null && req.Header("Transfer-Encoding") is null && req.HttpRequest.ContentLength is null) throw S3Errors.MissingContentLength();
                var stream = new AwsChunkedStream(req.Body, signed ? chain : null, req.Header("x-amz-trailer"), length);
                req.Http.Response.RegisterForDispose(stream);
                req.Body = stream;
                req.ContentLength = length;
                return;
            }
            default:
                if (payloadHash.Length != 64 || !payloadHash.All(Uri.IsHexDigit))
                    throw S3Errors.InvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
                        "x-amz-content-sha256", payloadHash);
                var verifying = new PayloadHashStream(req.Body, payloadHash);
                req.Http.Response.RegisterForDispose(verifying);
                req.Body = verifying;
                return;
        }
    }

    private async Task QueryV4Async(S3Request req, CancellationToken ct)
    {
        var algorithm = req.Query("X-Amz-Algorithm");
        var credentialText = req.Query("X-Amz-Credential");
        var dateText = req.Query("X-Amz-Date");
        var expiresText = req.Query("X-Amz-Expires");
        var signedHeaders = req.Query("X-Amz-SignedHeaders");
        var signature = req.Query("X-Amz-Signature");
        if (algorithm != SigV4.Algorithm) throw QueryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
        if (credentialText is null || dateText is null || signedHeaders is null || signature is null)
            throw QueryError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        var credential = ParseCredential(credentialText) ?? throw QueryError("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        var signedAt = ParseAmzDate(dateText) ?? throw QueryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
        RequireSorted(signedHeaders);
        if (!long.TryParse(expiresText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var expires)) throw QueryError("X-Amz-Expires should be a number");
        if (expires < 0) throw ExpiresOutOfRange("X-Amz-Expires must be non-negative");
        if (expires > 604800) throw ExpiresOutOfRange("X-Amz-Expires must be less than a week (in seconds) that is; the given X-Amz-Expires must be less than 604800 seconds");
        var now = time.GetUtcNow();
        if (signedAt - now > MaxSkew) throw S3Errors.AccessDenied("Request is not valid yet");
        if (now > signedAt.AddSeconds(expires)) throw Expired();
        var key = await FindAsync(credential.AccessKey, ct);

        var payloadHash = req.Query("X-Amz-Content-Sha256") ?? (signedHeaders.Split(';').Contains("x-amz-content-sha256") ? req.Header("x-amz-content-sha256") : null) ?? "UNSIGNED-PAYLOAD";
        var signingKey = SigV4.SigningKey(key.SecretKey, credential.Date, credential.Region, credential.Service);
        string Expected(Func<string, bool>? alsoExclude) => SigV4.Sign(signingKey, SigV4.StringToSign(dateText, credential.Scope,
            SigV4.CanonicalRequest(req.Method, SigV4.CanonicalUri(req.RawPath), SigV4.CanonicalQuery(req.RawQuery, exclude: "X-Amz-Signature", alsoExclude),
                CanonicalHeaders(req, signedHeaders), signedHeaders, payloadHash)));
        var expected = Expected(null);
        // A media processing parameter may be appended to a presigned GET/HEAD URL after signing, as on Aliyun OSS and
        // CTyun: the signature is then checked without that one parameter (and only for reads).
        if (!SigV4.SignaturesEqual(expected, signature) && (HttpMethods.IsGet(req.Method) || HttpMethods.IsHead(req.Method))
            && Media.MediaParameter.NameIn(req) is not null)
            expected = Expected(Media.MediaParameter.IsProcessingName);
        if (!SigV4.SignaturesEqual(expected, signature)) throw SignatureDoesNotMatch();
        req.Identity = IdentityFor(key, req.Query("X-Amz-Security-Token") ?? req.Header("x-amz-security-token"));
        AttachPayload(req, payloadHash, new ChunkSignatureChain(signingKey, dateText, credential.Scope, expected));
    }

    // ------------------------------------------------------------------ POST policy (browser form uploads)

    /// <summary>
    /// Verifies the signature of a POST upload's policy: V4 (X-Amz-Credential, X-Amz-Date, X-Amz-Signature over the
    /// base64 policy) or V2 (AWSAccessKeyId, Signature). Field names are case-insensitive. Returns null for an
    /// unsigned form, which is then an anonymous upload.
    /// </summary>
    public async Task<Identity?> VerifyPostPolicyAsync(IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        var policy = fields.GetValueOrDefault("policy");
        if (fields.GetValueOrDefault("x-amz-signature") is { } v4Signature)
        {
            if (fields.GetValueOrDefault("x-amz-algorithm") != SigV4.Algorithm) throw S3Errors.InvalidArgument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
            var credential = ParseCredential(fields.GetValueOrDefault("x-amz-credential") ?? "")
                             ?? throw S3Errors.InvalidArgument("Invalid X-Amz-Credential", "X-Amz-Credential", fields.GetValueOrDefault("x-amz-credential"));
            if (policy is null) throw S3Errors.InvalidArgument("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.");
            var key = await FindAsync(credential.AccessKey, ct);
            var expected = SigV4.Sign(SigV4.SigningKey(key.SecretKey, credential.Date, credential.Region, credential.Service), policy);
            if (!SigV4.SignaturesEqual(expected, v4Signature)) throw SignatureDoesNotMatch();
            return IdentityFor(key, fields.GetValueOrDefault("x-amz-security-token"));
        }
        if (fields.GetValueOrDefault("signature") is { } v2Signature)
        {
            var accessKey = fields.GetValueOrDefault("awsaccesskeyid") ?? throw S3Errors.InvalidArgument("Bucket POST must contain a field named 'AWSAccessKeyId'.");
            if (policy is null) throw S3Errors.InvalidArgument("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.");
            var key = await FindAsync(accessKey, ct);
            if (!SigV2.SignaturesEqual(SigV2.Sign(key.SecretKey, policy), v2Signature)) throw SignatureDoesNotMatch();
            return IdentityFor(key, fields.GetValueOrDefault("x-amz-security-token"));
        }
        return null;
    }

    // ------------------------------------------------------------------ Signature V2

    private async Task HeaderV2Async(S3Request req, string authorization, CancellationToken ct)
    {
        var body = authorization[4..].Trim();
        var colon = body.LastIndexOf(':');
        if (colon <= 0) throw S3Errors.InvalidArgument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", "Authorization", authorization);
        var accessKey = body[..colon];
        var signature = body[(colon + 1)..];
        CheckSkew(RequestTime(req, isoAmzDate: false));
        var key = await FindAsync(accessKey, ct);
        var amzHeaders = SigV2.CanonicalizedAmzHeaders(AmzHeaders(req));
        // With x-amz-date the Date line is empty; botocore still signs the Date header it sends beside it.
        var date = req.Header("Date") ?? "";
        string[] dateLines = req.Header("x-amz-date") is null ? [date] : ["", date];
        VerifyV2(req, key, signature, dateLines, amzHeaders);
        req.Identity = IdentityFor(key, req.Header("x-amz-security-token"));
    }

    private async Task QueryV2Async(S3Request req, CancellationToken ct)
    {
        var accessKey = req.Query("AWSAccessKeyId")!;
        var signature = req.Query("Signature")!;
        var expiresText = req.Query("Expires");
        if (!long.TryParse(expiresText, out var expires)) throw S3Errors.AccessDenied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
        if (time.GetUtcNow().ToUnixTimeSeconds() > expires) throw Expired();
        var key = await FindAsync(accessKey, ct);
        var token = req.Query("x-amz-security-token");
        var headers = AmzHeaders(req).ToList();
        if (token is not null && headers.All(h => !h.Key.Equals("x-amz-security-token", StringComparison.OrdinalIgnoreCase)))
            headers.Add(new("x-amz-security-token", token));
        VerifyV2(req, key, signature, [expiresText!], SigV2.CanonicalizedAmzHeaders(headers));
        req.Identity = IdentityFor(key, token ?? req.Header("x-amz-security-token"));
    }

    private static IEnumerable<KeyValuePair<string, string>> AmzHeaders(S3Request req) =>
        req.HttpRequest.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? "")));

    /// <summary>
    /// Checks the V2 signature over the resource as sent, then over the decoded resource (clients differ in which they
    /// sign). A path-style bucket request may sign its resource as "/bucket/" (botocore does) though it sends "/bucket".
    /// </summary>
    private static void VerifyV2(S3Request req, AccessKeyRecord key, string signature, IReadOnlyList<string> dateLines, string amzHeaders)
    {
        var vhost = req.VirtualHosted ? req.Bucket : null;
        var paths = new List<string> { req.RawPath, SigV4.PercentDecode(req.RawPath) };
        if (!req.VirtualHosted && req.Bucket is not null && req.Key is null && !req.RawPath.EndsWith('/')) paths.Add(req.RawPath + "/");
        // botocore 1.29 (Debian's python3-botocore) signs path-style sub-resource requests over its URI template,
        // whose query it then repeats ("/bucket?cors?cors").
        if (!req.VirtualHosted && req.RawQuery.Length > 0) paths.Add(req.RawPath + "?" + req.RawQuery.Split('&')[0]);
        foreach (var dateLine in dateLines.Distinct())
        foreach (var path in paths.Distinct())
        {
            var toSign = SigV2.StringToSign(req.Method, req.Header("Content-MD5") ?? "", req.Header("Content-Type") ?? "", dateLine, amzHeaders,
                SigV2.CanonicalizedResource(vhost, path, req.RawQuery));
            if (SigV2.SignaturesEqual(SigV2.Sign(key.SecretKey, toSign), signature)) return;
        }
        throw SignatureDoesNotMatch();
    }
}
