using System.Text;

namespace Xos.Server.Storage;

/// <summary>Byte-order helpers for keys stored as UTF-8: S3 sorts and ranges keys by their UTF-8 bytes.</summary>
public static class KeyRange
{
    public static byte[] Bytes(string key) => Encoding.UTF8.GetBytes(key);

    public static string Text(byte[] key) => Encoding.UTF8.GetString(key);

    /// <summary>
    /// The smallest byte string greater than every string that starts with <paramref name="prefix"/>,
    /// or null when no such bound exists (empty prefix, or all 0xFF bytes).
    /// </summary>
    public static byte[]? PrefixUpperBound(byte[] prefix)
    {
        var end = prefix.Length;
        while (end > 0 && prefix[end - 1] == 0xFF) end--;
        if (end == 0) return null;
        var bound = prefix[..end];
        bound[end - 1]++;
        return bound;
    }

    public static int Compare(string a, string b) => Bytes(a).AsSpan().SequenceCompareTo(Bytes(b));
}
