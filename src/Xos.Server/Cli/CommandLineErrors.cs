using System.CommandLine;
using System.CommandLine.Parsing;

namespace Xos.Server.Cli;

/// <summary>A value that the command line or the environment gives and that cannot be used: exit code 2, before anything starts.</summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>
/// Turns what the parser could not use into one line: the first unknown option, command or argument, named, with the nearest
/// valid spelling when there is one (<c>unknown option '--adress'; did you mean '--address'?</c>), or the parser's own error.
/// </summary>
public static class CommandLineErrors
{
    public static string Describe(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var path = CommandPath(command);
        // A word that looks like an option but was taken for an argument (or left over) is a misspelt option.
        var stray = result.Tokens.FirstOrDefault(t => t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value.StartsWith('-'))?.Value;
        if (stray is not null || result.UnmatchedTokens.Count > 0)
        {
            var token = stray ?? result.UnmatchedTokens[0];
            string message;
            if (token.StartsWith('-'))
            {
                var name = token.Split('=', 2)[0];
                message = $"unknown option '{name}'{Suggestion(name, OptionNames(command))}";
            }
            else if (command.Subcommands.Count > 0)
            {
                message = $"unknown command '{token}'{Suggestion(token, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)))}";
            }
            else
            {
                message = $"unexpected argument '{token}'";
            }
            return $"{path}: {message} (see '{path} --help')";
        }
        // A misspelt option taken for an argument says so before what its absence caused (a required option missing).
        var error = result.Errors.FirstOrDefault(e => e.Message.StartsWith("unknown option", StringComparison.Ordinal)) ?? result.Errors[0];
        var at = error.SymbolResult is OptionResult option ? $"{option.Option.Name}: " : "";
        var text = error.Message.TrimEnd('.');
        return $"{path}: {at}{char.ToLowerInvariant(text[0])}{text[1..]} (see '{path} --help')";
    }

    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            names.Insert(0, c is RootCommand ? "xos" : c.Name);
        return string.Join(' ', names);
    }

    /// <summary>Every spelling of every option the command takes, its parents' recursive ones included.</summary>
    public static IEnumerable<string> OptionNames(Command command)
    {
        foreach (var o in command.Options.Where(o => !o.Hidden)) foreach (var n in o.Aliases.Prepend(o.Name)) yield return n;
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var o in parent.Options.Where(o => o.Recursive && !o.Hidden)) foreach (var n in o.Aliases.Prepend(o.Name)) yield return n;
    }

    /// <summary>"; did you mean 'X'?" for the nearest candidate that is a plausible typo of <paramref name="typed"/>, else nothing.</summary>
    public static string Suggestion(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Distinct())
        {
            var d = Distance(typed.TrimStart('-'), candidate.TrimStart('-'));
            // A prefix of a longer name (--metrics for --metrics-address) is as good as one edit.
            if (candidate.StartsWith(typed, StringComparison.Ordinal) && typed.TrimStart('-').Length >= 3) d = Math.Min(d, 1);
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        var allowed = Math.Max(1, Math.Min(3, typed.TrimStart('-').Length / 3));
        return best is not null && bestDistance <= allowed ? $"; did you mean '{best}'?" : "";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost one.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
