package checks

import "github.com/aep-cmk/cmkcheck/internal/keystate"

func init() {
	register(metadataCheck("CMK-CFG-2", "The key encrypts and decrypts", Required, "KeyUsage", "ENCRYPT_DECRYPT",
		func(k *keystate.KeyMetadata) string { return k.KeyUsage }))
}
