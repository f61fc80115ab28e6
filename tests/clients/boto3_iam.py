"""boto3's iam client against xos: a user with a key that reads only media/public/*, groups, managed policies, roles."""
import json
import os
import sys
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
root = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=os.environ["XOS_ROOT_ACCESS_KEY"],
            aws_secret_access_key=os.environ["XOS_ROOT_SECRET_KEY"], config=cfg)
iam, s3 = boto3.client("iam", **root), boto3.client("s3", **root)
tag = uuid.uuid4().hex[:8]
bucket = f"media-{tag}"
s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="public/a.txt", Body=b"public")
s3.put_object(Bucket=bucket, Key="private/b.txt", Body=b"private")

assert iam.get_user()["User"]["Arn"].endswith(":root")
user = iam.create_user(UserName=f"app-{tag}", Path="/apps/")["User"]
assert user["Arn"].endswith(f":user/apps/app-{tag}"), user
key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/public/*"}]}
iam.put_user_policy(UserName=user["UserName"], PolicyName="read-public", PolicyDocument=json.dumps(doc))
assert iam.get_user_policy(UserName=user["UserName"], PolicyName="read-public")["PolicyDocument"] == doc
assert iam.list_user_policies(UserName=user["UserName"])["PolicyNames"] == ["read-public"]

as_user = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
               aws_secret_access_key=key["SecretAccessKey"], config=cfg)
us3, uiam, usts = boto3.client("s3", **as_user), boto3.client("iam", **as_user), boto3.client("sts", **as_user)


def refused(call, code):
    try:
        call()
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        return
    raise AssertionError("not refused")


assert us3.get_object(Bucket=bucket, Key="public/a.txt")["Body"].read() == b"public"
refused(lambda: us3.get_object(Bucket=bucket, Key="private/b.txt"), "AccessDenied")
refused(lambda: uiam.list_users(), "AccessDenied")
assert usts.get_caller_identity()["Arn"] == user["Arn"]

refused(lambda: iam.delete_user(UserName=user["UserName"]), "DeleteConflict")
refused(lambda: iam.create_user(UserName=user["UserName"].upper()), "EntityAlreadyExists")
refused(lambda: iam.get_user(UserName=f"nobody-{tag}"), "NoSuchEntity")
refused(lambda: iam.put_user_policy(UserName=user["UserName"], PolicyName="bad", PolicyDocument='{"Statement": 1}'), "MalformedPolicyDocument")

group = iam.create_group(GroupName=f"readers-{tag}")["Group"]
iam.add_user_to_group(GroupName=group["GroupName"], UserName=user["UserName"])
iam.attach_group_policy(GroupName=group["GroupName"], PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
assert us3.get_object(Bucket=bucket, Key="private/b.txt")["Body"].read() == b"private"
assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user["UserName"])["Groups"]] == [group["GroupName"]]

policy = iam.create_policy(PolicyName=f"deny-private-{tag}", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/private/*"}]}))["Policy"]
iam.attach_user_policy(UserName=user["UserName"], PolicyArn=policy["Arn"])
refused(lambda: us3.get_object(Bucket=bucket, Key="private/b.txt"), "AccessDenied")
assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 1

trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName=f"reader-{tag}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
creds = usts.assume_role(RoleArn=role["Arn"], RoleSessionName="session")["Credentials"]
rs3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                   aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"], config=cfg)
rs3.put_object(Bucket=bucket, Key="from-role", Body=b"r")

# Clean up in IAM's order: what depends on an entity first.
iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
iam.delete_role(RoleName=role["RoleName"])
iam.detach_user_policy(UserName=user["UserName"], PolicyArn=policy["Arn"])
iam.delete_policy(PolicyArn=policy["Arn"])
iam.remove_user_from_group(GroupName=group["GroupName"], UserName=user["UserName"])
iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
iam.delete_group(GroupName=group["GroupName"])
iam.delete_user_policy(UserName=user["UserName"], PolicyName="read-public")
iam.delete_access_key(UserName=user["UserName"], AccessKeyId=key["AccessKeyId"])
iam.delete_user(UserName=user["UserName"])
print("boto3", boto3.__version__, "iam ok")
