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
    public static async Task<int> RunAsync(IPEndPoint listen, long size)
    {
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
