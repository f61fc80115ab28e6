using Microsoft.Extensions.Logging.Abstractions;
using Xos.Server.Auth;
using Xos.Server.Hosting;
using Xos.Server.Media;
using Xos.Server.Protocol;

namespace Xos.Tests.Unit.Media;

/// <summary>The processing parameter's grammar, Aliyun's resize geometry, the settings and the concurrency bound.</summary>
public sealed class MediaPipelineTests
{
    [Fact]
    public void AnImagePipelineKeepsItsActionsInOrderWithBareValuesAndParameters()
    {
        var p = MediaPipeline.Parse("image/resize,m_fill,w_200,h_100/rotate,90/format,webp//quality,Q_80");
        Assert.Equal(PipelineKind.Image, p.Kind);
        Assert.Equal(["resize", "rotate", "format", "quality"], p.Actions.Select(a => a.Name));
        Assert.Equal("fill", p.Actions[0].Get("m"));
        Assert.Equal("90", p.Actions[1].Bare);
        Assert.Equal("image/resize,m_fill,w_200,h_100/rotate,90/format,webp/quality,Q_80", p.Canonical);
        Assert.Null(p.SaveAs);
        Assert.Equal(4, CompiledPipeline.Compile(p).Steps.Count);
    }

    [Fact]
    public void StylesVideoAndSaveAsParse()
    {
        var style = MediaPipeline.Parse("style/thumb-1");
        Assert.Equal((PipelineKind.Style, "thumb-1"), (style.Kind, style.StyleName));
        var video = CompiledPipeline.Compile(MediaPipeline.Parse("video/snapshot,t_7000,f_png,w_800,h_0,m_fast,ar_auto"));
        Assert.Equal(new VideoAction(false, 7000, 800, 0, true, "png", true), video.Video);
        // o_ and b_ are URL-safe base64 (Aliyun's example: "example-new.jpg" and "test-bucket").
        var saved = MediaPipeline.Parse("image/resize,w_100|sys/saveas,o_ZXhhbXBsZS1uZXcuanBn,b_dGVzdC1idWNrZXQ");
        Assert.Equal(new SaveAsTarget("example-new.jpg", "test-bucket"), saved.SaveAs);
        Assert.Equal("image/resize,w_100", saved.Canonical);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("image", "at least one action")]
    [InlineData("image/", "at least one action")]
    [InlineData("photo/resize,w_1", "unknown processing type")]
    [InlineData("style/", "style name")]
    [InlineData("style/a/b", "style name")]
    [InlineData("image/Resize,w_1", "not an action name")]
    [InlineData("image/resize,w_1,w_2", "repeats the parameter 'w'")]
    [InlineData("image/rotate,90,180", "one bare value")]
    [InlineData("video/snapshot,t_1/info", "exactly one action")]
    [InlineData("image/resize,w_1|sys/copy,o_YQ", "sys/saveas")]
    [InlineData("image/resize,w_1|sys/saveas,b_YQ", "'o'")]
    [InlineData("image/resize,w_1|sys/saveas,o_YQ|sys/saveas,o_YQ", "only one")]
    public void MalformedPipelinesAreInvalidArgument(string text, string why)
    {
        var e = Assert.Throws<S3Exception>(() => MediaPipeline.Parse(text));
        Assert.Equal(("InvalidArgument", 400), (e.Code, e.Status));
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("image/resize,w_16385", "resize", "'w'")]
    [InlineData("image/resize,p_0", "resize", "'p'")]
    [InlineData("image/resize,w_10,limit_2", "resize", "'limit'")]
    [InlineData("image/resize,w_10,color_red", "resize", "'color'")]
    [InlineData("image/resize,w_10,z_1", "resize", "'z'")]
    [InlineData("image/crop,x_-1", "crop", "'x'")]
    [InlineData("image/indexcrop,i_1", "indexcrop", "'x'")]
    [InlineData("image/circle", "circle", "'r'")]
    [InlineData("image/rounded-corners,r_5000", "rounded-corners", "'r'")]
    [InlineData("image/rotate,-1", "rotate", "'value'")]
    [InlineData("image/auto-orient,2", "auto-orient", "'value'")]
    [InlineData("image/blur,r_51,s_1", "blur", "'r'")]
    [InlineData("image/bright,101", "bright", "'value'")]
    [InlineData("image/contrast,x", "contrast", "'value'")]
    [InlineData("image/sharpen,49", "sharpen", "'value'")]
    [InlineData("image/quality,q_0", "quality", "'q'")]
    [InlineData("image/quality,q_50,Q_50", "quality", "'q'")]
    [InlineData("image/interlace,yes", "interlace", "'value'")]
    [InlineData("image/watermark,t_50", "watermark", "'text'")]
    [InlineData("image/watermark,text_YQ,size_0", "watermark", "'size'")]
    [InlineData("image/watermark,text_YQ,g_middle", "watermark", "'g'")]
    [InlineData("image/info,1", "info", "1")]
    [InlineData("video/snapshot,f_gif", "snapshot", "'f'")]
    [InlineData("video/snapshot,w_-1", "snapshot", "'w'")]
    [InlineData("video/cut,t_1", "cut", "cut")]
    public void BadParametersNameTheActionAndTheParameter(string text, string action, string parameter)
    {
        var e = Assert.Throws<S3Exception>(() => CompiledPipeline.Compile(MediaPipeline.Parse(text)));
        Assert.Equal(("InvalidArgument", 400), (e.Code, e.Status));
        Assert.Contains(action, e.Message);
        Assert.Contains(parameter, e.Message);
    }

    [Theory]
    // Aliyun's worked example: a 200x100 image into a box of 150x80.
    [InlineData("m_lfit,w_150,h_80", 200, 100, 150, 75, 0, 0)]
    [InlineData("m_mfit,w_150,h_80", 200, 100, 160, 80, 0, 0)]
    [InlineData("m_fill,w_150,h_80", 200, 100, 160, 80, 150, 80)]
    [InlineData("m_pad,w_150,h_80", 200, 100, 150, 75, 150, 80)]
    [InlineData("m_fixed,w_150,h_80", 200, 100, 150, 80, 0, 0)]
    [InlineData("w_100", 400, 300, 100, 75, 0, 0)]
    [InlineData("h_100", 400, 300, 133, 100, 0, 0)]
    [InlineData("l_100", 300, 600, 50, 100, 0, 0)]
    [InlineData("s_100", 300, 600, 100, 200, 0, 0)]
    [InlineData("p_50", 300, 600, 150, 300, 0, 0)]
    [InlineData("p_200", 30, 60, 60, 120, 0, 0)]
    [InlineData("w_100,m_fill", 400, 300, 133, 100, 100, 100)]
    public void ResizeFollowsAliyunsGeometry(string parameters, int width, int height, int w, int h, int boxW, int boxH)
    {
        var step = (ResizeStep)ImageSteps.Compile(MediaPipeline.Parse("image/resize," + parameters).Actions[0]);
        var plan = step.Plan(width, height)!.Value;
        Assert.Equal((w, h), (plan.Width, plan.Height));
        Assert.Equal(boxW == 0 ? null : (boxW, boxH), plan.Box);
    }

    [Fact]
    public void LimitKeepsSmallImagesAsTheyAre()
    {
        var limited = (ResizeStep)ImageSteps.Compile(MediaPipeline.Parse("image/resize,w_800").Actions[0]);
        Assert.Null(limited.Plan(400, 300));
        var unlimited = (ResizeStep)ImageSteps.Compile(MediaPipeline.Parse("image/resize,w_800,limit_0").Actions[0]);
        Assert.Equal((800, 600), (unlimited.Plan(400, 300)!.Value.Width, unlimited.Plan(400, 300)!.Value.Height));
    }

    [Fact]
    public void TheMediaSettingsHaveDefaultsFlagsAndVariables()
    {
        ServerOptions Parse(string[] args, Dictionary<string, string>? env = null) =>
            ServerOptions.Parse(args, n => env is not null && env.TryGetValue(n, out var v) ? v : null);
        var d = Parse([]);
        Assert.Equal((64L << 20, 100_000_000L, 32L << 20, TimeSpan.FromSeconds(30), 2000, 2L << 30),
            (d.MediaMaxInputBytes, d.MediaMaxPixels, d.MediaMaxOutputBytes, d.MediaTimeout, d.MediaQueueWaitMs, d.MediaCacheBytes));
        var o = Parse(["--media-max-input", "1m", "--media-timeout", "500ms", "--media-cache=0", "--media-concurrency", "3"],
            new() { ["XOS_MEDIA_MAX_PIXELS"] = "1000", ["XOS_MEDIA_QUEUE_WAIT"] = "0", ["XOS_MEDIA_MAX_OUTPUT"] = "2m" });
        Assert.Equal((1L << 20, 1000L, 2L << 20, TimeSpan.FromMilliseconds(500), 3, 0, 0L),
            (o.MediaMaxInputBytes, o.MediaMaxPixels, o.MediaMaxOutputBytes, o.MediaTimeout, o.MediaConcurrency, o.MediaQueueWaitMs, o.MediaCacheBytes));
        Assert.Contains("--media-timeout", Assert.Throws<ArgumentException>(() => Parse(["--media-timeout", "soon"])).Message);
        Assert.Contains("--media-concurrency", Assert.Throws<ArgumentException>(() => Parse(["--media-concurrency", "0"])).Message);
    }

    [Fact]
    public async Task ExcessWorkWaitsThenIsSlowDown()
    {
        var dir = Path.Combine(Path.GetTempPath(), "xos-media-unit-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var media = new MediaProcessor(dir, new MediaLimits { Concurrency = 1, QueueWait = TimeSpan.Zero, CacheBytes = 0 }, NullLogger.Instance);
            var release = new TaskCompletionSource<int>();
            var holder = media.RunAsync(_ => release.Task, CancellationToken.None);
            var refused = await Assert.ThrowsAsync<S3Exception>(() => media.RunAsync(_ => Task.FromResult(2), CancellationToken.None));
            Assert.Equal(("SlowDown", 503), (refused.Code, refused.Status));
            release.SetResult(1);
            Assert.Equal(1, await holder);
            Assert.Equal(3, await media.RunAsync(_ => Task.FromResult(3), CancellationToken.None));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void OnlyTheProcessingParameterIsLeftOutOfTheCanonicalQuery()
    {
        const string query = "X-Amz-Signature=abc&x-oss-process=image%2Fresize%2Cw_10&versionId=v1";
        Assert.Equal("versionId=v1", SigV4.CanonicalQuery(query, "X-Amz-Signature", MediaParameter.IsProcessingName));
        Assert.Equal("versionId=v1&x-oss-process=image%2Fresize%2Cw_10", SigV4.CanonicalQuery(query, "X-Amz-Signature"));
    }
}
