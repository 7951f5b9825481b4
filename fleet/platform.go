package fleet

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/profile"
)

// Platform says whether a key carries the platform's statements.
type Platform string

const (
	PlatformYes     Platform = "yes"
	PlatformNo      Platform = "no"
	PlatformUnknown Platform = "unknown" // the evidence could not tell: kept and counted as the platform's
)

// aep1 is the check that asks whether the Adobe accounts are granted the
// platform's actions.
const aep1 = "CMK-AEP-1"

// fullyGranted begins CMK-AEP-1's observation of the Adobe accounts that
// hold every one of the platform's actions ("none" when no account does).
const fullyGranted = "Adobe accounts fully granted: "

// PlatformOf decides from a key's evaluated results whether it is one of
// the platform's keys: the profile names Adobe principals, CMK-AEP-1 was
// judged (not SKIP), and at least one Adobe account is fully granted. An
// ERROR, or an observation this function cannot read, is PlatformUnknown:
// such a key is kept by --platform-keys-only and counts for the exit
// status, so a key is never dropped because its evidence was missing.
//
// This reads the access model's answer through CMK-AEP-1's wording because
// the access model (policy/) is being rewritten; the question "is this
// Adobe account allowed the platform's actions on this key?" will move
// there, and this function with it. TestPlatformOf pins the wording.
func PlatformOf(results []checks.Result, p profile.Valid) Platform {
	if len(p.Profile().AdobeAccounts()) == 0 {
		return PlatformNo
	}
	for _, r := range results {
		if r.ID != aep1 {
			continue
		}
		switch r.Status {
		case checks.Skip:
			return PlatformNo
		case checks.Pass:
			return PlatformYes
		case checks.Fail, checks.Warn:
			granted, ok := strings.CutPrefix(r.Observed, fullyGranted)
			if !ok {
				return PlatformUnknown
			}
			granted, _, _ = strings.Cut(granted, ";")
			if strings.TrimSpace(granted) == "none" || strings.TrimSpace(granted) == "" {
				return PlatformNo
			}
			return PlatformYes
		}
		return PlatformUnknown
	}
	return PlatformUnknown
}
