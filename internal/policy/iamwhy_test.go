package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The sentence an effective decision is worded in names what decided it:
// the sources that allow it, what leaves it open, the Deny that may or does
// apply, the boundary that limits it, or the delegation no IAM policy
// takes up. Auditors read it in the results (docBoundaries, docEvaluation,
// docRootIAM say which of these decides).
func TestDecideEffectiveWhy(t *testing.T) {
	const (
		allowAll   = `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
		condIP     = `{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
		condDenyIP = `{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
		denyAll    = `{"Effect":"Deny","Action":"kms:*","Resource":"*"}`
		boundNone  = `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`
	)
	role := mustWho(t, "arn:aws:iam::111122223333:role/Ops")
	admin := mustWho(t, adm)
	tests := []struct {
		name, keyPolicy string
		who             Who
		policies        []string
		boundary        []string
		want            []string
	}{
		{"allowed by IAM under a condition", policyOf(rootDelegation), role, []string{condIP}, nil,
			[]string{"kms:DisableKey: CONDITIONAL; through inline policy p0 statement 0 (depends on aws:SourceIp)"}},
		{"allowed, may be denied", policyOf(rootDelegation), role, []string{allowAll, condDenyIP}, nil,
			[]string{"; through ", "; may be denied by "}},
		{"denied", policyOf(rootDelegation), role, []string{allowAll, denyAll}, nil,
			[]string{"NOT ALLOWED; denied by "}},
		{"boundary limits the role the key policy allows", policyOf(adminStmt), admin, nil, []string{boundNone},
			[]string{"the key policy allows the role's ARN (", ") but managed policy arn:aws:iam::111122223333:policy/Boundary does not allow the action"}},
		{"delegation taken up by IAM but not by the boundary", policyOf(rootDelegation), role, []string{allowAll}, []string{boundNone},
			[]string{"allows it through the root delegation but managed policy arn:aws:iam::111122223333:policy/Boundary does not"}},
		{"delegation no IAM policy takes up", policyOf(rootDelegation), role, nil, nil,
			[]string{"the key policy delegates to IAM and no IAM policy of the identity allows it on this key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(t, tc.keyPolicy, nil)
			id := Identity{Who: tc.who}
			for i, p := range tc.policies {
				id.Policies = append(id.Policies, idPolicy(t, "inline policy p"+string(rune('0'+i)), p))
			}
			if tc.boundary != nil {
				b := idPolicy(t, "managed policy arn:aws:iam::111122223333:policy/Boundary", tc.boundary...)
				id.Boundary = &b
			}
			why := m.DecideEffective(id, "kms:DisableKey").Why()
			for _, w := range tc.want {
				assert.Contains(t, why, w)
			}
			if tc.boundary == nil {
				assert.NotContains(t, why, "the key policy allows the role's ARN", "no boundary, none limits")
			}
		})
	}
}
