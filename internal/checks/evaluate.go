package checks

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// outcome is what an evaluator decides. met=false becomes FAIL or WARN by
// severity; status, when set, overrides that (SKIP or ERROR).
type outcome struct {
	met      bool
	status   Status
	observed string
	expected string       // overrides the catalog's expected text when set
	evidence []string     // members judged on beyond Needs and Uses
	drift    *DriftReport // the drift check's, with a baseline
}

func pass(observed string) outcome   { return outcome{met: true, observed: observed} }
func notMet(observed string) outcome { return outcome{observed: observed} }
func skipped(reason string) outcome  { return outcome{status: Skip, observed: reason} }
func errored(reason string) outcome  { return outcome{status: Error, observed: reason} }
func judge(ok bool, observed string) outcome {
	if ok {
		return pass(observed)
	}
	return notMet(observed)
}

// env is what every evaluator may read: the state, the profile, and the
// access model built once.
type env struct {
	s       *keystate.State
	p       *profile.Profile // a copy of the validated profile
	aliasRE *regexp.Regexp   // its compiled alias_pattern
	key     *keystate.KeyMetadata
	// adobe is the profile's Adobe accounts, read once (clipped: appending
	// to it copies it).
	adobe  []string
	access *access
	// accessErr says why there is no access model ("" when there is one).
	accessErr string
	// decoded holds the members the checks' evidence pointers were resolved
	// in, each decoded once.
	decoded map[string]decodedMember
}

type decodedMember struct {
	v  any
	ok bool // valid JSON
}

func newEnv(s *keystate.State, p profile.Valid) *env {
	e := &env{s: s, p: p.Profile(), aliasRE: p.AliasRE(), key: s.Key, decoded: map[string]decodedMember{}}
	e.adobe = slices.Clip(e.p.AdobeAccounts())
	e.access, e.accessErr = newAccess(s, e)
	return e
}

// Evaluate judges a key's state against a profile: one result per
// requirement, in catalog order. It does no I/O. Only a validated profile
// is accepted; the zero profile.Valid is the default profile.
func Evaluate(s *keystate.State, p profile.Valid) []Result {
	results, _ := Judge(s, p)
	return results
}

// Judge is Evaluate with the access matrix, judged by the same model and
// the same decisions as the checks (a principal and action is asked once);
// the matrix is nil when the model cannot be built (the access checks say
// why).
func Judge(s *keystate.State, p profile.Valid) ([]Result, []AccessRow) {
	if s == nil {
		s = keystate.FromAnswers(nil)
	}
	e := newEnv(s, p)
	results := make([]Result, 0, len(registry))
	for _, c := range registry {
		results = append(results, c.run(e))
	}
	var matrix []AccessRow
	if e.access != nil {
		matrix = e.access.matrix(e)
	}
	return results, matrix
}

func (c Check) run(e *env) Result {
	r := Result{
		ID: c.ID, Title: c.Title, Severity: c.Severity, Section: c.Section,
		Expected: c.Expected, Remediation: c.remediationFor(e.key),
	}
	if c.requiredIf != nil && c.requiredIf(e.p) {
		r.Severity = Required
	}
	var missing []string
	members := append(slices.Clone(c.Needs), c.Uses...)
	for _, m := range members {
		if why := e.s.Problem(m); why != "" {
			missing = append(missing, why)
		} else if slices.Contains(c.Needs, m) && !e.s.Has(m) {
			missing = append(missing, m+" is missing") // a state not made by decoding
		}
	}
	var o outcome
	if len(missing) > 0 {
		o = errored(strings.Join(missing, "; "))
	} else {
		o = c.eval(e)
	}
	if o.expected != "" {
		r.Expected = o.expected
	}
	r.Evidence = c.evidence(e, append(members, o.evidence...))
	r.Observed = o.observed
	r.Drift = o.drift
	if o.status != "" {
		r.Status = o.status
	} else if o.met {
		r.Status = Pass
	} else if r.Severity == Required {
		r.Status = Fail
	} else {
		r.Status = Warn
	}
	return r
}

// evidence names the members judged on that the state holds, sorted, each
// with the check's pointers that resolve in it, or whole.
func (c Check) evidence(e *env, members []string) []EvidenceRef {
	refs := []EvidenceRef{}
	slices.Sort(members)
	for _, m := range slices.Compact(members) {
		if _, ok := e.s.Raw[m]; !ok {
			continue
		}
		n := len(refs)
		for _, p := range c.Pointers[m] {
			if _, ok := e.resolve(m, p); ok {
				refs = append(refs, EvidenceRef{Member: m, Pointer: p})
			}
		}
		if len(refs) == n {
			refs = append(refs, EvidenceRef{Member: m})
		}
	}
	return refs
}

// resolve is ResolvePointer on the state's member m, decoded once an
// evaluation.
func (e *env) resolve(m, pointer string) (any, bool) {
	d, seen := e.decoded[m]
	if !seen {
		d.v, d.ok = decodeMember(e.s.Raw[m])
		e.decoded[m] = d
	}
	if !d.ok {
		return nil, false
	}
	return resolvePointer(d.v, pointer)
}

// remediationFor fills the key ID into the CLI command when it is known.
func (c Check) remediationFor(k *keystate.KeyMetadata) Remediation {
	r := c.Remediation
	if k != nil {
		r.CLI = strings.ReplaceAll(r.CLI, "<key-id>", k.KeyID)
		if region := k.Region(); region != "" {
			r.CLI = strings.ReplaceAll(r.CLI, "<region>", region)
		}
	}
	return r
}

// withAccess runs f on the access model, or ERRORs when there is none.
func (e *env) withAccess(f func(a *access) outcome) outcome {
	if e.access == nil {
		return errored(e.accessErr)
	}
	return f(e.access)
}

// withGrants is withAccess for the checks that count grants: without the
// grants in the model they cannot be judged.
func (e *env) withGrants(f func(a *access) outcome) outcome {
	return e.withAccess(func(a *access) outcome {
		if !a.grantsRead {
			return errored("the key's grants could not be read: " + e.s.Problem(keystate.ListGrants))
		}
		return f(a)
	})
}

// ownAliases are the aliases that target this key, AWS-managed ones excluded.
func (e *env) ownAliases() []string {
	var out []string
	for _, a := range e.s.Aliases {
		if a.TargetKeyID != e.key.KeyID && a.TargetKeyID != e.key.Arn {
			continue
		}
		if strings.HasPrefix(a.Name, "alias/aws/") {
			continue
		}
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

// setDiff returns what want lacks of got and what got has beyond want.
func setDiff(want, got []string) (missing, extra []string) {
	w, g := toSet(want), toSet(got)
	for x := range w {
		if !g[x] {
			missing = append(missing, x)
		}
	}
	for x := range g {
		if !w[x] {
			extra = append(extra, x)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func toSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// list renders names for a sentence: "none" or "a, b".
func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func quoted(s string) string {
	if s == "" {
		return "(not reported)"
	}
	return fmt.Sprintf("%q", s)
}

// callFailed words a call that gave no answer: "kms:Encrypt failed: ...".
func callFailed(err *keystate.CallError) string {
	if err.Operation == "" {
		return err.Detail
	}
	return err.Operation + " failed: " + err.Detail
}

// offline opens the SKIP of a check that needs what only a live run sees,
// naming where the evidence came from: a snapshot, or a template or plan
// judged before the key exists.
func offline(s *keystate.State) string {
	switch s.Declared {
	case keystate.KindCloudFormation:
		return "judging a CloudFormation template before the key exists"
	case keystate.KindTerraformPlan:
		return "judging a Terraform plan before the key exists"
	}
	return "evaluating a snapshot offline"
}

// notRecorded is the ERROR of a live capture that lacks a member it always
// records, even if only to say why there is no answer.
func notRecorded(member, what string) outcome {
	return errored("the live run recorded no " + member + " member: not even why " + what)
}
