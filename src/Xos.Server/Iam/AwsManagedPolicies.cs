namespace Xos.Server.Iam;

/// <summary>A policy AWS manages, built into XOS under its AWS ARN so that templates written for AWS attach it unchanged.</summary>
public sealed record AwsManagedPolicy(string Arn, string Name, string Id, string Description, string Document);

/// <summary>The AWS managed policies XOS knows: the S3 and IAM ones whose meaning XOS can honour.</summary>
public static class AwsManagedPolicies
{
    public const string ArnPrefix = "arn:aws:iam::aws:policy/";

    public static readonly IReadOnlyList<AwsManagedPolicy> All =
    [
        new(ArnPrefix + "AmazonS3FullAccess", "AmazonS3FullAccess", "ANPAIFIR6V6BVTRAHWINE", "Provides full access to all buckets via the AWS Management Console.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"""),
        new(ArnPrefix + "AmazonS3ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "ANPAIZTJ4DXE7G6AGAE6M", "Provides read only access to all buckets via the AWS Management Console.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"""),
        new(ArnPrefix + "IAMFullAccess", "IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ", "Provides full access to IAM via the AWS Management Console.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"""),
        new(ArnPrefix + "IAMReadOnlyAccess", "IAMReadOnlyAccess", "ANPAJKSO7NDY4T57MWDSQ", "Provides read only access to IAM via the AWS Management Console.",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"""),
    ];

    public static AwsManagedPolicy? Find(string arn) => All.FirstOrDefault(p => p.Arn == arn);
}
