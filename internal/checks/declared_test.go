package checks_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// The same evidence, as a snapshot and as what a template or plan
// declares: the statuses are the same; the SKIPs name where the evidence
// came from, and a template's never say "snapshot".
func TestSkipsNameTheEvidenceOrigin(t *testing.T) {
	path := filepath.Join(fixtures, "snapshots", "compliant.json")
	p := loadProfile(t, "aep-before-apply.yaml")
	snapshot := checks.Evaluate(loadSnapshot(t, path), p)
	for kind, words := range map[string]string{
		keystate.KindCloudFormation: "judging a CloudFormation template before the key exists",
		keystate.KindTerraformPlan:  "judging a Terraform plan before the key exists",
	} {
		t.Run(kind, func(t *testing.T) {
			s := loadSnapshot(t, path)
			s.Declared = kind
			declared := checks.Evaluate(s, p)
			require.Len(t, declared, len(snapshot))
			var said []string
			for i, r := range declared {
				assert.Equal(t, snapshot[i].Status, r.Status, "%s: only the words change", r.ID)
				if r.Status != checks.Skip {
					assert.Equal(t, snapshot[i].Observed, r.Observed, r.ID)
					continue
				}
				assert.NotContains(t, r.Observed, "snapshot", r.ID)
				if strings.Contains(r.Observed, words) {
					said = append(said, r.ID)
				}
			}
			assert.Equal(t, []string{"CMK-ACC-1", "CMK-PRM-1", "CMK-CFG-6", "CMK-ADM-4", "CMK-DRF-1", "CMK-MON-1"}, said)
			assert.Contains(t, checks.NotEvaluated(declared), checks.Omission{ID: "CMK-ADM-4", Reason: words})
		})
	}
	// A snapshot keeps its words.
	for _, r := range snapshot {
		if r.ID == "CMK-ACC-1" {
			assert.Equal(t, "evaluating a snapshot offline: there is no caller to identify", r.Observed)
		}
	}
}
