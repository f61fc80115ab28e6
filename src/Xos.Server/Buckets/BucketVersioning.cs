using System.Security.Cryptography;
using System.Xml;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Objects;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Buckets;

/// <summary>Put/GetBucketVersioning and ListObjectVersions.</summary>
public static class BucketVersioning
{
    /// <summary>The version id a write gets: a fresh one when versioning is enabled, "null" otherwise.</summary>
    public static string VersionIdForWrite(BucketRecord bucket) => bucket.VersioningEnabled ? VersionIds.New() : VersionIds.Null;

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketVersioning", ct);
        await S3Xml.WriteAsync(req.Http, 200, "VersioningConfiguration", w =>
        {
            if (bucket.VersioningConfigured) w.Element("Status", bucket.Versioning);
        });
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketVersioning", ct);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        if (doc.Name.LocalName != "VersioningConfiguration") throw S3Errors.MalformedXml();
        var status = doc.ChildValue("Status");
        if (doc.ChildValue("MfaDelete") is "Enabled")
            throw S3Errors.InvalidRequest("MFA delete is not supported by this server.");
        // Without a Status the configuration changes nothing; a bucket never returns to "unversioned".
        if (status is null)
        {
            req.Http.Response.StatusCode = 200;
            req.Http.Response.ContentLength = 0;
            return;
        }
        if (status is not ("Enabled" or "Suspended")) throw S3Errors.MalformedXml();
        if (status == "Suspended" && bucket.ObjectLock is not null)
            throw new S3Exception("InvalidBucketState", 409, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.");
        await ctx.Store.SetBucketVersioningAsync(bucket.Id, status, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task ListVersionsAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:ListBucketVersions", ct);
        var prefix = req.Query("prefix") ?? "";
        var delimiter = string.IsNullOrEmpty(req.Query("delimiter")) ? null : req.Query("delimiter");
        var keyMarker = string.IsNullOrEmpty(req.Query("key-marker")) ? null : req.Query("key-marker");
        var versionIdMarker = keyMarker is null || string.IsNullOrEmpty(req.Query("version-id-marker")) ? null : req.Query("version-id-marker");
        if (keyMarker is null && !string.IsNullOrEmpty(req.Query("version-id-marker")))
            throw S3Errors.InvalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", req.Query("version-id-marker"));
        var maxKeys = ListObjects.ParseMaxKeys(req.Query("max-keys"));
        var encode = string.Equals(req.Query("encoding-type"), "url", StringComparison.OrdinalIgnoreCase);
        string E(string s) => encode ? ListObjects.UrlEncode(s) : s;

        var entries = new List<VersionListEntry>();
        var prefixes = new List<string>();
        var truncated = false;
        string? nextKey = null, nextVersion = null;
        string? cursorKey = keyMarker, cursorVersion = versionIdMarker;
        // A NextKeyMarker we returned may name a rolled-up prefix; continuing from it skips that whole prefix.
        var cursorSkipsPrefix = delimiter is not null && keyMarker is not null && versionIdMarker is null
                                && keyMarker.StartsWith(prefix, StringComparison.Ordinal)
                                && keyMarker.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal) == keyMarker.Length - delimiter.Length;
        while (!truncated)
        {
            var want = maxKeys - entries.Count - prefixes.Count + 1;
            var batch = await ctx.Store.ListObjectVersionsAsync(bucket.Id, prefix, cursorKey, cursorVersion, cursorSkipsPrefix, want, ct);
            var reseek = false;
            foreach (var v in batch)
            {
                string? commonPrefix = null;
                if (delimiter is not null)
                {
                    var at = v.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0) commonPrefix = v.Key[..(at + delimiter.Length)];
                }
                if (entries.Count + prefixes.Count == maxKeys)
                {
                    truncated = true;
                    break;
                }
                if (commonPrefix is not null)
                {
                    prefixes.Add(commonPrefix);
                    nextKey = commonPrefix;
                    nextVersion = null;
                    (cursorKey, cursorVersion, cursorSkipsPrefix) = (commonPrefix, null, true);
                    reseek = true;
                    break;
                }
                entries.Add(v);
                nextKey = v.Key;
                nextVersion = v.VersionId;
                (cursorKey, cursorVersion, cursorSkipsPrefix) = (v.Key, v.VersionId, false);
            }
            if (!reseek && batch.Count < want) break;
        }

        var names = await DisplayNames.ResolveAsync(ctx, entries.Select(v => v.OwnerId), ct);
        await S3Xml.WriteAsync(req.Http, 200, "ListVersionsResult", w =>
        {
            w.Element("Name", bucket.Name);
            w.Element("Prefix", E(prefix));
            w.Element("KeyMarker", E(keyMarker ?? ""));
            w.Element("VersionIdMarker", versionIdMarker ?? "");
            if (truncated)
            {
                w.Element("NextKeyMarker", E(nextKey ?? ""));
                if (nextVersion is not null) w.Element("NextVersionIdMarker", nextVersion);
            }
            w.Element("MaxKeys", maxKeys);
            if (delimiter is not null) w.Element("Delimiter", E(delimiter));
            if (encode) w.Element("EncodingType", "url");
            w.Element("IsTruncated", truncated);
            foreach (var v in entries) WriteEntry(w, v, E, names);
            foreach (var p in prefixes)
            {
                w.WriteStartElement("CommonPrefixes");
                w.Element("Prefix", E(p));
                w.WriteEndElement();
            }
        });
    }

    private static void WriteEntry(XmlWriter w, VersionListEntry v, Func<string, string> encode, Func<string, string> displayName)
    {
        w.WriteStartElement(v.IsDeleteMarker ? "DeleteMarker" : "Version");
        w.Element("Key", encode(v.Key));
        w.Element("VersionId", v.VersionId);
        w.Element("IsLatest", v.IsLatest);
        w.Element("LastModified", v.LastModified);
        if (!v.IsDeleteMarker)
        {
            w.Element("ETag", ETags.Quote(v.ETag));
            w.Element("Size", v.Size);
            w.Element("StorageClass", v.StorageClass);
        }
        w.WriteStartElement("Owner");
        w.Element("ID", v.OwnerId);
        w.Element("DisplayName", displayName(v.OwnerId));
        w.WriteEndElement();
        w.WriteEndElement();
    }
}
