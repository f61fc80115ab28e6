using Xos.Server.Protocol;

namespace Xos.Server.Media;

/// <summary>
/// The query parameter that asks for processing on read: XOS's own <c>x-xos-process</c>, and the names CTyun
/// (<c>x-zos-process</c>) and Aliyun OSS (<c>x-oss-process</c>) use, so code written for those stores works unchanged.
/// </summary>
public static class MediaParameter
{
    public const string Name = "x-xos-process";
    public static readonly string[] Names = [Name, "x-zos-process", "x-oss-process"];

    /// <summary>The name of the processing parameter the request carries; null when none.</summary>
    public static string? NameIn(S3Request req)
    {
        foreach (var n in Names)
            if (req.HasQuery(n)) return n;
        return null;
    }

    /// <summary>Whether a decoded query parameter name is one of the processing parameters (for the signature check).</summary>
    public static bool IsProcessingName(string name) => Array.IndexOf(Names, name) >= 0;
}
