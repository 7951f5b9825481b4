package checks

import "github.com/aep-cmk/cmkcheck/internal/keystate"

func init() {
	c := metadataCheck("CMK-CFG-1", "The key is symmetric", Required, "KeySpec", symmetric,
		func(k *keystate.KeyMetadata) string { return k.KeySpec })
	c.eval = evalKeySpec
	c.Pointers = map[string][]string{dk: {"/KeyMetadata/KeySpec", "/KeyMetadata/CustomerMasterKeySpec"}}
	register(c)
}

const symmetric = "SYMMETRIC_DEFAULT"

// evalKeySpec falls back to the legacy CustomerMasterKeySpec, which older
// CLI output has alone and which the KMS API reference documents as the
// same value (DescribeKey, KeyMetadata: "CustomerMasterKeySpec ... has been
// deprecated ... use KeySpec").
func evalKeySpec(e *env) outcome {
	k := e.key
	switch {
	case k.KeySpec != "" && k.CustomerMasterKeySpec != "" && k.KeySpec != k.CustomerMasterKeySpec:
		return errored("DescribeKey contradicts itself: KeySpec is " + k.KeySpec + " but CustomerMasterKeySpec is " + k.CustomerMasterKeySpec)
	case k.KeySpec != "":
		return judge(k.KeySpec == symmetric, "KeySpec is "+k.KeySpec)
	case k.CustomerMasterKeySpec != "":
		return judge(k.CustomerMasterKeySpec == symmetric,
			"KeySpec is not reported; the legacy CustomerMasterKeySpec, documented as the same value, is "+k.CustomerMasterKeySpec)
	}
	return errored("DescribeKey reported neither KeySpec nor the legacy CustomerMasterKeySpec")
}
