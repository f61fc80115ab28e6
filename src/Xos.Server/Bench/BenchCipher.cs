using System.Diagnostics;
using System.Security.Cryptography;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Bench;

/// <summary>
/// `xos bench cipher [--size 256m]`: how fast this machine seals and opens objects with each server-side encryption
/// algorithm, in XOS's own 64 KiB chunk format, on one thread: the cost per byte that SSE adds to a PUT or a GET,
/// without the network or the disk.
/// </summary>
public static class BenchCipher
{
    public static int Run(long size)
    {
        Console.WriteLine($"{size >> 20} MiB in {ChunkCipher.ChunkSize >> 10} KiB chunks, one thread; SM4 through {Sm4Gcm.Implementation}");
        Console.WriteLine($"{"algorithm",-10} {"seal MiB/s",12} {"open MiB/s",12}");
        const int Distinct = 64;
        var plaintext = new byte[ChunkCipher.ChunkSize];
        var opened = new byte[ChunkCipher.ChunkSize];
        var sealedChunks = Enumerable.Range(0, Distinct).Select(_ => new byte[ChunkCipher.SealedChunkSize]).ToArray();
        RandomNumberGenerator.Fill(plaintext);
        var chunks = size / ChunkCipher.ChunkSize;
        var mib = (double)(chunks * ChunkCipher.ChunkSize) / (1 << 20);
        foreach (var algorithm in new[] { EncryptionInfo.Aes256, EncryptionInfo.Sm4 })
        {
            using var cipher = new ChunkCipher(algorithm, RandomNumberGenerator.GetBytes(32));
            double seal = 0, open = 0;
            // A first pass lets the JIT and the CPU's clocks settle; the second is measured.
            for (var pass = 0; pass < 2; pass++)
            {
                var started = Stopwatch.GetTimestamp();
                for (long c = 0; c < chunks; c++) cipher.Seal(1, c, false, plaintext, sealedChunks[c % Distinct]);
                seal = Stopwatch.GetElapsedTime(started).TotalSeconds;
                // Slot i holds chunk i again, and each is opened with its own index: every tag is checked for real.
                for (var i = 0; i < Distinct; i++) cipher.Seal(1, i, false, plaintext, sealedChunks[i]);
                started = Stopwatch.GetTimestamp();
                for (long c = 0; c < chunks; c++) cipher.Open(1, c % Distinct, false, sealedChunks[c % Distinct], opened);
                open = Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
            if (!opened.AsSpan().SequenceEqual(plaintext)) throw new InvalidOperationException($"{algorithm} did not give back what it sealed");
            Console.WriteLine($"{algorithm,-10} {mib / seal,12:F0} {mib / open,12:F0}");
        }
        return 0;
    }
}
