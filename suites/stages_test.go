package suites

import (
	"path/filepath"
	"testing"

	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// TestProvisionedKeyStages is the terratest flow: setup provisions a key as
// the guide says and saves its ID, validate inspects it (READY), teardown
// schedules its deletion. SKIP_teardown=1 keeps the key for a later run;
// SKIP_setup=1 then reuses the saved key ID (localstack and aws only: an
// embedded key lives as long as the test process).
func TestProvisionedKeyStages(t *testing.T) {
	kind := targetKind(t)
	provisionOK := provisionAllowed(t)
	if kind == keystate.KindAWS && !provisionOK {
		t.Skipf("this test creates a real key on aws: set %s=1 to run it", env.Provision)
	}
	if kind == keystate.KindEmbedded && vars.IsSet(env.SkipSetup) {
		t.Skip("SKIP_setup reuses a saved key, but an embedded key lives only as long as its test process: use CMK_TARGET=localstack or aws")
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, kind, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	p := selfProfile(t, tg)
	workDir := filepath.Join(reportDir(t), "stages", kind)

	defer test_structure.RunTestStage(t, "teardown", func() {
		if !test_structure.IsTestDataPresent(t, test_structure.FormatTestDataPath(workDir, "keyId.json")) {
			return // setup failed before saving: nothing was kept
		}
		key := &provision.Key{KeyID: test_structure.LoadString(t, workDir, "keyId"), Alias: test_structure.LoadString(t, workDir, "alias")}
		assert.NoError(t, provision.DeleteKeyE(ctx, tg.Config, key), "scheduling deletion of %s", key.KeyID)
		test_structure.CleanupTestDataFolder(t, workDir)
	})

	test_structure.RunTestStage(t, "setup", func() {
		key, err := provision.CreateKeyE(ctx, tg.Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
		require.NoError(t, err)
		test_structure.SaveString(t, workDir, "keyId", key.KeyID)
		test_structure.SaveString(t, workDir, "alias", key.Alias)
	})

	test_structure.RunTestStage(t, "validate", func() {
		keyID := test_structure.LoadString(t, workDir, "keyId")
		out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: keyID, Provision: provisionOK})
		require.NoError(t, err)
		assert.Nil(t, out.Provisioned, "validate inspects, it does not provision")
		assert.Equal(t, checks.Ready, out.Run.Verdict, "the key provisioned as the guide says:\n%s", describe(out.Run.Results))
	})
}
