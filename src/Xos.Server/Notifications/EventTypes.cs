namespace Xos.Server.Notifications;

/// <summary>
/// The S3 event types this server sends ("s3:ObjectCreated:Put") and the wildcards that cover a family of them
/// ("s3:ObjectCreated:*"). Restore, replication, Intelligent-Tiering and lost-object events are refused: nothing here
/// can cause them.
/// </summary>
public static class EventTypes
{
    public const string Put = "ObjectCreated:Put";
    public const string Post = "ObjectCreated:Post";
    public const string Copy = "ObjectCreated:Copy";
    public const string CompleteMultipartUpload = "ObjectCreated:CompleteMultipartUpload";
    public const string Removed = "ObjectRemoved";
    public const string Expiration = "LifecycleExpiration";
    public const string TaggingPut = "ObjectTagging:Put";
    public const string TaggingDelete = "ObjectTagging:Delete";
    public const string AclPut = "ObjectAcl:Put";

    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "s3:ObjectCreated:*", "s3:" + Put, "s3:" + Post, "s3:" + Copy, "s3:" + CompleteMultipartUpload,
        "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectTagging:*", "s3:" + TaggingPut, "s3:" + TaggingDelete,
        "s3:" + AclPut,
        "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
    };

    public static bool IsSupported(string configured) => Supported.Contains(configured);

    /// <summary>The name of a removal: "ObjectRemoved:Delete", or ":DeleteMarkerCreated" when a marker was added.</summary>
    public static string Removal(string family, bool marker) => family + (marker ? ":DeleteMarkerCreated" : ":Delete");

    /// <summary>Whether the configured type (with "s3:", perhaps a wildcard) asks for the event <paramref name="eventName"/>.</summary>
    public static bool Covers(string configured, string eventName)
    {
        if (!configured.StartsWith("s3:", StringComparison.Ordinal)) return false;
        var type = configured.AsSpan(3);
        if (type.EndsWith(":*"))
        {
            var family = type[..^1];
            return eventName.AsSpan().StartsWith(family, StringComparison.Ordinal);
        }
        return type.SequenceEqual(eventName);
    }

    /// <summary>Whether two configured types share an event: equal, or one is the wildcard of the other's family.</summary>
    public static bool Overlap(string a, string b) =>
        a == b || Family(a) == Family(b) && (a.EndsWith(":*", StringComparison.Ordinal) || b.EndsWith(":*", StringComparison.Ordinal));

    private static string Family(string configured) => configured[..configured.LastIndexOf(':')];
}
