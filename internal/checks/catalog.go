// Package checks is the requirement catalog of REQUIREMENTS.md and the pure
// evaluators that judge a key's state against it. No AWS client is used here.
//
// Each requirement lives in one file of its own (adm2_deletion.go, ...):
// its metadata and its evaluator, registered together from that file's
// init, with its table test beside it. The catalog is what was registered.
package checks

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// Check is one requirement: its fixed metadata and its evaluator.
type Check struct {
	ID          string
	Title       string
	Severity    Severity // the base severity; a profile may raise it to required
	Section     string   // the guide's anchor
	Expected    string
	Remediation Remediation
	// Needs lists the snapshot members the check is judged on: each one's
	// raw answer is its evidence, and a missing one makes it ERROR.
	Needs []string
	// Uses lists the optional members (facts of a live run) the check reads:
	// each one present is evidence, and one that cannot be read makes it
	// ERROR. The evaluator says what their absence means (offline: SKIP).
	Uses []string
	// Pointers name, per member, the values within it the check reads, so
	// a result's evidence can point at them (EvidenceRef). A pointer that
	// resolves to nothing in a given answer is left out of that result.
	Pointers map[string][]string
	eval     func(*env) outcome
	// requiredIf says when the profile raises a recommended check to
	// required. It is applied whether or not the evidence could be had, so
	// a required check without evidence is a required ERROR.
	requiredIf func(*profile.Profile) bool
}

// Member names, short for the registrations.
const (
	dk  = keystate.DescribeKey
	pol = keystate.GetKeyPolicy
	rot = keystate.GetKeyRotationStatus
	tag = keystate.ListResourceTags
	als = keystate.ListAliases
	grt = keystate.ListGrants
)

// families is the order of REQUIREMENTS.md's table, family by family;
// within a family the checks go by number. It is the one place the order
// of the catalog is defined.
var families = []string{"AVL", "ACC", "PRM", "REG", "CFG", "LBL", "ADM", "USR", "GRT", "AEP", "OPS", "DRF", "MON"}

var idRE = regexp.MustCompile(`^CMK-([A-Z]{3})-([1-9][0-9]*)$`)

// rank places an ID in the catalog's order.
func rank(id string) (family, number int, err error) {
	m := idRE.FindStringSubmatch(id)
	if m == nil {
		return 0, 0, fmt.Errorf("check ID %q is not CMK-<FAMILY>-<number>", id)
	}
	family = slices.Index(families, m[1])
	if family < 0 {
		return 0, 0, fmt.Errorf("check ID %q: family %s is not in the catalog's order %v", id, m[1], families)
	}
	number, err = strconv.Atoi(m[2])
	if err != nil {
		return 0, 0, fmt.Errorf("check ID %q: %w", id, err)
	}
	return family, number, nil
}

// less orders two IDs that rank accepted.
func less(a, b string) bool {
	fa, na, _ := rank(a)
	fb, nb, _ := rank(b)
	return fa < fb || (fa == fb && na < nb)
}

// registry holds the registered checks in catalog order.
var registry []Check

// register adds a check to the catalog. It runs from each check file's
// init, so a malformed registration stops the program before any key is
// judged, naming the check.
func register(c Check) {
	if _, _, err := rank(c.ID); err != nil {
		panic("checks: " + err.Error())
	}
	if c.eval == nil || c.Title == "" || c.Section == "" || c.Expected == "" || c.Severity == "" {
		panic("checks: " + c.ID + " is registered without its evaluator, title, section, expected text or severity")
	}
	i, found := slices.BinarySearchFunc(registry, c.ID, func(x Check, id string) int {
		if x.ID == id {
			return 0
		}
		if less(x.ID, id) {
			return -1
		}
		return 1
	})
	if found {
		panic("checks: " + c.ID + " is registered twice")
	}
	registry = slices.Insert(registry, i, c)
}

// Catalog returns the checks in the order of REQUIREMENTS.md. The slice is
// the caller's own.
func Catalog() []Check { return slices.Clone(registry) }
