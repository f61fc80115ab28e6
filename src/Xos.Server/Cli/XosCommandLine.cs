using System.CommandLine;
using System.CommandLine.Invocation;
using Xos.Server.Hosting;

namespace Xos.Server.Cli;

/// <summary>
/// The <c>xos</c> command line, on System.CommandLine: <c>server</c>, <c>admin ...</c>, <c>bench ...</c> and <c>completion</c>,
/// with --help on every command. Anything the parser cannot use (an unknown option or command, a value that does not read, in a
/// flag or in the environment behind it) is refused with one line and exit code 2 before anything starts; nothing typed is ignored.
/// </summary>
public static class XosCommandLine
{
    public const int UsageError = 2;

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Environment.GetEnvironmentVariable);

    public static async Task<int> RunAsync(string[] args, Func<string, string?> env)
    {
        var root = Build(env);
        if (args.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync(new InvocationConfiguration { Output = Console.Error });
            return UsageError;
        }
        var result = root.Parse(args);
        if (result.Errors.Count > 0 && !args[0].StartsWith("[suggest", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(CommandLineErrors.Describe(result));
            return UsageError;
        }
        try
        {
            // ProcessTerminationTimeout = null: the library would otherwise answer SIGTERM and Ctrl+C itself and end the
            // process with 143 or 130 two seconds later, cutting `xos server`'s graceful stop (in-flight requests drain for
            // up to 30 s) short. The server's host handles those signals; the other commands end on them at once.
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (CommandLineException e)
        {
            Console.Error.WriteLine($"xos: {e.Message}");
            return UsageError;
        }
    }

    public static RootCommand Build(Func<string, string?> env)
    {
        var root = new RootCommand("XOS: S3-compatible media object storage (S3 API, STS, web console)");
        // The version with the commit it was built from, as the banner and the admin overview say it.
        foreach (var version in root.Options.OfType<VersionOption>().ToList())
            version.Action = new PrintVersion();
        root.Add(ServerCommand(env, out _));
        root.Add(AdminCli.Command(env));
        root.Add(BenchCli.Command(env));
        root.Add(CompletionCli.Command());
        RefuseOptionsAsArguments(root);
        return root;
    }

    /// <summary>
    /// An argument never takes a word that starts with '-': `xos admin user add --jsno` is a misspelt option, not a user
    /// named "--jsno".
    /// </summary>
    private static void RefuseOptionsAsArguments(Command command)
    {
        foreach (var argument in command.Arguments)
            argument.Validators.Add(result =>
            {
                foreach (var token in result.Tokens.Where(t => t.Value.Length > 1 && t.Value.StartsWith('-')))
                {
                    var name = token.Value.Split('=', 2)[0];
                    result.AddError($"unknown option '{name}'{CommandLineErrors.Suggestion(name, CommandLineErrors.OptionNames(command))}");
                    return;
                }
            });
        foreach (var sub in command.Subcommands) RefuseOptionsAsArguments(sub);
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"xos {BuildInfo.Describe}");
            return 0;
        }
    }

    private static Command ServerCommand(Func<string, string?> env, out Func<ParseResult, ServerOptions> bind)
    {
        var command = new Command("server", "Run the S3 server (settings below; every flag also reads from its environment variable)");
        var options = ServerSettings.AddTo(command, ServerSettings.All);
        Func<ParseResult, ServerOptions> binder = result => ServerSettings.Bind(result, options, ServerSettings.All, env);
        bind = binder;
        command.SetAction(result => ServerStart.RunAsync(binder(result)));
        return command;
    }

    /// <summary>The options of `xos server ARGS` with <paramref name="env"/> behind the flags, as the server would start with them.</summary>
    public static ServerOptions ParseServer(string[] args, Func<string, string?> env)
    {
        var command = ServerCommand(env, out var bind);
        var root = new RootCommand { command };
        var result = root.Parse(["server", .. args]);
        if (result.Errors.Count > 0) throw new ArgumentException(CommandLineErrors.Describe(result));
        try
        {
            return bind(result);
        }
        catch (CommandLineException e)
        {
            throw new ArgumentException(e.Message);
        }
    }
}
