using System.Net;

namespace Xos.Server.Bench;

/// <summary>
/// `xos bench ceiling --listen HOST:PORT [--size 4k]`: the least an ASP.NET Core server can do per request, to measure XOS against.
/// Kestrel alone, no routing, logging or middleware: every GET is answered with SIZE bytes from memory, every other request with an
/// empty 200 (its body read and dropped), so that `xos bench --workloads get-4k` runs against it as against an S3 endpoint.
/// It runs on the runtime and settings that XOS itself runs on, so a ratio to it is what XOS's own code costs.
/// </summary>
public static class BenchCeiling
{
    public const string Usage = "usage: xos bench ceiling --listen HOST:PORT [--size 4k]   (answers every GET with SIZE bytes, until Ctrl+C or SIGTERM)";

    public static async Task<int> RunAsync(string[] args)
    {
        IPEndPoint? listen = null;
        var size = 4096L;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--listen":
                        listen = IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port != 0 ? endpoint
                            : throw new ArgumentException($"--listen wants HOST:PORT with an IP address, not '{value}'");
                        break;
                    case "--size":
                        size = BenchOptions.ParseSize(value);
                        break;
                    default:
                        throw new ArgumentException($"unexpected argument '{args[i]}'");
                }
                i++;
            }
            if (listen is null) throw new ArgumentException("--listen is required");
            if (size > 64 << 20) throw new ArgumentException("--size is at most 64m: the body is held in memory");
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var body = new byte[size];
        Random.Shared.NextBytes(body);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(listen));
        await using var app = builder.Build();
        app.Run(async context =>
        {
            if (HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.ContentLength = body.Length;
                await context.Response.BodyWriter.WriteAsync(body, context.RequestAborted);
            }
            else
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }
        });
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"xos bench ceiling: cannot listen on {listen}: {e.Message}");
            return 1;
        }
        Console.WriteLine($"ceiling listening on http://{listen}, {size} bytes a GET");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
