using System.Text;
using Xos.Server.Hosting;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>GET / : the caller's buckets in name order, optionally by prefix and in pages of max-buckets.</summary>
public static class ListBuckets
{
    private const int MaxBucketsLimit = 10000;

    public static async Task HandleAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var caller = ctx.Authorizer.RequireAuthenticated(req, "s3:ListAllMyBuckets", "arn:aws:s3:::*");
        var prefix = req.Query("prefix");
        var maxBuckets = ParseMaxBuckets(req.Query("max-buckets"));
        var token = req.Query("continuation-token");
        var after = string.IsNullOrEmpty(token) ? null : DecodeToken(token);

        var matching = (await ctx.Store.ListBucketsAsync(caller.OwnerId, ct))
            .Where(b => prefix is null || b.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Where(b => after is null || string.CompareOrdinal(b.Name, after) > 0)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        var page = matching.Take(maxBuckets).ToList();
        var truncated = matching.Count > page.Count;

        await S3Xml.WriteAsync(req.Http, 200, "ListAllMyBucketsResult", w =>
        {
            w.WriteStartElement("Owner");
            w.Element("ID", caller.OwnerId);
            w.Element("DisplayName", caller.DisplayName);
            w.WriteEndElement();
            w.WriteStartElement("Buckets");
            foreach (var b in page)
            {
                w.WriteStartElement("Bucket");
                w.Element("Name", b.Name);
                w.Element("CreationDate", b.Created);
                w.Element("BucketRegion", b.Location is "" ? ctx.Options.Region : b.Location);
                w.WriteEndElement();
            }
            w.WriteEndElement();
            if (truncated) w.Element("ContinuationToken", EncodeToken(page[^1].Name));
            if (prefix is not null) w.Element("Prefix", prefix);
        });
    }

    private static int ParseMaxBuckets(string? text)
    {
        if (text is null) return MaxBucketsLimit;
        if (!int.TryParse(text, out var n) || n is < 1 or > MaxBucketsLimit)
            throw S3Errors.InvalidArgument("Argument max-buckets must be an integer between 1 and 10000.", "max-buckets", text);
        return n;
    }

    private static string EncodeToken(string lastName) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(lastName)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeToken(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            return Encoding.UTF8.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
        }
        catch (FormatException)
        {
            throw S3Errors.InvalidArgument("The continuation token provided is incorrect", "continuation-token", token);
        }
    }
}
