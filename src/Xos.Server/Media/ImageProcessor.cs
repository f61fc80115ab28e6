using NetVips;
using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>The encoded result of a pipeline and its MIME type.</summary>
public sealed record MediaResult(byte[] Body, string ContentType);

/// <summary>
/// Runs an image pipeline on a local file with libvips. A leading resize goes through libvips' thumbnail, which shrinks a
/// JPEG (and WebP, and the pages of a HEIF) while decoding it, so a large photo is never decoded at full size for a
/// thumbnail; the time limit kills libvips' evaluation.
/// </summary>
public static class ImageProcessor
{
    public static MediaResult Run(string path, IReadOnlyList<IImageStep> steps, ImageJob job, CancellationToken timeout)
    {
        using var source = ImageSource.OpenChecked(path, job.Limits);
        job.Format = source.Format;
        if (steps is [IReportStep report])
        {
            return new MediaResult(Guard(source.Image, timeout, img => report.Report(img, source)), "application/json");
        }
        // Every image made on the way is disposed at the end: libvips' pixel buffers are native memory the GC does not see.
        var made = new List<Image>();
        Image Keep(Image i)
        {
            made.Add(i);
            return i;
        }
        try
        {
            var image = source.Image;
            var next = 0;
            if (steps.Count > 0 && steps[0] is ResizeStep resize)
            {
                var plan = resize.Plan(image.Width, image.Height);
                image = Keep(resize.Finish(image, plan, job, (w, h) => Keep(Image.Thumbnail(path, w, height: h, size: Enums.Size.Force, noRotate: true))));
                next = 1;
                // The steps after it may read out of order: keep the (small) scaled image in memory for them.
                if (steps.Skip(1).Any(s => s is not IEncodeStep)) image = Keep(Guard(image, timeout, img => img.CopyMemory()));
            }
            else if (steps.Any(s => s is not IEncodeStep))
            {
                image = Keep(Image.NewFromFile(path));
            }
            if (image.Interpretation is Enums.Interpretation.Cmyk or Enums.Interpretation.Lab or Enums.Interpretation.Labs)
                image = Keep(image.Colourspace(Enums.Interpretation.Srgb));
            for (var i = next; i < steps.Count; i++) image = Keep(steps[i].Apply(image, job));
            job.CheckPixels(image.Width, image.Height);
            var body = Guard(image, timeout, img => ImageFormats.Encode(img, job));
            if (body.Length > job.Limits.MaxOutputBytes)
                throw new S3Exception("InvalidArgument", 400,
                    $"The result is {body.Length} bytes: more than the limit of {job.Limits.MaxOutputBytes} (--media-max-output).", ("ArgumentName", MediaParameter.Name));
            return new MediaResult(body, ImageFormats.ContentType(job.Format));
        }
        finally
        {
            foreach (var i in made.Distinct(ReferenceEqualityComparer.Instance).Cast<Image>())
                if (!ReferenceEquals(i, source.Image)) i.Dispose();
        }
    }

    /// <summary>Evaluates <paramref name="image"/> through <paramref name="sink"/>, killed when <paramref name="timeout"/> fires.</summary>
    private static T Guard<T>(Image image, CancellationToken timeout, Func<Image, T> sink)
    {
        image.SetProgress(new Progress<int>(), timeout);
        timeout.ThrowIfCancellationRequested();
        try
        {
            return sink(image);
        }
        catch (VipsException) when (timeout.IsCancellationRequested)
        {
            throw new OperationCanceledException(timeout);
        }
    }
}
