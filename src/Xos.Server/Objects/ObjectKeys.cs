using System.Text;
using Xos.Server.Protocol;

namespace Xos.Server.Objects;

/// <summary>S3's key rule: 1 to 1024 bytes of UTF-8.</summary>
public static class ObjectKeys
{
    public const int MaxKeyBytes = 1024;

    public static void Validate(string key)
    {
        if (key.Length == 0) throw S3Errors.InvalidArgument("Object key must not be empty.");
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes) throw S3Errors.KeyTooLong();
    }
}
