package checks

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func init() {
	register(Check{
		ID: "CMK-DRF-1", Title: "Nothing that decides access or configuration has changed since sign-off", Severity: Required,
		Section:  "after sign-off",
		Expected: "the same rights for every principal (by the access model, not the policy's text) and the same state, rotation, region, aliases, tags, description and grants as the baseline",
		Remediation: Remediation{
			Console: "Review each change in the drift table: undo what nobody approved (KMS > the key > Key policy / Grants / Key rotation / Aliases / Tags), " +
				"or, when the change is approved, audit the key again and keep the new signed results as the baseline.",
			CLI: "cmkcheck audit --profile profile.yaml --key <key-id> --baseline signed/results.json --out reports/",
		},
		// No Needs: without a baseline the check is SKIP whatever the
		// evidence; with one, evalDrift takes the members as evidence and
		// is ERROR when one is unusable.
		Uses: []string{keystate.Baseline},
		eval: evalDrift,
	})
}

// DriftChange is one difference from the baseline: a principal's right
// (Principal and Right set), or a configuration field (Principal empty,
// Right naming the field). Before and After are the access model's answers,
// or the field's values.
type DriftChange struct {
	Principal string `json:"principal,omitempty"`
	Right     string `json:"right"`
	Before    string `json:"before"`
	After     string `json:"after"`
}

// String is the change in one line.
func (c DriftChange) String() string {
	if c.Principal == "" {
		return fmt.Sprintf("%s: %s → %s", c.Right, c.Before, c.After)
	}
	return fmt.Sprintf("%s %s: %s → %s", c.Principal, c.Right, c.Before, c.After)
}

func evalDrift(e *env) outcome {
	b := e.s.Baseline
	if b == nil && e.s.Declared != "" {
		// A template or plan takes no --baseline: drift is of a key that exists.
		return skipped("no baseline given: " + offline(e.s) + ": drift is judged once the key exists (cmkcheck audit --baseline FILE)")
	}
	if b == nil {
		return skipped("no baseline given: run with --baseline FILE (the signed results of the sign-off run, or its snapshot) to judge drift")
	}
	o := outcome{expected: fmt.Sprintf("nothing that decides access or configuration differs from the baseline (%s, sha256 %s)", b.Kind, b.SHA256),
		evidence: keystate.Members}
	changes, err := Drift(b.State, e.s, e.p)
	o.drift = &DriftReport{BaselineKind: b.Kind, BaselineSHA256: b.SHA256, Changes: changes}
	if err != nil {
		o.drift.Err = err.Error()
		o.status, o.observed = Error, err.Error()
		return o
	}
	if len(changes) == 0 {
		o.met = true
		o.observed = fmt.Sprintf("no drift since the baseline (%s, sha256 %s)", b.Kind, b.SHA256)
		return o
	}
	lines := make([]string, len(changes))
	for i, c := range changes {
		lines[i] = c.String()
	}
	o.observed = fmt.Sprintf("%d change(s) since the baseline (%s, sha256 %s): %s", len(changes), b.Kind, b.SHA256, strings.Join(lines, "; "))
	return o
}

// DriftReport is what CMK-DRF-1 judged against a baseline, as the reports'
// drift table shows it: the baseline, and its changes or why there are
// none to show.
type DriftReport struct {
	BaselineKind, BaselineSHA256 string
	Changes                      []DriftChange
	Err                          string // why the drift could not be judged
}

// Drift compares two states of one key by meaning: who holds which KMS
// right by the access model (risk side: ALLOWED or CONDITIONAL), and the
// configuration fields plainly. A reordered or reformatted policy gives no
// change. The error says why the states cannot be compared.
func Drift(before, after *keystate.State, p *profile.Profile) ([]DriftChange, error) {
	if before == nil || after == nil {
		return nil, fmt.Errorf("drift: no state to compare")
	}
	for _, side := range []struct {
		name string
		s    *keystate.State
	}{{"the baseline", before}, {"this run", after}} {
		for _, m := range keystate.Members {
			if !side.s.Has(m) {
				why := side.s.Problem(m)
				if why == "" {
					why = m + " is missing"
				}
				return nil, fmt.Errorf("%s cannot be compared: %s", side.name, why)
			}
		}
	}
	if before.Key.Arn != after.Key.Arn {
		return nil, fmt.Errorf("the baseline is of key %s, not of this key %s", before.Key.Arn, after.Key.Arn)
	}
	access, err := accessDrift(before, after, p)
	if err != nil {
		return nil, err
	}
	return append(access, configDrift(before, after)...), nil
}

// accessDrift asks the access model of each state the same questions:
// every principal either names (and the profile's), every KMS action.
func accessDrift(before, after *keystate.State, p *profile.Profile) ([]DriftChange, error) {
	mb, err := model("the baseline", before)
	if err != nil {
		return nil, err
	}
	ma, err := model("this run", after)
	if err != nil {
		return nil, err
	}
	var extra []policy.Who
	if p != nil {
		for _, arn := range append(slices.Clone(p.KeyAdministrators), p.KeyUsers...) {
			if w, err := policy.WhoARN(arn); err == nil {
				extra = append(extra, w)
			}
		}
	}
	who := map[string]policy.Who{}
	for _, w := range append(mb.Principals(extra...), ma.Principals(extra...)...) {
		who[w.String()] = w
	}
	names := make([]string, 0, len(who))
	for n := range who {
		names = append(names, n)
	}
	sort.Strings(names)
	type key struct{ principal, before, after string }
	grouped := map[key][]string{}
	var order []key
	for _, n := range names {
		for _, action := range policy.KMSActions() {
			db, da := mb.Decide(who[n], action), ma.Decide(who[n], action)
			if db.Answer == da.Answer || (!db.Risks() && !da.Risks()) {
				continue
			}
			k := key{n, string(db.Answer), string(da.Answer)}
			if _, ok := grouped[k]; !ok {
				order = append(order, k)
			}
			grouped[k] = append(grouped[k], action)
		}
	}
	var out []DriftChange
	for _, k := range order {
		out = append(out, DriftChange{Principal: k.principal, Right: strings.Join(grouped[k], ", "), Before: k.before, After: k.after})
	}
	return out, nil
}

func model(side string, s *keystate.State) (*policy.Model, error) {
	doc, err := policy.Parse([]byte(s.Policy))
	if err != nil {
		return nil, fmt.Errorf("the key policy of %s could not be parsed: %v", side, err)
	}
	grants, err := policy.ParseGrants(s.Raw[keystate.ListGrants])
	if err != nil {
		return nil, fmt.Errorf("the grants of %s could not be read: %v", side, err)
	}
	m, err := policy.NewModel(doc, s.Key.Arn, grants)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", side, err)
	}
	return m, nil
}

// configDrift compares the configuration fields that decide what the key
// does for the platform.
func configDrift(before, after *keystate.State) []DriftChange {
	var out []DriftChange
	field := func(name, b, a string) {
		if b != a {
			out = append(out, DriftChange{Right: name, Before: b, After: a})
		}
	}
	kb, ka := before.Key, after.Key
	field("key state", kb.KeyState, ka.KeyState)
	field("enabled", boolText(kb.Enabled), boolText(ka.Enabled))
	field("deletion date", timeText(kb), timeText(ka))
	field("region", kb.Region(), ka.Region())
	field("multi-Region", boolText(kb.MultiRegion), boolText(ka.MultiRegion))
	field("description", strconv.Quote(kb.Description), strconv.Quote(ka.Description))
	field("rotation", rotationText(before.Rotation), rotationText(after.Rotation))
	field("aliases", list(ownAliasNames(before)), list(ownAliasNames(after)))
	field("tags", list(tagTexts(before.Tags)), list(tagTexts(after.Tags)))
	gb, ga := grantTexts(before.Grants), grantTexts(after.Grants)
	removed, added := setDiff(gb, ga)
	for _, g := range added {
		out = append(out, DriftChange{Right: "grant", Before: "absent", After: g})
	}
	for _, g := range removed {
		out = append(out, DriftChange{Right: "grant", Before: g, After: "absent"})
	}
	return out
}

func boolText(b *bool) string {
	if b == nil {
		return "not reported"
	}
	return strconv.FormatBool(*b)
}

func timeText(k *keystate.KeyMetadata) string {
	if k.DeletionDate == nil {
		return "none"
	}
	return k.DeletionDate.UTC().Format("2006-01-02T15:04:05Z")
}

func rotationText(r *keystate.Rotation) string {
	if !r.Enabled {
		return "disabled"
	}
	if r.RotationPeriodInDays == nil {
		return "enabled"
	}
	return fmt.Sprintf("enabled every %d days", *r.RotationPeriodInDays)
}

// ownAliasNames are the aliases that target the key.
func ownAliasNames(s *keystate.State) []string {
	var out []string
	for _, a := range s.Aliases {
		if a.TargetKeyID == s.Key.KeyID || a.TargetKeyID == s.Key.Arn {
			out = append(out, a.Name)
		}
	}
	sort.Strings(out)
	return out
}

func tagTexts(tags []keystate.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Key + "=" + t.Value
	}
	sort.Strings(out)
	return out
}

// grantTexts names each grant by what it allows, not by its ID (a grant
// re-created with the same content is no drift).
func grantTexts(grants []keystate.Grant) []string {
	out := make([]string, len(grants))
	for i, g := range grants {
		ops := slices.Clone(g.Operations)
		sort.Strings(ops)
		s := fmt.Sprintf("%s may %s", g.GranteePrincipal, strings.Join(ops, ", "))
		if g.Constraints != nil {
			c, _ := json.Marshal(g.Constraints) // maps marshal sorted
			s += " with constraints " + string(c)
		}
		if g.RetiringPrincipal != "" {
			s += " (retiring principal " + g.RetiringPrincipal + ")"
		}
		out[i] = s
	}
	sort.Strings(out)
	return out
}
