package checks

// A key made through the guide's console steps is symmetric, and a policy
// edit is always the same console step, so those texts are shared.
const (
	newKeyConsole = "Create a new key as the guide says (KMS > Create a key: Symmetric, Encrypt and decrypt, " +
		"Advanced options: KMS key material, Single-Region key) and give the new key's ARN to the platform; " +
		"an existing key's type, usage, origin and regionality cannot be changed."
	newKeyCLI = "aws kms create-key --region <region> --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT " +
		"--origin AWS_KMS --no-multi-region --description \"Adobe Experience Platform CMK\" " +
		"--tags TagKey=Adobe,TagValue=Experience-Platform"
	editPolicyConsole = "KMS > Customer managed keys > the key > Key policy > Edit: "
	policyCLI         = "aws kms get-key-policy --key-id <key-id> --policy-name default --query Policy --output text > policy.json\n" +
		"# edit policy.json as the console step says, then:\n" +
		"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy.json"
)
