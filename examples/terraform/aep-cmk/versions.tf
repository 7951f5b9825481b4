terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # rotation_period_in_days arrived in 5.43.0.
      version = ">= 5.43.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region
}
