package checks

import "github.com/aep-cmk/cmkcheck/internal/keystate"

func init() {
	register(metadataCheck("CMK-CFG-4", "The key is a customer managed key", Required, "KeyManager", "CUSTOMER",
		func(k *keystate.KeyMetadata) string { return k.KeyManager }))
}
