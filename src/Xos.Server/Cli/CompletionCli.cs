using System.CommandLine;

namespace Xos.Server.Cli;

/// <summary>
/// `xos completion bash|zsh`: a script that completes xos's commands and options in the shell. It asks xos itself, through
/// System.CommandLine's suggest directive (<c>xos "[suggest:POSITION]" "COMMAND LINE"</c>), so it always knows every command
/// and option of the executable it calls.
/// </summary>
public static class CompletionCli
{
    public static Command Command()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: eval \"$(xos completion bash)\", or save it as /etc/bash_completion.d/xos") { shell };
        command.SetAction(r =>
        {
            Console.Write(Script(r.GetValue(shell)!));
            return 0;
        });
        return command;
    }

    public static string Script(string shell)
    {
        const string bash = """
            # xos completion for bash (xos completion bash); it asks xos for the candidates at the cursor.
            _xos_complete() {
              local IFS=$'\n'
              local candidates
              candidates=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
              COMPREPLY=($(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _xos_complete xos

            """;
        return shell == "zsh" ? "# xos completion for zsh (xos completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n" + bash : bash;
    }
}
