package fleet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func fixtureState(t *testing.T, name string) *keystate.State {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "snapshots", name))
	require.NoError(t, err)
	s, err := keystate.Decode(data)
	require.NoError(t, err)
	return s
}

// PlatformOf asks the access model whether any Adobe account of the profile
// is allowed every platform action.
func TestPlatformOf(t *testing.T) {
	example, err := profile.Load(filepath.Join("..", "..", "fixtures", "profiles", "aep-example.yaml"), nil)
	require.NoError(t, err)
	assert.Equal(t, PlatformYes, PlatformOf(fixtureState(t, "compliant.json"), example))
	assert.Equal(t, PlatformYes, PlatformOf(fixtureState(t, "noncompliant/platform-statement-absent.json"), example),
		"the customer's statement is absent, the three Customer Journey Analytics accounts are granted: a platform key, NOT READY")
	assert.Equal(t, PlatformYes, PlatformOf(fixtureState(t, "noncompliant/missing-platform-grant.json"), example),
		"one account lacks Decrypt, the others are fully granted")
	other, err := profile.Parse([]byte(`adobe_principals: ["999988887777"]`))
	require.NoError(t, err)
	assert.Equal(t, PlatformNo, PlatformOf(fixtureState(t, "compliant.json"), other),
		"a key whose policy grants none of the profile's Adobe accounts is not the platform's")
	assert.Equal(t, PlatformUnknown, PlatformOf(fixtureState(t, "noncompliant/unparsable-key-policy.json"), example),
		"a policy that cannot be read cannot tell")
	assert.Equal(t, PlatformNo, PlatformOf(fixtureState(t, "compliant.json"), profile.Default()),
		"without adobe_principals no key is the platform's")
	noGrants := fixtureState(t, "compliant.json")
	noGrants.Problems[keystate.ListGrants] = "ListGrants failed: AccessDeniedException"
	assert.Equal(t, PlatformUnknown, PlatformOf(noGrants, example), "grants that could not be read cannot tell")
}
