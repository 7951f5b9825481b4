package suites

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// notCaughtBySelfTest lists the checks that no provisioned variant makes
// fail, and why; the unit tables in checks/ and the snapshot fixtures
// cover them.
var notCaughtBySelfTest = map[string]string{
	"CMK-AVL-1": "judged on the profile's shield alone: no key can make it fail",
	"CMK-ACC-1": "every variant is made by the run's own caller in the target's account and region",
	"CMK-PRM-1": "judged on the caller's IAM policies, not on the key: SKIP on the emulators, ignored on aws",
	"CMK-REG-1": "the self-test provisions in the profile's region; a key elsewhere needs a second region (fixture region-mismatch.json)",
	"CMK-CFG-4": "an AWS managed key cannot be provisioned: AWS services make them (fixture aws-managed.json)",
	"CMK-AEP-2": "no variant gives Adobe an administrative right yet (fixture platform-holds-admin-action.json)",
	"CMK-DRF-1": "drift needs a baseline and a change after it: TestDriftSelfTest signs off a key, changes it and audits it again",
	"CMK-MON-1": "monitoring is the account's, not the key's: TestMonitoringSelfTest makes each kind of rule, filter and alarm",
}

// The self-test's table names only checks of the catalog, and every check
// is caught by some wrong variant or listed above with the reason.
func TestSelfTestCoversTheCatalog(t *testing.T) {
	var ids []string
	for _, c := range checks.Catalog() {
		ids = append(ids, c.ID)
	}
	caught := map[string]bool{}
	for v, w := range expected {
		for id := range w {
			assert.Contains(t, ids, id, "the %s variant expects a check the catalog does not have", v.Name())
			caught[id] = true
		}
	}
	for kind, base := range targetBaseline {
		for id := range base.add {
			assert.Contains(t, ids, id, "the %s baseline names a check the catalog does not have", kind)
		}
		for _, id := range base.ignore {
			assert.Contains(t, ids, id, "the %s baseline ignores a check the catalog does not have", kind)
		}
	}
	for kind, diffs := range differences {
		for v, d := range diffs {
			for id := range d.set {
				assert.Contains(t, ids, id, "the %s difference of %s names a check the catalog does not have", kind, v.Name())
			}
		}
	}
	for _, id := range ids {
		why, listed := notCaughtBySelfTest[id]
		switch {
		case caught[id] && listed:
			t.Errorf("%s is caught by a variant now: drop it from notCaughtBySelfTest (%s)", id, why)
		case !caught[id] && !listed:
			t.Errorf("no self-test variant makes %s fail: add one, or list it in notCaughtBySelfTest with the reason", id)
		}
	}
	for id := range notCaughtBySelfTest {
		assert.True(t, slices.Contains(ids, id), "notCaughtBySelfTest names %s, which the catalog does not have", id)
	}
}
