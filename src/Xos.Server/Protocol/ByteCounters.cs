using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Xos.Server.Protocol;

/// <summary>
/// What a request really moved, for the request log: the bytes read from its body (not the Content-Length it
/// declared) and the bytes written to its response, including those the kernel sends from a file.
/// </summary>
public sealed class ByteCounters
{
    public long Received;
    public long Sent;

    /// <summary>Counts the request body as the operation reads it and the response as it is written.</summary>
    public static ByteCounters Attach(HttpContext http)
    {
        var counters = new ByteCounters();
        http.Request.Body = new CountingReadStream(http.Request.Body, counters);
        var inner = http.Features.Get<IHttpResponseBodyFeature>()!;
        http.Features.Set<IHttpResponseBodyFeature>(new CountingResponseBody(inner, counters));
        return counters;
    }

    private sealed class CountingReadStream(Stream inner, ByteCounters counters) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await inner.ReadAsync(buffer, ct);
            counters.Received += n;
            return n;
        }
    }

    private sealed class CountingWriteStream(Stream inner, ByteCounters counters) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            counters.Sent += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            await inner.WriteAsync(buffer, ct);
            counters.Sent += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    }

    private sealed class CountingPipeWriter(PipeWriter inner, ByteCounters counters) : PipeWriter
    {
        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            counters.Sent += bytes;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override ValueTask<FlushResult> FlushAsync(CancellationToken ct = default) => inner.FlushAsync(ct);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    private sealed class CountingResponseBody(IHttpResponseBodyFeature inner, ByteCounters counters) : IHttpResponseBodyFeature
    {
        private Stream? _stream;
        private PipeWriter? _writer;

        public Stream Stream => _stream ??= new CountingWriteStream(inner.Stream, counters);
        /// <summary>Kestrel's own writer, counted: bytes written into its memory go out without a copy through a stream.</summary>
        public PipeWriter Writer => _writer ??= new CountingPipeWriter(inner.Writer, counters);
        public void DisableBuffering() => inner.DisableBuffering();
        public Task StartAsync(CancellationToken ct = default) => inner.StartAsync(ct);

        public async Task CompleteAsync()
        {
            if (_writer is not null) await _writer.FlushAsync();
            await inner.CompleteAsync();
        }

        public async Task SendFileAsync(string path, long offset, long? count, CancellationToken ct = default)
        {
            await inner.SendFileAsync(path, offset, count, ct);
            counters.Sent += count ?? new FileInfo(path).Length - offset;
        }
    }
}
