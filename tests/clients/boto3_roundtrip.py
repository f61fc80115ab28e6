"""boto3 against xos, path-style: bucket, put/get, ranged get, copy, listing with delimiter, multipart, batch delete."""
import hashlib
import os
import sys

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=os.environ["XOS_ROOT_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["XOS_ROOT_SECRET_KEY"],
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
bucket = "cli-boto3"
s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="媒体/hello.txt", Body=b"hello world", ContentType="text/plain", Metadata={"k": "v"})
got = s3.get_object(Bucket=bucket, Key="媒体/hello.txt")
assert got["Body"].read() == b"hello world" and got["ContentType"] == "text/plain" and got["Metadata"] == {"k": "v"}
assert s3.get_object(Bucket=bucket, Key="媒体/hello.txt", Range="bytes=6-")["Body"].read() == b"world"
s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "媒体/hello.txt"})
listing = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
assert [c["Prefix"] for c in listing["CommonPrefixes"]] == ["媒体/"], listing
assert [c["Key"] for c in listing["Contents"]] == ["copy.txt"], listing
parts = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
upload = s3.create_multipart_upload(Bucket=bucket, Key="mp.bin")
etags = [s3.upload_part(Bucket=bucket, Key="mp.bin", UploadId=upload["UploadId"], PartNumber=i + 1, Body=p)["ETag"] for i, p in enumerate(parts)]
done = s3.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=upload["UploadId"],
                                    MultipartUpload={"Parts": [{"ETag": e, "PartNumber": i + 1} for i, e in enumerate(etags)]})
expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-2"
assert done["ETag"] == f'"{expected}"', done
assert s3.get_object(Bucket=bucket, Key="mp.bin")["Body"].read() == b"".join(parts)
# boto3 sends "Expect: 100-continue": a refused PUT must not desynchronise the connection for the next request.
for _ in range(3):
    try:
        s3.put_object(Bucket=bucket, Key="refused", Body=b"x", ServerSideEncryption="AES128")
        raise AssertionError("an unknown encryption should be refused")
    except s3.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidArgument", e.response
    s3.put_object(Bucket=bucket, Key="after-refusal", Body=b"y")
s3.delete_object(Bucket=bucket, Key="after-refusal")
deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ["媒体/hello.txt", "copy.txt", "mp.bin"]]})
assert len(deleted["Deleted"]) == 3
s3.delete_bucket(Bucket=bucket)
print("boto3 ok")
