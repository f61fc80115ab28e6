using System.Text.Json;
using System.Text.Json.Nodes;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;

namespace Xos.Server.Media;

/// <summary>
/// Named pipelines of a bucket, used as <c>style/NAME</c>, with Aliyun OSS's API: PUT /bucket?style&amp;styleName=NAME
/// (body &lt;Style&gt;&lt;Content&gt;image/...&lt;/Content&gt;&lt;/Style&gt;), GET of one, GET /bucket?style for the list,
/// DELETE. Each is a bucket setting named "style/NAME" holding its content and times.
/// </summary>
public static class MediaStyles
{
    private const string Prefix = "style/";
    public const int MaxStyles = 100;

    public static async Task<MediaPipeline> ResolveAsync(ServerContext ctx, BucketRecord bucket, MediaPipeline pipeline, CancellationToken ct)
    {
        if (pipeline.Kind != PipelineKind.Style) return pipeline;
        var stored = await ctx.Store.GetBucketSettingAsync(bucket.Id, Prefix + pipeline.StyleName, ct) ?? throw NoSuchStyle();
        var style = MediaPipeline.Parse(Read(stored).Content);
        return style with { SaveAs = pipeline.SaveAs };
    }

    private static S3Exception NoSuchStyle() => new("NoSuchStyle", 404, "The specified style does not exist.");

    private record struct Style(string Content, DateTimeOffset Created, DateTimeOffset Modified);

    private static Style Read(string json)
    {
        var node = JsonNode.Parse(json)!;
        return new Style(node["content"]!.GetValue<string>(), node["created"]!.GetValue<DateTimeOffset>(), node["modified"]!.GetValue<DateTimeOffset>());
    }

    private static string StyleName(S3Request req)
    {
        var name = req.Query("styleName");
        if (name is null || name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw S3Errors.InvalidArgument("styleName must be 1 to 64 letters, digits, '-', '_' or '.'.", "styleName", name ?? "");
        return name;
    }

    public static async Task PutAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:PutBucketStyle", ct);
        var name = StyleName(req);
        var doc = await S3Xml.ReadBodyAsync(req, ct);
        var content = doc.ChildValue("Content")?.Trim() ?? throw S3Errors.MalformedXml();
        var pipeline = MediaPipeline.Parse(content);
        if (pipeline.Kind == PipelineKind.Style || pipeline.SaveAs is not null)
            throw S3Errors.InvalidArgument("A style's content is an image/ or video/ pipeline, without sys/saveas.", "Content", content);
        CompiledPipeline.Compile(pipeline);
        var existing = await ctx.Store.GetBucketSettingAsync(bucket.Id, Prefix + name, ct);
        if (existing is null && (await ctx.Store.ListBucketSettingsAsync(bucket.Id, Prefix, ct)).Count >= MaxStyles)
            throw S3Errors.InvalidArgument($"A bucket has at most {MaxStyles} styles.", "styleName", name);
        var now = DateTimeOffset.UtcNow;
        var created = existing is null ? now : Read(existing).Created;
        var json = new JsonObject { ["content"] = pipeline.Canonical, ["created"] = created, ["modified"] = now }.ToJsonString();
        await ctx.Store.SetBucketSettingAsync(bucket.Id, Prefix + name, json, ct);
        req.Http.Response.StatusCode = 200;
        req.Http.Response.ContentLength = 0;
    }

    public static async Task GetAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:GetBucketStyle", ct);
        if (req.Query("styleName") is null)
        {
            var all = await ctx.Store.ListBucketSettingsAsync(bucket.Id, Prefix, ct);
            await S3Xml.WriteAsync(req.Http, 200, "StyleList", w =>
            {
                foreach (var (name, value) in all) Write(w, name[Prefix.Length..], Read(value));
            }, ns: null);
            return;
        }
        var styleName = StyleName(req);
        var stored = await ctx.Store.GetBucketSettingAsync(bucket.Id, Prefix + styleName, ct) ?? throw NoSuchStyle();
        var style = Read(stored);
        await S3Xml.WriteAsync(req.Http, 200, "Style", w => WriteFields(w, styleName, style), ns: null);
    }

    private static void Write(System.Xml.XmlWriter w, string name, Style style)
    {
        w.WriteStartElement("Style");
        WriteFields(w, name, style);
        w.WriteEndElement();
    }

    private static void WriteFields(System.Xml.XmlWriter w, string name, Style style)
    {
        w.Element("Name", name);
        w.Element("Content", style.Content);
        w.Element("CreateTime", style.Created.ToString("r"));
        w.Element("LastModifyTime", style.Modified.ToString("r"));
    }

    public static async Task DeleteAsync(S3Request req, ServerContext ctx, CancellationToken ct)
    {
        var bucket = await ctx.AuthorizedBucketAsync(req, "s3:DeleteBucketStyle", ct);
        var name = StyleName(req);
        await ctx.Store.SetBucketSettingAsync(bucket.Id, Prefix + name, null, ct);
        req.Http.Response.StatusCode = 204;
    }
}
