return await Xos.Server.Cli.XosCommandLine.RunAsync(args);
