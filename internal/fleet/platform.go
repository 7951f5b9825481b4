package fleet

import (
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// Platform says whether a key carries the platform's statements.
type Platform string

const (
	PlatformYes     Platform = "yes"
	PlatformNo      Platform = "no"
	PlatformUnknown Platform = "unknown" // the evidence could not tell: kept and counted as the platform's
)

// PlatformOf decides whether a key is one of the platform's keys: the
// profile names Adobe principals and at least one Adobe account is allowed
// every platform action, as the access model answers it (checks.PlatformKey,
// the grant side of CMK-AEP-1). Evidence that cannot tell (an unreadable
// policy or grants) is PlatformUnknown: such a key is kept by
// --platform-keys-only and counts for the exit status, so a key is never
// dropped because its evidence was missing.
func PlatformOf(s *keystate.State, p profile.Valid) Platform {
	platform, ok := checks.PlatformKey(s, p)
	switch {
	case !ok:
		return PlatformUnknown
	case platform:
		return PlatformYes
	}
	return PlatformNo
}
