using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Xos.Server.Hosting;

namespace Xos.Tests.Unit;

public sealed class ConsoleLogTests
{
    private static void LogRequest(ILogger log, string method, string bucket, int status, double ms) =>
        log.LogInformation(new EventId(7), "{Method} {Bucket} {Status} {Ms}ms", method, bucket, status, ms);

    private static string Run(bool json, Action<ILogger> log)
    {
        var output = new MemoryStream();
        var provider = new ConsoleLogProvider(json, output);
        log(provider.CreateLogger("Xos.Test"));
        provider.Dispose();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void TextLinesCarryTimeLevelCategoryEventAndMessageOneLinePerEntryEvenWithAnException()
    {
        var text = Run(json: false, log =>
        {
            for (var i = 0; i < 1000; i++) LogRequest(log, "GET", "media", 200, i);
            log.LogError(new InvalidOperationException("broken\nacross lines"), "it failed");
        });
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1001, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: Xos\.Test\[7\] GET media 200 0ms$", lines[0]);
        Assert.EndsWith("GET media 200 999ms", lines[999]);
        Assert.Contains(" fail: Xos.Test[0] it failed System.InvalidOperationException: broken across lines", lines[1000]);
    }

    [Fact]
    public void JsonLinesAreObjectsWithTheMessageAndItsTypedProperties()
    {
        var text = Run(json: true, log => LogRequest(log, "PUT", "a+b", 503, 1.5));
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"a+b\"", line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("Information", root.GetProperty("LogLevel").GetString());
        Assert.Equal("Xos.Test", root.GetProperty("Category").GetString());
        Assert.Equal("PUT a+b 503 1.5ms", root.GetProperty("Message").GetString());
        Assert.Equal(503, root.GetProperty("State").GetProperty("Status").GetInt32());
        Assert.Equal(1.5, root.GetProperty("State").GetProperty("Ms").GetDouble());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("Timestamp").GetString(), out _));
    }
}
