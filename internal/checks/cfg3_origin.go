package checks

import "github.com/aep-cmk/cmkcheck/internal/keystate"

func init() {
	register(metadataCheck("CMK-CFG-3", "KMS made the key material", Recommended, "Origin", "AWS_KMS",
		func(k *keystate.KeyMetadata) string { return k.Origin }))
}
