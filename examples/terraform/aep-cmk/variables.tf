variable "region" {
  description = "The region of your Experience Platform instance: the key is made there."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must be a region name, like us-east-1."
  }
}

variable "key_administrators" {
  description = "IAM role or user ARNs that administer the key (the console's \"Key administrators\" step)."
  type        = list(string)

  validation {
    condition     = length(var.key_administrators) > 0
    error_message = "Name at least one key administrator."
  }
}

variable "allow_key_deletion" {
  description = "Whether the administrators may schedule the key's deletion (the console's \"Key deletion\" box)."
  type        = bool
  default     = false
}

variable "key_users" {
  description = "IAM role or user ARNs that use the key (the console's \"Key users\" step)."
  type        = list(string)

  validation {
    condition     = length(var.key_users) > 0
    error_message = "Name at least one key user."
  }
}

variable "adobe_account_id" {
  description = "The Adobe account in the key policy your platform's Encryption Configuration shows."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.adobe_account_id))
    error_message = "The Adobe account is a 12-digit account ID."
  }
}

variable "include_customer_journey_analytics" {
  description = "Whether to add the guide's three Customer Journey Analytics statements."
  type        = bool
  default     = true
}

variable "alias_name" {
  description = "A descriptive alias for the key."
  type        = string
  default     = "alias/Adobe-Experience-Platform-Key"
}

variable "tags" {
  description = "Tags of the key."
  type        = map(string)
  default     = { Adobe = "Experience-Platform" }
}
