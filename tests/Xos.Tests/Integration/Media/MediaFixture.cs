namespace Xos.Tests.Integration.Media;

/// <summary>One server for the media tests, accepting SSE-C keys over plain HTTP; it must log no failure (no 500).</summary>
public sealed class MediaFixture : IAsyncLifetime
{
    public XosProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await XosProcess.StartAsync(environment: new Dictionary<string, string>
    {
        ["XOS_ALLOW_INSECURE_SSE_C"] = "true",
        ["XOS_MEDIA_MAX_INPUT"] = "8m",
        // These tests are about results, not the time limit (MediaSafetyTests breaks that one): a loaded machine may take
        // longer than the default 30 s to start ffmpeg.
        ["XOS_MEDIA_TIMEOUT"] = "120s",
    });

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        var failures = Server.Output.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" 500 ", StringComparison.Ordinal)).ToList();
        if (failures.Count > 0) throw new InvalidOperationException("the server logged failures:\n" + string.Join('\n', failures.Take(5)));
    }
}
