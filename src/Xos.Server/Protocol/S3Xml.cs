using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Xos.Server.Protocol;

/// <summary>Writing S3 XML responses and reading S3 XML request bodies.</summary>
public static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    private const int MaxRequestXmlBytes = 4 << 20;

    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = true,
    };

    // Written by hand, with the newline AWS puts after it: aws-sdk v2 reads GetBucketLocation with a regular
    // expression that only works when the declaration ends its own line.
    private static readonly byte[] Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"u8.ToArray();

    /// <summary>Builds the document in memory (S3 responses are small and need a Content-Length) and sends it.</summary>
    public static async Task WriteAsync(HttpContext http, int status, string root, Action<XmlWriter> body, string? ns = Namespace)
    {
        using var buffer = new MemoryStream(1024);
        buffer.Write(Declaration);
        using (var w = XmlWriter.Create(buffer, WriterSettings))
        {
            w.WriteStartElement(root, ns ?? "");
            body(w);
            w.WriteEndElement();
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/xml";
        http.Response.ContentLength = buffer.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
            await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted);
    }

    public static void Element(this XmlWriter w, string name, string? value)
    {
        if (value is null) return;
        w.WriteElementString(name, value);
    }

    public static void Element(this XmlWriter w, string name, long value) => w.WriteElementString(name, value.ToString(CultureInfo.InvariantCulture));

    public static void Element(this XmlWriter w, string name, bool value) => w.WriteElementString(name, value ? "true" : "false");

    public static void Element(this XmlWriter w, string name, DateTimeOffset value) => w.WriteElementString(name, Timestamp(value));

    /// <summary>ISO 8601 with milliseconds, as S3 writes times in XML.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Reads a small XML request body; MalformedXML when it is not XML or too large.</summary>
    public static async Task<XElement> ReadBodyAsync(S3Request req, CancellationToken ct)
    {
        if (req.ContentLength > MaxRequestXmlBytes) throw S3Errors.MalformedXml();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await req.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxRequestXmlBytes) throw S3Errors.MalformedXml();
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0) throw S3Errors.MalformedXml();
        ContentMd5.Verify(req.Header("Content-MD5"), System.Security.Cryptography.MD5.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        buffer.Position = 0;
        try
        {
            using var reader = XmlReader.Create(buffer, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XElement.Load(reader);
        }
        catch (XmlException)
        {
            throw S3Errors.MalformedXml();
        }
    }

    public static IEnumerable<XElement> Children(this XElement e, string localName) => e.Elements().Where(c => c.Name.LocalName == localName);

    public static XElement? Child(this XElement e, string localName) => e.Elements().FirstOrDefault(c => c.Name.LocalName == localName);

    public static string? ChildValue(this XElement e, string localName) => e.Child(localName)?.Value;
}
