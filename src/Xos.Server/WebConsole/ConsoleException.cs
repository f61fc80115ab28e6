namespace Xos.Server.WebConsole;

/// <summary>A refused console API request: the JSON error's code and message, and its HTTP status.</summary>
public sealed class ConsoleException(string code, string message, int status) : Exception(message)
{
    public string Code { get; } = code;
    public int Status { get; } = status;
}
