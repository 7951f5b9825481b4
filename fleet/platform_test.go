package fleet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/profile"
)

func fixtureResults(t *testing.T, p profile.Valid, name string) []checks.Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "fixtures", "snapshots", name))
	require.NoError(t, err)
	s, err := keystate.Decode(data)
	require.NoError(t, err)
	return checks.Evaluate(s, p)
}

// PlatformOf reads CMK-AEP-1 as the checks word it: these cases pin that
// wording, so a change of it fails here instead of silently turning
// platform keys into others (until the access model answers the question).
func TestPlatformOf(t *testing.T) {
	example, err := profile.Load(filepath.Join("..", "fixtures", "profiles", "aep-example.yaml"), nil)
	require.NoError(t, err)
	assert.Equal(t, PlatformYes, PlatformOf(fixtureResults(t, example, "compliant.json"), example))
	assert.Equal(t, PlatformYes, PlatformOf(fixtureResults(t, example, "noncompliant/platform-statement-absent.json"), example),
		"the customer's statement is absent, the three Customer Journey Analytics accounts are granted: a platform key, NOT READY")
	assert.Equal(t, PlatformYes, PlatformOf(fixtureResults(t, example, "noncompliant/missing-platform-grant.json"), example),
		"one account lacks Decrypt, the others are fully granted")
	other, err := profile.Parse([]byte(`adobe_principals: ["999988887777"]`))
	require.NoError(t, err)
	assert.Equal(t, PlatformNo, PlatformOf(fixtureResults(t, other, "compliant.json"), other),
		"a key whose policy grants none of the profile's Adobe accounts is not the platform's")
	assert.Equal(t, PlatformUnknown, PlatformOf(fixtureResults(t, example, "noncompliant/unparsable-key-policy.json"), example),
		"a policy that cannot be read cannot tell")
	assert.Equal(t, PlatformNo, PlatformOf(fixtureResults(t, profile.Default(), "compliant.json"), profile.Default()),
		"without adobe_principals no key is the platform's")

	// One of two Adobe accounts fully granted is enough.
	one := []checks.Result{{ID: aep1, Status: checks.Fail, Observed: "Adobe accounts fully granted: 222233334444; 767397686373 lacks kms:Decrypt"}}
	assert.Equal(t, PlatformYes, PlatformOf(one, example))
	none := []checks.Result{{ID: aep1, Status: checks.Fail, Observed: "Adobe accounts fully granted: none; 222233334444 lacks kms:Decrypt"}}
	assert.Equal(t, PlatformNo, PlatformOf(none, example))
	reworded := []checks.Result{{ID: aep1, Status: checks.Fail, Observed: "the platform may decrypt with this key"}}
	assert.Equal(t, PlatformUnknown, PlatformOf(reworded, example), "wording this function does not know is undecided, never no")
	assert.Equal(t, PlatformUnknown, PlatformOf(nil, example), "no CMK-AEP-1 result at all")
	skipped := []checks.Result{{ID: aep1, Status: checks.Skip}}
	assert.Equal(t, PlatformNo, PlatformOf(skipped, example))
}
