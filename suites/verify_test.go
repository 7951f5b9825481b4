package suites

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// TestResultsFilesVerify: issue 14. The results file of a live run, as the
// suites and cmkcheck audit write it, verifies read back from disk, and
// the reports beside it name its digest; edited, it does not verify. With
// CMK_TARGET=localstack STS names a caller, which verify derives from the
// capture.
func TestResultsFilesVerify(t *testing.T) {
	kind := targetKind(t)
	var tg *targets.Conn
	switch kind {
	case keystate.KindEmbedded:
		tg = openEmbedded(t)
	case keystate.KindLocalStack:
		var err error
		tg, err = opener().Open(t.Context(), kind, "", "")
		require.NoError(t, err, "opening LocalStack")
		t.Cleanup(tg.Close)
	default:
		t.Skipf("on %s TestAudit verifies the results file it writes; this test provisions keys, so it runs on the emulators", kind)
	}
	p := selfProfile(t, tg)
	for _, v := range []provision.Variant{provision.Correct, provision.PublicPrincipal, provision.Disabled, provision.Imported} {
		t.Run(v.Name(), func(t *testing.T) {
			out, err := audit.Run(t.Context(), audit.Options{Conn: tg, Profile: p, Variant: v})
			require.NoError(t, err)
			paths, err := reports.Write(t.TempDir(), reports.DefaultName, out.Run)
			require.NoError(t, err)
			data, err := os.ReadFile(paths.Results)
			require.NoError(t, err)

			got, err := audit.Verify(data)
			require.NoError(t, err, "the file as written verifies")
			assert.Equal(t, out.Run.Verdict, got.Verdict)
			assert.Equal(t, out.Run.Results, got.Results)
			assert.Equal(t, out.Run.Caller, got.Caller)
			if kind == keystate.KindLocalStack {
				assert.NotEmpty(t, got.Caller, "LocalStack's STS names the caller")
			}
			for _, report := range []string{paths.JUnit, paths.Markdown} {
				b, err := os.ReadFile(report)
				require.NoError(t, err)
				assert.Contains(t, string(b), got.ResultsSHA256, "%s names the results file's digest", report)
			}

			edited := bytes.Replace(data, []byte(`"status": "PASS"`), []byte(`"status": "FAIL"`), 1)
			_, err = audit.Verify(edited)
			var ve *audit.VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, err.Error(), `CMK-AVL-1 status: the file says "FAIL"; its evidence says "PASS"`)
		})
	}
}
