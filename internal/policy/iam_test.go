package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Documentation the IAM expectations rest on.
const (
	docBoundaries  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
	docSameAccount = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html"
	docRootIAM     = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam"
)

const (
	rootDelegation = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`
	adminStmt      = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmin"},"Action":["kms:PutKeyPolicy","kms:DisableKey"],"Resource":"*"}`
)

func idPolicy(t testing.TB, name string, stmts ...string) IdentityPolicy {
	t.Helper()
	d, err := ParseIdentityPolicy([]byte(policyOf(stmts...)))
	require.NoError(t, err)
	return IdentityPolicy{Name: name, Doc: d}
}

func TestDecideEffective(t *testing.T) {
	const (
		allowDel    = `{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`
		allowAll    = `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
		denyDel     = `{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`
		allowThis   = `{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"` + testKey + `"}`
		allowOther  = `{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}`
		allowAllKey = `{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"arn:aws:kms:*:*:key/*"}`
		allowAlias  = `{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"arn:aws:kms:us-east-1:111122223333:alias/*"}`
		notAction   = `{"Effect":"Allow","NotAction":"kms:Decrypt","Resource":"*"}`
		notActDel   = `{"Effect":"Allow","NotAction":"kms:Schedule*","Resource":"*"}`
		notResOther = `{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:*:alias/*"}`
		notResThis  = `{"Effect":"Allow","Action":"kms:*","NotResource":"` + testKey + `"}`
		condIP      = `{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
		condDenyIP  = `{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
		condOther   = `{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"222233334444"}}}`
		condMine    = `{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`
		varRes      = `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/${aws:username}"}`
		boundNoDel  = `{"Effect":"Allow","Action":["kms:Describe*","kms:List*"],"Resource":"*"}`
		keyDenyDel  = `{"Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`
	)
	role := mustWho(t, "arn:aws:iam::111122223333:role/Ops")
	user := mustWho(t, bob)
	admin := mustWho(t, adm)
	console := policyOf(rootDelegation)
	noRoot := policyOf(adminStmt)
	tests := []struct {
		name, doc, keyPolicy string
		who                  Who
		action               string
		policies             []string
		boundary             []string
		want                 Answer
		viaIAM               bool
	}{
		{"inline allow on * through the root delegation", docRootIAM, console, role, "kms:ScheduleKeyDeletion", []string{allowDel}, nil, Allowed, true},
		{"no identity policy: nothing", docRootIAM, console, role, "kms:ScheduleKeyDeletion", nil, nil, NotAllowed, false},
		{"kms:* on *", docRootIAM, console, role, "kms:PutKeyPolicy", []string{allowAll}, nil, Allowed, true},
		{"identity allow without the root delegation does nothing", docRootIAM, noRoot, role, "kms:PutKeyPolicy", []string{allowAll}, nil, NotAllowed, false},
		{"explicit deny in another policy wins", docEvaluation, console, role, "kms:ScheduleKeyDeletion", []string{allowAll, denyDel}, nil, NotAllowed, false},
		{"explicit identity deny beats a key policy allow", docEvaluation, noRoot, admin, "kms:DisableKey", []string{`{"Effect":"Deny","Action":"kms:DisableKey","Resource":"*"}`}, nil, NotAllowed, false},
		{"key policy allow needs no identity policy", docSameAccount, noRoot, admin, "kms:DisableKey", nil, nil, Allowed, false},
		{"key policy deny beats an identity allow", docEvaluation, policyOf(rootDelegation, keyDenyDel), role, "kms:ScheduleKeyDeletion", []string{allowAll}, nil, NotAllowed, false},
		{"this key's ARN", docResource, console, role, "kms:ScheduleKeyDeletion", []string{allowThis}, nil, Allowed, true},
		{"another key's ARN", docResource, console, role, "kms:ScheduleKeyDeletion", []string{allowOther}, nil, NotAllowed, false},
		{"every key by wildcard ARN", docResource, console, role, "kms:ScheduleKeyDeletion", []string{allowAllKey}, nil, Allowed, true},
		{"an alias ARN never matches a key action's resource", docResource, console, role, "kms:ScheduleKeyDeletion", []string{allowAlias}, nil, NotAllowed, false},
		{"NotAction not listing the action allows it", docNotAction, console, role, "kms:DisableKey", []string{notAction}, nil, Allowed, true},
		{"NotAction listing the action does not", docNotAction, console, role, "kms:ScheduleKeyDeletion", []string{notActDel}, nil, NotAllowed, false},
		{"NotResource naming aliases reaches the key", docNotResource, console, role, "kms:DisableKey", []string{notResOther}, nil, Allowed, true},
		{"NotResource naming the key excludes it", docNotResource, console, role, "kms:DisableKey", []string{notResThis}, nil, NotAllowed, false},
		{"request condition: CONDITIONAL", docCondition, console, role, "kms:DisableKey", []string{condIP}, nil, Conditional, true},
		{"conditional deny makes an allow CONDITIONAL", docCondition, console, role, "kms:DisableKey", []string{allowAll, condDenyIP}, nil, Conditional, true},
		{"principal condition resolved: other account", docGlobalKeys, console, role, "kms:DisableKey", []string{condOther}, nil, NotAllowed, false},
		{"principal condition resolved: own account", docGlobalKeys, console, role, "kms:DisableKey", []string{condMine}, nil, Allowed, true},
		{"policy variable in Resource: CONDITIONAL", docVariables, console, user, "kms:DisableKey", []string{varRes}, nil, Conditional, true},
		{"boundary without the action removes it", docBoundaries, console, role, "kms:ScheduleKeyDeletion", []string{allowAll}, []string{boundNoDel}, NotAllowed, false},
		{"boundary with the action keeps it", docBoundaries, console, role, "kms:ScheduleKeyDeletion", []string{allowDel}, []string{allowAll}, Allowed, true},
		{"boundary alone grants nothing", docBoundaries, console, role, "kms:ScheduleKeyDeletion", nil, []string{allowAll}, NotAllowed, false},
		{"boundary deny wins", docBoundaries, console, role, "kms:ScheduleKeyDeletion", []string{allowAll}, []string{allowAll, denyDel}, NotAllowed, false},
		{"boundary limits a key policy allow to a role", docSameAccount, noRoot, admin, "kms:DisableKey", nil, []string{boundNoDel}, NotAllowed, false},
		{"boundary does not limit a key policy allow to a user", docSameAccount, policyOf(`{"Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"kms:DisableKey","Resource":"*"}`), user, "kms:DisableKey", nil, []string{boundNoDel}, Allowed, false},
		{"action case-insensitive", docAction, console, role, "kms:ScheduleKeyDeletion", []string{`{"Effect":"Allow","Action":"KMS:schedulekeydeletion","Resource":"*"}`}, nil, Allowed, true},
		{"other service's action", docAction, console, role, "kms:ScheduleKeyDeletion", []string{`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`}, nil, NotAllowed, false},
		{"conditional delegation", docRootIAM, policyOf(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`), role, "kms:DisableKey", []string{allowAll}, nil, Conditional, true},
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
			d := m.DecideEffective(id, tc.action)
			assert.Equal(t, tc.want, d.Answer, "%s\n%s", tc.doc, d.Why())
			assert.Equal(t, tc.viaIAM, d.ViaIAM, d.Why())
			assert.Contains(t, d.Why(), "service control")
			if tc.want != NotAllowed && tc.viaIAM {
				assert.NotEmpty(t, d.Sources())
				assert.Contains(t, strings.Join(d.Sources(), ";"), "inline policy p")
			}
		})
	}
}

func TestParseIdentityPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[]`, "must be a JSON object"},
		{`{"Version":"2012-10-17"}`, "Statement: missing"},
		{`{"Statement":{"Effect":"Allow","Action":"kms:*"}}`, "neither Resource nor NotResource"},
		{`{"Statement":{"Effect":"Allow","Resource":"*"}}`, "neither Action nor NotAction"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`, "names no principal"},
		{`{"Statement":{"Effect":"Maybe","Action":"kms:*","Resource":"*"}}`, "Effect"},
		{`{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Extra":1}}`, "unknown field"},
		{`{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{}}}]}`, "names no condition key"},
		{`{`, "invalid JSON"},
		{strings.Repeat(" ", MaxIdentityPolicySize+1), "limit"},
	} {
		_, err := ParseIdentityPolicy([]byte(tc.in))
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.want)
	}
	d, err := ParseIdentityPolicy([]byte(`{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`))
	require.NoError(t, err)
	assert.Len(t, d.Statements, 1)
}

func FuzzParseIdentityPolicy(f *testing.F) {
	f.Add([]byte(policyOf(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`)))
	m, err := NewModel(nil, testKey, nil)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseIdentityPolicy(b)
		if err != nil {
			return
		}
		id := Identity{Who: Who{Kind: WhoKindRole, ARN: "arn:aws:iam::111122223333:role/R", Account: own, Name: "R"}, Policies: []IdentityPolicy{{Name: "p", Doc: d}}, Boundary: &IdentityPolicy{Name: "b", Doc: d}}
		_ = m.DecideEffective(id, "kms:DisableKey")
	})
}

func TestDecideIdentity(t *testing.T) {
	role := mustWho(t, "arn:aws:iam::111122223333:role/Ops")
	const (
		all        = `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
		keysOnly   = `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/*"}`
		denyCreate = `{"Effect":"Deny","Action":"kms:CreateKey","Resource":"*"}`
	)
	for _, tc := range []struct {
		name, doc, action, resource string
		policies, boundary          []string
		want                        Answer
	}{
		{"kms:* on * allows CreateKey", docEvaluation, "kms:CreateKey", "*", []string{all}, nil, Allowed},
		{"a key ARN pattern does not reach an action without a resource", docResource, "kms:CreateKey", "*", []string{keysOnly}, nil, NotAllowed},
		{"a key ARN pattern reaches Encrypt on a key", docResource, "kms:Encrypt", testKey, []string{keysOnly}, nil, Allowed},
		{"an explicit Deny wins", docEvaluation, "kms:CreateKey", "*", []string{all, denyCreate}, nil, NotAllowed},
		{"a boundary without it removes it", docBoundaries, "kms:CreateKey", "*", []string{all}, []string{`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}`}, NotAllowed},
		{"nothing allows it", docEvaluation, "kms:CreateKey", "*", nil, nil, NotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := Identity{Who: role}
			for _, p := range tc.policies {
				id.Policies = append(id.Policies, idPolicy(t, "inline policy p", p))
			}
			if tc.boundary != nil {
				b := idPolicy(t, "boundary", tc.boundary...)
				id.Boundary = &b
			}
			got, _ := DecideIdentity(id, tc.action, tc.resource)
			assert.Equal(t, tc.want, got, tc.doc)
		})
	}
}
