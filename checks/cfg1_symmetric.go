package checks

import "github.com/aep-cmk/cmkcheck/keystate"

func init() {
	register(metadataCheck("CMK-CFG-1", "The key is symmetric", Required, "KeySpec", "SYMMETRIC_DEFAULT",
		func(k *keystate.KeyMetadata) string { return k.KeySpec }))
}
