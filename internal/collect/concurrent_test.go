package collect

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// A fleet audit collects many keys at once through one client and guard.
// Each key's state must hold its own answers and its record its own calls
// (run with -race). Reading bodies back by operation name, as the guard
// once did, hands one key another key's policy here.
func TestConcurrentKeysKeepTheirOwnEvidence(t *testing.T) {
	tg := openEmbedded(t)
	variants := []provision.Variant{provision.Correct, provision.Disabled, provision.PublicPrincipal, provision.RotationOff,
		provision.MissingTag, provision.NoDescription, provision.GenericAlias, provision.HMAC}
	keys := map[string]*provision.Key{}
	var ids []string
	plain := kms.NewFromConfig(tg.Config)
	for _, v := range variants {
		k := makeKey(t, tg, v)
		keys[k.KeyID] = k
		ids = append(ids, k.KeyID)
		// A grant whose grantee names its key: a list handed to another
		// key's state would show it.
		_, err := plain.CreateGrant(t.Context(), &kms.CreateGrantInput{KeyId: aws.String(k.KeyID),
			GranteePrincipal: aws.String(granteeOf(k.KeyID)), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
		require.NoError(t, err)
	}
	busy := *tg
	busy.Config = tg.Config.Copy()
	busy.Config.APIOptions = append(busy.Config.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(linger{}, middleware.Before)
	})
	c, err := New(&busy, Options{Roundtrip: true})
	require.NoError(t, err)

	type run struct {
		id  string
		s   *keystate.State
		rec *Record
		err error
	}
	const rounds = 3
	runs := make([]run, rounds*len(ids))
	var wg sync.WaitGroup
	for i := range runs {
		id := ids[i%len(ids)]
		wg.Go(func() {
			s, rec, err := c.Key(context.Background(), id)
			runs[i] = run{id, s, rec, err}
		})
	}
	wg.Wait()

	sent := 0
	reads := []string{OpDescribeKey, OpGetKeyPolicy, OpGetKeyRotationStatus, OpListResourceTags, OpListAliases, OpListGrants}
	for _, r := range runs {
		require.NoError(t, r.err)
		k := keys[r.id]
		require.NotNil(t, r.s.Key, r.id)
		assert.Empty(t, r.s.Problems, r.id)
		assert.Equal(t, k.Arn, r.s.Key.Arn, "DescribeKey of %s", r.id)
		assert.JSONEq(t, k.Policy, r.s.Policy, "the key policy of %s", r.id)
		require.Len(t, r.s.Aliases, 1, r.id)
		assert.Equal(t, k.Alias, r.s.Aliases[0].Name, "the alias of %s", r.id)
		assert.Equal(t, k.KeyID, r.s.Aliases[0].TargetKeyID, "the alias of %s", r.id)
		assert.Equal(t, k.Variant == provision.MissingTag, len(r.s.Tags) == 0, "the tags of %s", r.id)
		if assert.Len(t, r.s.Grants, 1, r.id) {
			assert.Equal(t, granteeOf(k.KeyID), r.s.Grants[0].GranteePrincipal, "the grant of %s", r.id)
			assert.Equal(t, k.Arn, r.s.Grants[0].KeyID, "the grant of %s", r.id)
		}
		assert.Equal(t, k.Variant != provision.RotationOff && k.Variant != provision.HMAC, r.s.Rotation.Enabled, "the rotation of %s", r.id)
		rt := r.s.RoundTrip
		switch k.Variant {
		case provision.Disabled:
			require.NotNil(t, rt.Error, r.id)
			assert.Contains(t, rt.Error.Message, r.id, "the refusal names its own key")
		case provision.HMAC:
			require.NotNil(t, rt.Error, r.id)
		default:
			require.Nil(t, rt.Error, r.id)
			assert.Equal(t, k.Arn, rt.Encrypt.KeyID, "Encrypt of %s", r.id)
			assert.Equal(t, k.Arn, rt.Decrypt.KeyID, "Decrypt of %s", r.id)
		}
		assert.Equal(t, reads, r.rec.Calls[:len(reads)], "the reads of %s, once each", r.id)
		for _, op := range r.rec.Calls[len(reads):] {
			assert.Contains(t, []string{OpEncrypt, OpDecrypt}, op, r.id)
		}
		assert.Empty(t, r.rec.Refused, r.id)
		sent += r.rec.APICalls()
	}
	all := c.Guard().Calls()
	assert.Equal(t, sent, len(all), "each record is its own key's share of what the guard sent")
	for _, op := range reads {
		assert.Equal(t, len(runs), countOf(all, op), "%s once per key", op)
	}
}

func granteeOf(keyID string) string { return "arn:aws:iam::111122223333:role/grantee-of-" + keyID }

// linger holds each call's result a moment before handing it back, as a
// busy client does: evidence looked up after a call by operation name
// would by then be another call's.
type linger struct{}

func (linger) ID() string { return "test.linger" }

func (linger) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleInitialize(ctx, in)
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	return out, md, err
}

func countOf(ops []string, op string) int {
	n := 0
	for _, o := range ops {
		if o == op {
			n++
		}
	}
	return n
}

// The record of one collection holds what its own requests did, refusals
// included, even with another collection's requests on the same guard.
func TestRecordIsPerCollection(t *testing.T) {
	l1, l2 := &callLog{}, &callLog{}
	l1.add(OpDescribeKey, false)
	l2.add(OpGetKeyPolicy, false)
	l1.add("kms:ScheduleKeyDeletion", true)
	var none *callLog
	none.add(OpEncrypt, false) // a request outside any collection: no log, no panic
	assert.Equal(t, &Record{Calls: []string{OpDescribeKey}, Refused: []string{"kms:ScheduleKeyDeletion"}}, l1.record())
	assert.Equal(t, []string{OpGetKeyPolicy}, l2.record().Calls)
}
