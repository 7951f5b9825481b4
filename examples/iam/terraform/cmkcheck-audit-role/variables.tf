variable "audit_principal_arn" {
  description = "The IAM role or user that runs cmkcheck, in the auditing account; only it may assume the role."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", var.audit_principal_arn))
    error_message = "audit_principal_arn must be an IAM role or user ARN."
  }
}

variable "role_name" {
  description = "The role's name, as --role-arn-template names it."
  type        = string
  default     = "CmkAudit"
}
