using System.Text.Json.Serialization;

namespace Xos.Server.Storage;

[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class StorageJson : JsonSerializerContext;
