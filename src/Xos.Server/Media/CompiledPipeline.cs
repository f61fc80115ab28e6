using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>A pipeline with its actions checked and compiled: image steps, or one video action.</summary>
public sealed record CompiledPipeline(MediaPipeline Pipeline, IReadOnlyList<IImageStep> Steps, VideoAction? Video)
{
    public static CompiledPipeline Compile(MediaPipeline pipeline) => pipeline.Kind switch
    {
        PipelineKind.Image => new(pipeline, ImageSteps.Compile(pipeline.Actions), null),
        PipelineKind.Video => new(pipeline, [], VideoAction.Compile(pipeline.Actions[0])),
        _ => throw S3Errors.InvalidArgument("Invalid processing parameter: a style must be resolved before it is compiled.", MediaParameter.Name, pipeline.Canonical),
    };

    /// <summary>The keys of the objects used as watermarks, loaded beside the source.</summary>
    public IEnumerable<string> MarkKeys => Steps.OfType<WatermarkStep>().Select(w => w.MarkKey).OfType<string>().Distinct();
}
