using System.Globalization;
using System.Security.Cryptography;

namespace Xos.Server.Storage;

/// <summary>
/// Version ids and the order of versions. Every stored version (the "null" one too) gets a sequence number from a clock in
/// microseconds that never goes backwards in this process; ListObjectVersions orders a key's versions newest first by it.
/// A version id starts with its sequence number, so a listing can continue after a version-id-marker whose version has
/// since been deleted, which is how clients page while they delete.
/// </summary>
public static class VersionIds
{
    public const string Null = "null";
    private static long _last;

    /// <summary>A sequence number greater than any this process handed out before.</summary>
    public static long NextSequence()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _last, next, last) == last) return next;
        }
    }

    /// <summary>
    /// A new version id: "v", 15 hex digits of its sequence number and 16 random ones, unique without coordination.
    /// The leading letter tells these ids from the all-hex random ids of schema version 1.
    /// </summary>
    public static string New() => "v" + NextSequence().ToString("x15") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The sequence number a version id carries; null for "null" and for ids of older servers.</summary>
    public static long? SequenceOf(string versionId) =>
        versionId.Length == 32 && versionId[0] == 'v' && long.TryParse(versionId.AsSpan(1, 15), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var seq) && seq > 0
            ? seq
            : null;

    /// <summary>The sequence number to store a version with.</summary>
    public static long SequenceFor(string versionId) => SequenceOf(versionId) ?? NextSequence();
}
