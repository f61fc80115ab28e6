using System.Security.Cryptography;

namespace Xos.Server.Protocol;

/// <summary>Request ids: 16 uppercase hex characters, unique per process start and cheap to make.</summary>
public static class RequestIds
{
    private static readonly ulong Seed = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private static long _counter;

    public static string Next()
    {
        var n = (ulong)Interlocked.Increment(ref _counter);
        return (Seed ^ (n * 0x9E3779B97F4A7C15UL)).ToString("X16");
    }
}
