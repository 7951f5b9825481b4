package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cases of the old Analysis tests that still say something true,
// asked of the model.

var (
	cjaAccounts = []string{"767397686373", "730335345392", "891377157113"}
	admins      = []string{"arn:aws:iam::111122223333:role/KeyAdmin", "arn:aws:iam::111122223333:user/ops/alice"}
	keyUsers    = []string{"arn:aws:iam::111122223333:role/service-role/app/DataPipeline", "arn:aws:iam::111122223333:user/bob"}
)

// whoHolding lists the principals asked about that satisfy pred.
func whoHolding(m *Model, pred func(Who) bool) []string {
	var out []string
	for _, w := range m.Principals() {
		if pred(w) {
			out = append(out, w.String())
		}
	}
	return out
}

func allowedBy(d Decision) []int {
	var out []int
	for _, s := range d.Allow {
		out = append(out, s.Statement)
	}
	return out
}

func TestConsolePolicyWithAdobe(t *testing.T) {
	m := newModel(t, string(readTestdata(t, "console_adobe.json")), nil)

	assert.Equal(t, admins, whoHolding(m, m.IsAdministrator))
	// Adobe's accounts are key users too; CMK-USR-1 looks at the own account's.
	assert.Equal(t, []string{"account:444455556666", "account:730335345392", "account:767397686373", "account:891377157113",
		keyUsers[0], keyUsers[1]}, whoHolding(m, m.IsKeyUser))
	assert.Equal(t, admins, whoHolding(m, m.HoldsDeletion), "the console's deletion checkbox was ticked")
	assert.Empty(t, m.Public())
	assert.Empty(t, m.Notes())

	for _, acct := range append([]string{adobe}, cjaAccounts...) {
		w := WhoAccountIdentity(acct)
		for _, d := range m.DecideAll(w, AdobeActions) {
			assert.True(t, d.Grants(), d.Why())
		}
		for _, d := range m.DecideAll(w, BeyondPlatformActions()) {
			assert.False(t, d.Risks(), d.Why())
		}
		d := m.Decide(w, "kms:PutKeyPolicy")
		assert.False(t, d.CrossAccountBlocked, "no statement gives it: %s", d.Why())
	}
	// Statements 0 and 4 share a Sid; each is still its own statement.
	assert.Equal(t, []int{4}, allowedBy(m.Decide(WhoAccountIdentity(adobe), "kms:Encrypt")))
	ownOther := WhoAccountIdentity(own)
	d := m.Decide(ownOther, "kms:Encrypt")
	assert.True(t, d.IAMDecides)
	assert.Equal(t, 0, d.Delegation[0].Statement)
	assert.True(t, m.Decide(ownOther, "kms:PutKeyPolicy").Delegated())

	bob := mustWho(t, ownUser)
	assert.Equal(t, []int{2}, allowedBy(m.Decide(bob, "kms:ReEncryptTo")))
	d = m.Decide(bob, "kms:CreateGrant")
	assert.Equal(t, []int{3}, allowedBy(d))
	assert.Equal(t, []string{"kms:GrantIsForAWSResource"}, d.Unresolved)
	assert.True(t, d.Grants(), "a how-only condition counts on the grant side")
	assert.Equal(t, Allowed, m.Decide(bob, "kms:Encrypt").Answer)
	assert.False(t, m.Decide(bob, "kms:PutKeyPolicy").Risks())

	// The root delegation does not let an unnamed role in by itself.
	stranger := mustWho(t, "arn:aws:iam::111122223333:role/Other")
	for _, d := range m.DecideAll(stranger, KMSActions()) {
		assert.False(t, d.Risks(), d.Why())
		assert.True(t, d.IAMDecides || d.UnknownAction, d.Why())
	}
}

// The platform's statements replaced the default policy instead of being
// added to it: one of them still carries the Sid "Enable IAM User
// Permissions", but no root delegation is left.
func TestReplacedPolicyHasNoRootDelegation(t *testing.T) {
	d := mustParse(t, string(readTestdata(t, "console_adobe.json")))
	d.Statements = d.Statements[4:]
	for i := range d.Statements {
		d.Statements[i].Index = i
	}
	require.Equal(t, "Enable IAM User Permissions", d.Statements[0].Sid)
	m, err := NewModel(d, testKey, nil)
	require.NoError(t, err)
	assert.Empty(t, whoHolding(m, m.IsAdministrator))
	assert.Len(t, whoHolding(m, m.IsKeyUser), 4, "only Adobe's accounts")
	assert.Empty(t, whoHolding(m, func(w Who) bool {
		dd := m.Decide(w, "kms:PutKeyPolicy")
		return dd.Risks() || dd.Delegated()
	}))
}

func TestSameSidDifferentStatements(t *testing.T) {
	m := newModel(t, policyOf(
		`{"Sid":"S","Effect":"Allow","Principal":{"AWS":["`+ownAdmin+`","`+ownUser+`"]},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"S","Effect":"Deny","Principal":{"AWS":"`+ownUser+`"},"Action":"kms:Decrypt","Resource":"*"}`,
	), nil)
	assert.Equal(t, Allowed, m.Decide(mustWho(t, ownAdmin), "kms:Decrypt").Answer)
	assert.Equal(t, NotAllowed, m.Decide(mustWho(t, ownUser), "kms:Decrypt").Answer)
	assert.Equal(t, Allowed, m.Decide(mustWho(t, ownUser), "kms:Encrypt").Answer)
}

// Action and NotAction: case-insensitive globs; NotAction gives the rest.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func TestActionForms(t *testing.T) {
	tests := []struct {
		name, action string // the statement's Action or NotAction element
		probe        string
		want         bool
	}{
		{"exact", `"Action":"kms:Encrypt"`, "kms:Encrypt", true},
		{"case in policy", `"Action":"KMS:ENCRYPT"`, "kms:Encrypt", true},
		{"case in probe", `"Action":"kms:Encrypt"`, "KMS:encrypt", true},
		{"other action", `"Action":"kms:Encrypt"`, "kms:Decrypt", false},
		{"list", `"Action":["kms:Encrypt","kms:Decrypt"]`, "kms:Decrypt", true},
		{"star", `"Action":"*"`, "kms:ScheduleKeyDeletion", true},
		{"kms star", `"Action":"kms:*"`, "kms:ScheduleKeyDeletion", true},
		{"prefix star", `"Action":"kms:Schedule*"`, "kms:ScheduleKeyDeletion", true},
		{"question mark", `"Action":"kms:?ncrypt"`, "kms:Encrypt", true},
		{"question mark one char", `"Action":"kms:?crypt"`, "kms:Encrypt", false},
		{"other service", `"Action":"s3:*"`, "kms:Encrypt", false},
		{"not action grants the rest", `"NotAction":"kms:Decrypt"`, "kms:Encrypt", true},
		{"not action excludes", `"NotAction":"kms:Decrypt"`, "kms:Decrypt", false},
		{"not action wildcard", `"NotAction":["kms:Put*","kms:Schedule*"]`, "kms:PutKeyPolicy", false},
		{"not action all", `"NotAction":"kms:*"`, "kms:Encrypt", false},
		{"not action other service", `"NotAction":"s3:*"`, "kms:ScheduleKeyDeletion", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, policyOf(`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},`+tt.action+`,"Resource":"*"}`), nil)
			assert.Equal(t, tt.want, m.Decide(mustWho(t, ownAdmin), tt.probe).Answer == Allowed)
		})
	}
}

func TestNotActionAdministrator(t *testing.T) {
	m := newModel(t, policyOf(`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"NotAction":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}`), nil)
	admin := mustWho(t, ownAdmin)
	assert.True(t, m.IsAdministrator(admin))
	assert.False(t, m.IsKeyUser(admin))
	assert.True(t, m.HoldsDeletion(admin))
}

// An applicable Deny beats every Allow, in any order; one that may apply
// leaves the Allow CONDITIONAL; a condition on who calls is settled.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestDenyReadings(t *testing.T) {
	allowAll := `{"Effect":"Allow","Principal":{"AWS":["` + ownAdmin + `","` + ownUser + `"]},"Action":"kms:*","Resource":"*"}`
	tests := []struct {
		name, deny  string
		admin, user Answer // kms:Decrypt
	}{
		{"listed", deny(`{"AWS":"`+ownUser+`"}`, `"kms:Decrypt"`, ""), Allowed, NotAllowed},
		{"star", deny(`"*"`, `"kms:Decrypt"`, ""), NotAllowed, NotAllowed},
		{"aws star", deny(`{"AWS":"*"}`, `"kms:Dec*"`, ""), NotAllowed, NotAllowed},
		{"other action", deny(`"*"`, `"kms:Encrypt"`, ""), Allowed, Allowed},
		{"not action", `{"Effect":"Deny","Principal":"*","NotAction":"kms:Encrypt","Resource":"*"}`, NotAllowed, NotAllowed},
		{"not action excluded", `{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}`, Allowed, Allowed},
		// A user listed with its account is exempt; a role listed without
		// its sessions is not (docNotPrincipal).
		{"not principal", `{"Effect":"Deny","NotPrincipal":{"AWS":["` + own + `","` + ownUser + `","` + ownAdmin + `"]},"Action":"kms:Decrypt","Resource":"*"}`, NotAllowed, Allowed},
		{"conditional on the request", deny(`"*"`, `"kms:Decrypt"`, cond(`{"Bool":{"aws:SecureTransport":"false"}}`)), Conditional, Conditional},
		{"conditional on the caller's account", deny(`"*"`, `"kms:*"`, cond(`{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`)), Allowed, Allowed},
		{"to the own account reaches its roles and users", deny(`{"AWS":"`+ownRoot+`"}`, `"kms:*"`, ""), NotAllowed, NotAllowed},
		{"to another account does not", deny(`{"AWS":"arn:aws:iam::222233334444:root"}`, `"kms:*"`, ""), Allowed, Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []*Model{newModel(t, policyOf(allowAll, tt.deny), nil), newModel(t, policyOf(tt.deny, allowAll), nil)} {
				assert.Equal(t, tt.admin, m.Decide(mustWho(t, ownAdmin), "kms:Decrypt").Answer, "admin")
				assert.Equal(t, tt.user, m.Decide(mustWho(t, ownUser), "kms:Decrypt").Answer, "user")
			}
		})
	}
}

func TestAdminAndUserSets(t *testing.T) {
	m := newModel(t, policyOf(
		// almost an admin: no kms:DeleteAlias
		allow(`{"AWS":"arn:aws:iam::111122223333:role/Almost"}`, `["kms:PutKeyPolicy","kms:Enable*","kms:Disable*","kms:Update*","kms:TagResource","kms:UntagResource","kms:CreateAlias"]`, ""),
		// the admin actions split over two statements
		allow(`{"AWS":"`+ownAdmin+`"}`, `["kms:PutKeyPolicy","kms:Enable*","kms:Disable*"]`, ""),
		allow(`{"AWS":"`+ownAdmin+`"}`, `["kms:UpdateKeyDescription","kms:*Resource","kms:*Alias"]`, ""),
		// a user whose grant narrows the calling service only
		allow(`{"AWS":"`+ownUser+`"}`, `["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"]`, cond(`{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)),
		// almost a user: GenerateDataKeyPair only
		allow(`{"AWS":"arn:aws:iam::111122223333:user/carol"}`, `["kms:Encrypt","kms:Decrypt","kms:GenerateDataKeyPair","kms:DescribeKey"]`, "")), nil)
	assert.Equal(t, []string{ownAdmin}, whoHolding(m, m.IsAdministrator))
	assert.Equal(t, []int{1}, allowedBy(m.Decide(mustWho(t, ownAdmin), "kms:PutKeyPolicy")))
	assert.Equal(t, []int{0}, allowedBy(m.Decide(mustWho(t, "arn:aws:iam::111122223333:role/Almost"), "kms:CreateAlias")))
	assert.Equal(t, []string{ownUser}, whoHolding(m, m.IsKeyUser))
	assert.Empty(t, whoHolding(m, m.HoldsDeletion))
	d := m.Decide(mustWho(t, ownUser), "kms:Decrypt")
	assert.Equal(t, Conditional, d.Answer)
	assert.True(t, d.HowOnly(), d.Why())
}

func TestEmptyAndNilPolicies(t *testing.T) {
	for name, d := range map[string]*Document{
		"empty statement list": mustParse(t, doc()),
		"nil document":         nil,
		"statements without effect or resource": {Statements: []Statement{
			{Effect: "Allow", Actions: []string{"*"}},
			{Effect: "Maybe", Principal: &PrincipalSet{Wildcard: true}, Actions: []string{"*"}},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := NewModel(d, testKey, nil)
			require.NoError(t, err)
			assert.Equal(t, []string{"account:111122223333", "anonymous", "any-other-account"}, whoHolding(m, func(Who) bool { return true }))
			assert.Empty(t, whoHolding(m, m.IsAdministrator))
			assert.Empty(t, whoHolding(m, m.IsKeyUser))
			assert.Empty(t, whoHolding(m, m.HoldsDeletion))
			assert.Empty(t, m.Public())
			assert.False(t, m.Decide(WhoAccountIdentity(own), "kms:PutKeyPolicy").Delegated())
		})
	}
}

// Another account given kms:* is neither an administrator nor a deletion
// holder: those operations cannot be used across accounts, whatever the
// policy says. It still holds the cryptographic operations.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
func TestOtherAccountKMSStar(t *testing.T) {
	m := newModel(t, policyOf(allow(`{"AWS":"222233334444"}`, `"kms:*"`, "")), nil)
	w := WhoAccountIdentity(other)
	assert.False(t, m.IsAdministrator(w))
	assert.False(t, m.HoldsDeletion(w))
	assert.True(t, m.IsKeyUser(w))
	d := m.Decide(w, "kms:ScheduleKeyDeletion")
	assert.True(t, d.CrossAccountBlocked)
	assert.True(t, strings.Contains(d.Why(), "cannot be used across accounts"), d.Why())
}
