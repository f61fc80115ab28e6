using System.Net;
using Xos.Server.Protocol;

namespace Xos.Server.Buckets;

/// <summary>S3's bucket naming rules: 3-63 characters of lowercase letters, digits, '-' and '.', not shaped like an IP address.</summary>
public static class BucketNames
{
    public static bool IsValid(string name)
    {
        if (name.Length is < 3 or > 63) return false;
        foreach (var c in name)
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.')) return false;
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1])) return false;
        if (name.Contains("..") || name.Contains(".-") || name.Contains("-.")) return false;
        if (name.Count(c => c == '.') == 3 && IPAddress.TryParse(name, out _)) return false;
        if (name.StartsWith("xn--", StringComparison.Ordinal) || name.StartsWith("sthree-", StringComparison.Ordinal)) return false;
        if (name.EndsWith("-s3alias", StringComparison.Ordinal) || name.EndsWith("--ol-s3", StringComparison.Ordinal)) return false;
        return true;
    }

    public static void Validate(string name)
    {
        if (!IsValid(name)) throw S3Errors.InvalidBucketName(name);
    }
}
