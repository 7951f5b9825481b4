package suites

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// On LocalStack the account is the credentials' account: with
// AWS_ACCESS_KEY_ID=444455556666 (LocalStack's multi-account convention,
// which the AWS CLI follows) `audit --all` lists that account's keys, not
// 000000000000's; and a key ARN still names its own account whatever the
// credentials say. Only LocalStack honours accounts this way.
func TestLocalStackActsInTheCredentialsAccount(t *testing.T) {
	if targetKind(t) != keystate.KindLocalStack {
		t.Skip("CMK_TARGET is not localstack: the embedded target keeps one account per process")
	}
	const account = "444455556666"
	as := func(id string) env.Vars {
		return func(k string) string {
			if k == env.AccessKeyID {
				return id
			}
			return vars(k)
		}
	}
	o := as(account).Opener()
	o.StartLocalStack = startLocalStack
	p := loadProfile(t)
	tg, err := o.Open(t.Context(), keystate.KindLocalStack, p.Profile().Region, "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	require.Equal(t, account, tg.Account, "the target acts in the credentials' account")
	o.LocalStackEndpoint = tg.Endpoint // the one LocalStack, not another started
	key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))

	mem := &keep{next: discard{}}
	sum, err := fleet.Run(t.Context(), fleet.Options{Target: keystate.KindLocalStack, Opener: o, Profile: p,
		Selection: fleet.Selection{All: true}, Sink: mem})
	require.NoError(t, err)
	require.Len(t, mem.places, 1)
	assert.Equal(t, account, mem.places[0].Account)
	var found bool
	for _, k := range mem.keys {
		found = found || k.State != nil && k.State.Key != nil && k.State.Key.KeyID == key.KeyID
	}
	assert.True(t, found, "--all lists the key made in the credentials' account")
	assert.Positive(t, sum.Keys)

	// Other credentials, the key named by its ARN: its own account, in a
	// single audit and in a fleet's keys file.
	other := as("555566667777").Opener()
	other.LocalStackEndpoint = tg.Endpoint
	out, err := audit.Run(t.Context(), audit.Options{Target: keystate.KindLocalStack, Opener: other, Profile: p, Key: key.Arn})
	require.NoError(t, err)
	assert.Equal(t, account, out.Target.Account)
	assert.Equal(t, key.Arn, out.Run.KeyARN)

	refs, err := fleet.ParseKeysFile(strings.NewReader(key.Arn+"\n"), "keys.txt")
	require.NoError(t, err)
	mem = &keep{next: discard{}}
	_, err = fleet.Run(t.Context(), fleet.Options{Target: keystate.KindLocalStack, Opener: other, Profile: p,
		Selection: fleet.Selection{Keys: refs}, Sink: mem})
	require.NoError(t, err)
	require.Len(t, mem.keys, 1)
	k := mem.keys[0]
	require.NotNil(t, k.Run, "judged: %v", k.Err)
	assert.Equal(t, account, k.Account)
	assert.Equal(t, key.Arn, k.Run.KeyARN)
	assert.NotContains(t, k.Failed(), "CMK-CFG-5", "found in its own account, not reported missing")
}
