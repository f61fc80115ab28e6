using System.CommandLine;
using Xos.Server.Cli;
using Xos.Server.Hosting;

namespace Xos.Tests.Unit;

/// <summary>The one parser of every `xos` command: nothing typed is ignored, and what is refused is named with its nearest valid spelling.</summary>
public sealed class CommandLineTests
{
    private static readonly RootCommand Root = XosCommandLine.Build(_ => null);

    private static IEnumerable<Command> AllCommands(Command command)
    {
        yield return command;
        foreach (var sub in command.Subcommands) foreach (var c in AllCommands(sub)) yield return c;
    }

    private static string[] PathOf(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c and not RootCommand; s = c.Parents.FirstOrDefault()) names.Insert(0, c.Name);
        return [.. names];
    }

    /// <summary>A typo a person makes: two neighbouring letters swapped (the first pair that changes the word).</summary>
    private static string Swap(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 2; i + 1 < chars.Length; i++)
            if (chars[i] != chars[i + 1] && char.IsLetter(chars[i]) && char.IsLetter(chars[i + 1]))
            {
                (chars[i], chars[i + 1]) = (chars[i + 1], chars[i]);
                return new string(chars);
            }
        return name + "x";
    }

    [Fact]
    public void EveryOptionOfEveryCommandMisspeltIsRefusedWithTheRightSuggestion()
    {
        var checkedOptions = 0;
        foreach (var command in AllCommands(Root))
        {
            var path = PathOf(command);
            var options = command.Options.Where(o => o is not System.CommandLine.Help.HelpOption and not VersionOption).ToList();
            for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
                options.AddRange(parent.Options.Where(o => o.Recursive && o is not System.CommandLine.Help.HelpOption));
            foreach (var option in options)
            {
                var typo = Swap(option.Name);
                var result = Root.Parse([.. path, typo]);
                Assert.True(result.Errors.Count > 0, $"{string.Join(' ', path)} {typo} was accepted");
                var line = CommandLineErrors.Describe(result);
                Assert.Contains($"unknown option '{typo}'; did you mean '{option.Name}'?", line);
                Assert.DoesNotContain('\n', line);
                checkedOptions++;
            }
            // Any unknown option at all, with no near spelling, is refused too.
            var bogus = Root.Parse([.. path, "--zzzzzzzzzz"]);
            Assert.Contains("unknown option '--zzzzzzzzzz'", CommandLineErrors.Describe(bogus));
        }
        Assert.True(checkedOptions > 60, $"only {checkedOptions} options were tried");
    }

    [Fact]
    public void EveryMisspeltSubcommandIsRefusedWithTheRightSuggestion()
    {
        foreach (var command in AllCommands(Root).Where(c => c.Subcommands.Count > 0))
            foreach (var sub in command.Subcommands.Where(s => s.Name.Length > 3))
            {
                var typo = Swap(sub.Name);
                var line = CommandLineErrors.Describe(Root.Parse([.. PathOf(command), typo]));
                Assert.Contains($"unknown command '{typo}'; did you mean '{sub.Name}'?", line);
            }
    }

    [Fact]
    public async Task EveryCommandHasHelp()
    {
        foreach (var command in AllCommands(Root))
        {
            var output = new StringWriter();
            var code = await Root.Parse([.. PathOf(command), "--help"]).InvokeAsync(new InvocationConfiguration { Output = output });
            Assert.Equal(0, code);
            Assert.Contains("Usage:", output.ToString());
            Assert.Contains(command.Description!.Split(':')[0], output.ToString());
            // Each option states its default once: a line with two would be a description repeating the parser's own.
            Assert.DoesNotContain(output.ToString().Split('\n'), line => line.Split("[default:").Length > 2);
        }
    }

    [Theory]
    [InlineData("--address 127.0.0.1:70000", "--address: has port 70000, out of range")]
    [InlineData("--address nowhere", "--address: must be HOST:PORT")]
    [InlineData("--min-free lots", "--min-free: must be a size such as 512m, a percentage such as 5%, or 0, not 'lots'")]
    [InlineData("--min-free 120%", "--min-free: must be a size such as 512m or a percentage such as 5%")]
    [InlineData("--cert /no/such/file.pfx", "--cert: no such file '/no/such/file.pfx'")]
    [InlineData("--metadata mysql://x/y", "--metadata: must be a postgres:// URL")]
    [InlineData("--domain bad_domain!", "--domain: must be a DNS name")]
    [InlineData("--data", "--data")]
    [InlineData("stray", "unexpected argument 'stray'")]
    public void BadServerValuesAreRefusedBeforeAnythingStarts(string args, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => ServerOptions.Parse(args.Split(' '), _ => null));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("XOS_ADDRESS", "127.0.0.1:0", "XOS_ADDRESS: has port 0")]
    [InlineData("XOS_MIN_FREE", "many", "XOS_MIN_FREE: must be a size")]
    [InlineData("XOS_DIRECT_WRITES", "perhaps", "XOS_DIRECT_WRITES: must be true or false")]
    [InlineData("XOS_LIFECYCLE_DAY_SECONDS", "0", "XOS_LIFECYCLE_DAY_SECONDS: must be a positive number of seconds")]
    [InlineData("XOS_MASTER_KEY", "c2hvcnQ=", "XOS_MASTER_KEY: must be base64 of 32 bytes")]
    [InlineData("XOS_LOG_FORMAT", "xml", "XOS_LOG_FORMAT: must be json or text")]
    public void BadEnvironmentValuesAreRefusedByName(string name, string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => ServerOptions.Parse([], n => n == name ? value : null));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void FlagsComeBeforeTheEnvironmentAndEveryShapeReads()
    {
        var env = new Dictionary<string, string>
        {
            ["XOS_ADDRESS"] = "127.0.0.1:9100", ["XOS_DOMAINS"] = "a.example, b.example", ["XOS_LOG_FORMAT"] = "json",
            ["XOS_DIRECT_WRITES"] = "0", ["XOS_LIFECYCLE_DAY_SECONDS"] = "60", ["XOS_REGION"] = "ctyun",
        };
        var fromEnv = ServerOptions.Parse([], env.GetValueOrDefault);
        Assert.Equal((9100, true, false, "ctyun"), (fromEnv.Address.Port, fromEnv.JsonLogs, fromEnv.DirectWrites, fromEnv.Region));
        Assert.Equal(["a.example", "b.example", "localhost"], fromEnv.Domains);
        Assert.Equal(TimeSpan.FromMinutes(1), fromEnv.LifecycleDay);

        var fromFlags = ServerOptions.Parse(["--address=127.0.0.1:9200", "--domain", "c.example", "--domain", "D.Example", "--region", "us-west-2"], env.GetValueOrDefault);
        Assert.Equal((9200, "us-west-2"), (fromFlags.Address.Port, fromFlags.Region));
        Assert.Equal(["c.example", "d.example", "localhost"], fromFlags.Domains);
        Assert.Equal(["localhost"], ServerOptions.Parse([], _ => null).Domains);
    }

    [Theory]
    [InlineData("--adress", "--address")]
    [InlineData("--date", "--data")]
    [InlineData("--metrics", "--metrics-address")]
    [InlineData("--json-log", "--json-logs")]
    [InlineData("--bogus", null)]
    public void SuggestionsAreNearSpellingsOnly(string typed, string? expected)
    {
        var suggestion = CommandLineErrors.Suggestion(typed, ServerSettings.All.Where(s => s.Flag is not null).Select(s => s.Flag!));
        Assert.Equal(expected is null ? "" : $"; did you mean '{expected}'?", suggestion);
    }

    [Fact]
    public void TheReadmeSettingsTableIsTheOneTheParserDefines()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "xos.slnx"))) dir = Path.GetDirectoryName(dir)!;
        var readme = File.ReadAllText(Path.Combine(dir, "README.md"));
        var table = ServerSettings.MarkdownTable();
        if (Environment.GetEnvironmentVariable("XOS_UPDATE_README") == "1")
        {
            // XOS_UPDATE_README=1 dotnet test --filter TheReadmeSettingsTable...: writes the parser's table into the README.
            var start = readme.IndexOf("| flag | environment | default | meaning |", StringComparison.Ordinal);
            var end = readme.IndexOf("\n\n", start, StringComparison.Ordinal);
            readme = readme[..start] + table + readme[(end + 1)..];
            File.WriteAllText(Path.Combine(dir, "README.md"), readme);
        }
        Assert.True(readme.Contains(table), "README.md's settings table differs from the parser's; replace it with:\n" + table);
        foreach (var s in ServerSettings.All.Where(s => s.Flag is not null))
            Assert.Contains(s.Flag!, Root.Subcommands.Single(c => c.Name == "server").Options.Select(o => o.Name));
    }
}
