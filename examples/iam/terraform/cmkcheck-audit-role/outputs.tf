output "role_arn" {
  description = "The role to name in --role-arn-template (with {account} for the account ID)."
  value       = aws_iam_role.audit.arn
}
