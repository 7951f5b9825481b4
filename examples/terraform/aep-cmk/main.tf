# A customer managed KMS key for Adobe Experience Platform, as Adobe's guide
# "Configure AWS KMS for Customer Managed Keys" asks for it: symmetric,
# encrypt/decrypt, KMS key material, single-Region, rotated, with an alias,
# a description and tags, chosen administrators and users, and the platform's
# statements added to the key policy (not replacing it).
#
# Check the plan before you apply it:
#   terraform plan -out=tfplan && terraform show -json tfplan > plan.json
#   cmkcheck evaluate --terraform-plan plan.json --profile PROFILE

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition

  admin_actions = concat(
    ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:RotateKeyOnDemand"],
    var.allow_key_deletion ? ["kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"] : [],
  )
  platform_actions = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]

  # The console's default policy first: the account's root keeps the key
  # manageable whatever the statements after it become.
  console_statements = [
    {
      Sid       = "Enable IAM User Permissions"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
      Action    = "kms:*"
      Resource  = "*"
    },
    {
      Sid       = "Allow access for Key Administrators"
      Effect    = "Allow"
      Principal = { AWS = var.key_administrators }
      Action    = local.admin_actions
      Resource  = "*"
    },
    {
      Sid       = "Allow use of the key"
      Effect    = "Allow"
      Principal = { AWS = var.key_users }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      Resource  = "*"
    },
    {
      Sid       = "Allow attachment of persistent resources"
      Effect    = "Allow"
      Principal = { AWS = var.key_users }
      Action    = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      Resource  = "*"
      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    },
  ]

  # The platform's statements, added as its Encryption Configuration shows
  # them: one per Adobe account, pinned to that account.
  adobe_accounts = concat(
    [var.adobe_account_id],
    var.include_customer_journey_analytics ? ["767397686373", "730335345392", "891377157113"] : [],
  )
  platform_statements = [
    for i, account in local.adobe_accounts : {
      Sid       = i == 0 ? "Allow Adobe Experience Platform" : "Allow CJA access ${i}"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${account}:root" }
      Action    = local.platform_actions
      Resource  = "*"
      Condition = { StringEquals = { "aws:PrincipalAccount" = account } }
    }
  ]

  statements = concat(local.console_statements, local.platform_statements)
}

resource "aws_kms_key" "aep" {
  description              = "Adobe Experience Platform customer managed key"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  key_usage                = "ENCRYPT_DECRYPT"
  multi_region             = false
  is_enabled               = true
  enable_key_rotation      = true
  rotation_period_in_days  = 365
  deletion_window_in_days  = 30

  policy = jsonencode({
    Version   = "2012-10-17"
    Id        = "key-consolepolicy-3"
    Statement = local.statements
  })

  tags = var.tags

  # Destroying the key makes the platform's data unreadable: do it on
  # purpose, not as a side effect of a plan.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "aep" {
  name          = var.alias_name
  target_key_id = aws_kms_key.aep.key_id
}
