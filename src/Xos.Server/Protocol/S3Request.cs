using Microsoft.AspNetCore.Http.Features;
using Xos.Server.Auth;

namespace Xos.Server.Protocol;

/// <summary>One S3 request after addressing has been resolved: which bucket and key it names, who sent it, and its body.</summary>
public sealed class S3Request
{
    public required HttpContext Http { get; init; }
    public required string RequestId { get; init; }
    /// <summary>The bucket named by the Host header (virtual-hosted style) or by the first path segment; null for the service root.</summary>
    public string? Bucket { get; init; }
    /// <summary>The object key, percent-decoded; null when the request addresses a bucket or the service.</summary>
    public string? Key { get; init; }
    public bool VirtualHosted { get; init; }
    /// <summary>The request path exactly as the client sent it (still percent-encoded, no query).</summary>
    public required string RawPath { get; init; }
    /// <summary>The query string exactly as the client sent it, without the leading '?'.</summary>
    public required string RawQuery { get; init; }

    /// <summary>The authenticated caller; null for an anonymous request.</summary>
    public Identity? Identity { get; set; }
    /// <summary>The request body after transfer decoding (aws-chunked) and payload verification.</summary>
    public Stream Body { get; set; } = Stream.Null;
    /// <summary>The verifying stream of the body's declared flexible checksum (or of one the operation computes); null when none.</summary>
    public Checksums.ChecksumStream? BodyChecksum { get; set; }
    /// <summary>The length of <see cref="Body"/> when known (x-amz-decoded-content-length or Content-Length).</summary>
    public long? ContentLength { get; set; }

    /// <summary>The bucket the operation loaded (with its settings), for the server access log; null until then.</summary>
    public Storage.BucketRecord? LoadedBucket { get; set; }
    /// <summary>The object version the operation read, for the server access log's size and version id.</summary>
    public Storage.ObjectRecord? LoadedObject { get; set; }
    /// <summary>The S3 error code the request was answered with, for the server access log.</summary>
    public string? ErrorCode { get; set; }

    public HttpRequest HttpRequest => Http.Request;
    public string Method => Http.Request.Method;

    public string? Header(string name)
    {
        var v = Http.Request.Headers[name];
        return v.Count == 0 ? null : v.ToString();
    }

    public string? Query(string name)
    {
        var q = Http.Request.Query;
        return q.TryGetValue(name, out var v) ? v.ToString() : null;
    }

    public bool HasQuery(string name) => Http.Request.Query.ContainsKey(name);

    /// <summary>The resource named in error responses: "/bucket/key", "/bucket" or "/".</summary>
    public string Resource => Bucket is null ? "/" : Key is null ? "/" + Bucket : "/" + Bucket + "/" + Key;

    /// <summary>Resolves bucket and key from the Host header and the raw request target.</summary>
    public static S3Request Parse(HttpContext http, string requestId, IReadOnlyList<string> domains)
    {
        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (http.Request.PathBase + http.Request.Path + http.Request.QueryString);
        if (rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var afterScheme = rawTarget.IndexOf("//", StringComparison.Ordinal) + 2;
            var slash = rawTarget.IndexOf('/', afterScheme);
            rawTarget = slash < 0 ? "/" : rawTarget[slash..];
        }
        var q = rawTarget.IndexOf('?');
        var rawPath = q < 0 ? rawTarget : rawTarget[..q];
        var rawQuery = q < 0 ? "" : rawTarget[(q + 1)..];
        if (rawPath.Length == 0) rawPath = "/";

        var hostBucket = BucketFromHost(http.Request.Host.Host, domains);
        var path = Uri.UnescapeDataString(rawPath.Length > 0 ? rawPath[1..] : "");
        string? bucket, key;
        if (hostBucket is not null)
        {
            bucket = hostBucket;
            key = path.Length == 0 ? null : path;
        }
        else
        {
            var slash = path.IndexOf('/');
            if (path.Length == 0) { bucket = null; key = null; }
            else if (slash < 0) { bucket = path; key = null; }
            else
            {
                bucket = path[..slash];
                var rest = path[(slash + 1)..];
                key = rest.Length == 0 ? null : rest;
            }
        }
        return new S3Request
        {
            Http = http,
            RequestId = requestId,
            Bucket = bucket,
            Key = key,
            VirtualHosted = hostBucket is not null,
            RawPath = rawPath,
            RawQuery = rawQuery,
            Body = http.Request.Body,
            ContentLength = http.Request.ContentLength,
        };
    }

    private static string? BucketFromHost(string host, IReadOnlyList<string> domains)
    {
        if (string.IsNullOrEmpty(host)) return null;
        foreach (var domain in domains)
        {
            if (host.Length > domain.Length + 1
                && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase)
                && host[host.Length - domain.Length - 1] == '.')
                return host[..(host.Length - domain.Length - 1)];
        }
        return null;
    }
}
