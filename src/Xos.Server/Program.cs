using Xos.Server.Hosting;

return await Cli.RunAsync(args);
