package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusDir holds the adversarial key-policy corpus (format:
// briefs/corpus-format.md): each file a policy, its grants and the answers
// AWS gives, each expectation citing the documentation it rests on.
const corpusDir = "../../fixtures/policies/corpus"

type corpusCase struct {
	Title       string              `json:"title"`
	KeyARN      string              `json:"key_arn"`
	Policy      json.RawMessage     `json:"policy"`
	Grants      []Grant             `json:"grants"`
	OrgAccounts map[string][]string `json:"org_accounts"`
	Expect      []struct {
		Principal  string `json:"principal"`
		Action     string `json:"action"`
		Answer     Answer `json:"answer"`
		IAMDecides bool   `json:"iam_decides"`
		Doc        string `json:"doc"`
		Why        string `json:"why"`
	} `json:"expect"`
}

// disputed lists corpus expectations this model answers differently on
// purpose, keyed "file#index", with the answer the model gives and why
// (the documentation passage). The test asserts the model's answer for
// them, so a change either way is noticed.
var disputed = map[string]struct {
	answer Answer
	iam    bool
	why    string
}{
	"024-session-given-kms-star.json#3": {Conditional, false,
		"the statement names the session incident-42 of role BreakGlass; the session name is chosen by whoever calls " +
			"AssumeRole (STS API reference, RoleSessionName: 'Use the role session name to uniquely identify a session when " +
			"the same role is assumed by different principals'), so the role's sessions named incident-42 hold " +
			"ScheduleKeyDeletion: a who-dependent answer, CONDITIONAL, which the risk side must count; the role is then " +
			"reached through that statement too, not only through the root delegation"},
	"049-ifexists-principalaccount.json#2": {Conditional, false,
		"IAM documentation disagrees with itself on anonymous requests: the global condition keys page once said of " +
			"aws:PrincipalAccount 'This key is always included in the request context' (then the IfExists block fails), " +
			"the current page says signed requests carry it (absent for anonymous: StringEqualsIfExists holds); no page " +
			"documents the value 'anonymous'. The model answers for both readings: CONDITIONAL"},
	"056-principalarn-pins-adobe-role.json#1": {Conditional, false,
		"aws:PrincipalArn of a session is its role's ARN, which includes the role's path " +
			"(reference_identifiers.html: arn:aws:iam::account:role/path/role-name); the session ARN " +
			"(arn:aws:sts::account:assumed-role/role-name/session) does not show the path, and no Allow names the role, " +
			"so ArnLike role/aep-cmk-* holds only if the role has the default path: CONDITIONAL. The role itself " +
			"(expect[0]) is ALLOWED"},
}

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skip("no corpus files in " + corpusDir)
	}
	var total, pass, conditional int
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			var c corpusCase
			require.NoError(t, json.Unmarshal(data, &c))
			doc, err := Parse(c.Policy)
			require.NoError(t, err, "policy")
			var opts []Option
			if c.OrgAccounts != nil {
				opts = append(opts, WithOrganizations(c.OrgAccounts))
			}
			m, err := NewModel(doc, c.KeyARN, c.Grants, opts...)
			require.NoError(t, err)
			require.NotEmpty(t, c.Expect, "a case asks something")
			for i, e := range c.Expect {
				total++
				w, err := ParseWho(e.Principal)
				require.NoError(t, err, "expect[%d].principal", i)
				d := m.Decide(w, e.Action)
				if d.Answer == Conditional {
					conditional++
				}
				want, wantIAM := e.Answer, e.IAMDecides
				key := fmt.Sprintf("%s#%d", name, i)
				if dis, ok := disputed[key]; ok {
					t.Logf("%s: disputed: corpus says %s/iam=%v, model %s/iam=%v: %s", key, want, wantIAM, dis.answer, dis.iam, dis.why)
					want, wantIAM = dis.answer, dis.iam
				}
				ok1 := assert.Equal(t, want, d.Answer, "%s %s %s (%s): %s\nmodel: %s", key, e.Principal, e.Action, e.Doc, e.Why, d.Why())
				ok2 := assert.Equal(t, wantIAM, d.IAMDecides, "%s %s %s iam_decides (%s): %s\nmodel: %s", key, e.Principal, e.Action, e.Doc, e.Why, d.Why())
				if ok1 && ok2 {
					pass++
				}
			}
		})
	}
	t.Logf("corpus: %d files, %d expectations, %d as expected, %d CONDITIONAL answers (%.1f%%)",
		len(files), total, pass, conditional, 100*float64(conditional)/float64(max(total, 1)))
}
