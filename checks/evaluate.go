package checks

import (
	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/profile"
)

// Evaluate judges a key's state against a profile: one result per
// requirement, in catalog order. It does no I/O.
func Evaluate(s *keystate.State, p *profile.Profile) []Result {
	panic("not yet written")
}
