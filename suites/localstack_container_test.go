package suites

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/container"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// compareEndpointVar names a native LocalStack (scripts/localstack.sh) whose
// statuses TestContainerMatchesNative compares with the container's.
const compareEndpointVar = "CMK_COMPARE_LOCALSTACK_ENDPOINT"

// sharedLocalStack is the one LocalStack testcontainers-go starts for this
// test binary, on the first test that opens the localstack target with no
// endpoint; TestMain terminates it. One, not one a test: on the host's
// network there is one port, and the native run shares one too.
var sharedLocalStack, sharedErr = func() (*container.Shared, error) {
	o, err := container.Settings(vars.LocalStackContainer()).Options()
	if err != nil {
		return nil, err
	}
	return container.NewShared(o), nil
}()

// startLocalStack is the suites' targets.StartFunc.
func startLocalStack(ctx context.Context) (string, func(), error) {
	if sharedErr != nil {
		return "", nil, sharedErr
	}
	return sharedLocalStack.Start(ctx)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedLocalStack != nil {
		sharedLocalStack.Close()
	}
	os.Exit(code)
}

// TestContainerMatchesNative audits a key provisioned the way the guide's
// console steps do, and a wrong variant, on LocalStack started through
// testcontainers-go and on a native one (CMK_COMPARE_LOCALSTACK_ENDPOINT):
// the verdicts are READY and NOT READY on both, and every requirement has
// the same status on both.
func TestContainerMatchesNative(t *testing.T) {
	native := vars(compareEndpointVar)
	if native == "" || targetKind(t) != keystate.KindLocalStack {
		t.Skipf("compares a container with a native LocalStack: set CMK_TARGET=localstack and %s (make test-containers does)", compareEndpointVar)
	}
	containerOpener := opener()
	require.Empty(t, containerOpener.LocalStackEndpoint, "a LocalStack endpoint is set: the container would not be started; unset LOCALSTACK_ENDPOINT and AWS_ENDPOINT_URL")
	nativeOpener := vars.Opener()
	nativeOpener.LocalStackEndpoint = native
	p := loadProfile(t)
	for _, c := range []struct {
		variant provision.Variant
		verdict string
	}{{provision.Correct, checks.Ready}, {provision.PublicPrincipal, checks.NotReady}} {
		t.Run(c.variant.Name(), func(t *testing.T) {
			statuses := func(o targets.Opener) (string, map[string]checks.Status) {
				out, err := audit.Run(t.Context(), audit.Options{Target: keystate.KindLocalStack, Profile: p, Variant: c.variant, Opener: o})
				require.NoError(t, err)
				s := map[string]checks.Status{}
				var failing []string
				for _, r := range out.Run.Results {
					s[r.ID] = r.Status
					if r.Status == checks.Fail || r.Status == checks.Error {
						failing = append(failing, r.ID+" "+string(r.Status))
					}
				}
				t.Logf("%s on %s: %s %v", c.variant.Name(), out.Run.Target.Endpoint, out.Run.Verdict, failing)
				return out.Run.Verdict, s
			}
			cv, cs := statuses(containerOpener)
			nv, ns := statuses(nativeOpener)
			assert.Equal(t, c.verdict, cv, "through testcontainers")
			assert.Equal(t, c.verdict, nv, "native")
			assert.Equal(t, ns, cs, "each requirement's status: native (expected) and through testcontainers")
			assert.NotEmpty(t, cs)
		})
	}
}
