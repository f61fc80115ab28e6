using System.Security.Cryptography;
using Xos.Server.Hosting;
using Xos.Server.Protocol;
using Xos.Server.Storage;
using Xos.Server.Storage.Encryption;

namespace Xos.Server.Objects;

/// <summary>
/// SSE-C: the x-amz-server-side-encryption-customer-algorithm/-key/-key-MD5 headers (and their x-amz-copy-source-
/// forms for the source of a copy). The key seals the object's data key and is never stored.
/// </summary>
public static class CustomerKeys
{
    public const string Prefix = "x-amz-server-side-encryption-customer-";
    public const string CopySourcePrefix = "x-amz-copy-source-server-side-encryption-customer-";

    /// <summary>A customer key as a request supplied it: the 32 bytes and the base64 MD5 the client computed.</summary>
    public sealed record CustomerKey(byte[] Key, string Md5);

    /// <summary>The key the request supplies under <paramref name="prefix"/>, validated as S3 validates it; null when it supplies none.</summary>
    public static CustomerKey? FromRequest(S3Request req, ServerContext ctx, string prefix = Prefix, Func<string, string?>? fields = null)
    {
        var field = fields ?? req.Header;
        var algorithm = field(prefix + "algorithm");
        var keyText = field(prefix + "key");
        var md5Text = field(prefix + "key-MD5") ?? field(prefix + "key-md5");
        if (algorithm is null && keyText is null && md5Text is null) return null;
        if (algorithm is null)
            throw S3Errors.InvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                prefix + "algorithm", "");
        if (algorithm != "AES256")
            throw new S3Exception("InvalidEncryptionAlgorithmError", 400, "The encryption request you specified is not valid. The valid value is AES256.",
                ("ArgumentName", prefix + "algorithm"), ("ArgumentValue", algorithm));
        if (keyText is null)
            throw S3Errors.InvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
                prefix + "key", "");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(keyText.Trim());
        }
        catch (FormatException)
        {
            throw InvalidKey(prefix);
        }
        if (key.Length != 32) throw InvalidKey(prefix);
        var md5 = Convert.ToBase64String(MD5.HashData(key));
        if (md5Text is null)
            throw S3Errors.InvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
                prefix + "key-MD5", "");
        if (md5Text.Trim() != md5)
            throw S3Errors.InvalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.", prefix + "key-MD5", md5Text);
        if (!req.Http.Request.IsHttps && !ctx.Options.AllowInsecureSseC)
            throw S3Errors.InvalidRequest("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.");
        return new CustomerKey(key, md5);
    }

    private static S3Exception InvalidKey(string prefix) =>
        S3Errors.InvalidArgument("The secret key was invalid for the specified algorithm.", prefix + "key", "");

    /// <summary>
    /// The encryption of a stored object (or upload) ready for use: for SSE-C objects the request must supply the key
    /// they were written with; a key supplied for an object that has none is refused, as S3 refuses it.
    /// </summary>
    public static EncryptionInfo? Unlock(string? encryptionJson, CustomerKey? supplied)
    {
        var info = EncryptionInfo.FromJson(encryptionJson);
        if (info is not { IsCustomerKey: true })
        {
            if (supplied is not null)
                throw S3Errors.InvalidRequest("The encryption parameters are not applicable to this object.");
            return info;
        }
        if (supplied is null)
            throw S3Errors.InvalidRequest("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");
        if (!info.IsCustomerKeyFor(supplied.Key))
            throw new S3Exception("InvalidArgument", 400, "The provided encryption parameters did not match the ones used originally.");
        return info with { UnwrappingKey = supplied.Key };
    }

    public static void WriteHeaders(S3Request req, CustomerKey key)
    {
        req.Http.Response.Headers[Prefix + "algorithm"] = "AES256";
        req.Http.Response.Headers[Prefix + "key-MD5"] = key.Md5;
    }
}
