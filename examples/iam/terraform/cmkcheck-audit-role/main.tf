# The role cmkcheck assumes in each account of a fleet audit
# (--role-arn-template 'arn:aws:iam::{account}:role/CmkAudit'): read-only,
# the calls of examples/iam/audit-fleet.json, for the account the module is
# applied in. The same role as ../../cloudformation/cmkcheck-audit-role.yaml.
# Plain HCL: terraform is not run on it in this repository's tests (the
# policy template is; see ../../README.md).

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_iam_role" "audit" {
  name                 = var.role_name
  description          = "Read-only audit of KMS customer managed keys by cmkcheck"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.audit_principal_arn }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "audit" {
  name = "cmkcheck-audit"
  role = aws_iam_role.audit.id
  policy = templatefile("${path.module}/audit-policy.json.tftpl", {
    partition  = data.aws_partition.current.partition
    account_id = data.aws_caller_identity.current.account_id
    role_name  = var.role_name
  })
}
