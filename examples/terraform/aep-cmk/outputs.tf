output "key_arn" {
  description = "The ARN to enter in the platform's Encryption Configuration."
  value       = aws_kms_key.aep.arn
}

output "key_id" {
  value = aws_kms_key.aep.key_id
}

output "alias_name" {
  value = aws_kms_alias.aep.name
}
