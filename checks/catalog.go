// Package checks is the requirement catalog of REQUIREMENTS.md and the pure
// evaluators that judge a key's state against it. No AWS client is used here.
package checks

import "github.com/aep-cmk/cmkcheck/profile"

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
	eval  func(*env) outcome
	// requiredIf says when the profile raises a recommended check to
	// required. It is applied whether or not the evidence could be had, so
	// a required check without evidence is a required ERROR.
	requiredIf func(*profile.Profile) bool
}

// Catalog returns the checks in the order of REQUIREMENTS.md.
func Catalog() []Check { return catalog }
