package policy

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A model answers each question once: asked again it gives the same
// decision back without working it out (no allocation), whoever asked
// first, and what a caller does with an answer never changes the next.
func TestDecideAnswersEachQuestionOnce(t *testing.T) {
	d := mustParse(t, doc(
		`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"`+ownRoot+`"},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":["kms:Decrypt","kms:PutKeyPolicy"],"Resource":"*"}`,
		`{"Sid":"Ctx","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:EncryptionContext:app":"x"}}}`))
	m, err := NewModel(d, testKey, []Grant{
		{GrantId: "g", GranteePrincipal: ownAdmin, Operations: []string{"Decrypt"}},
		{GrantId: "h", GranteePrincipal: ownAdmin, Operations: []string{"Decrypt"}},
	})
	require.NoError(t, err)
	admin := mustWho(t, ownAdmin)

	first := m.Decide(admin, "kms:Decrypt")
	require.Equal(t, Conditional, first.Answer, first.Why())
	assert.Zero(t, testing.AllocsPerRun(10, func() { m.Decide(admin, "kms:Decrypt") }), "asked again: the kept answer")

	// The combined decision sets Through on its sources; the model's own
	// answer leaves it empty (Decide says so).
	ed := m.DecideEffective(Identity{Who: admin}, "kms:Decrypt")
	require.NotEmpty(t, ed.Key.Allow)
	assert.Equal(t, ThroughRole, ed.Key.Allow[0].Through)
	again := m.Decide(admin, "kms:Decrypt")
	assert.Equal(t, first, again)
	for _, s := range again.Allow {
		assert.Empty(t, s.Through, s.String())
	}

	// Two callers appending to the same answer's lists do not write into
	// each other's.
	require.Len(t, first.Allow, 3)
	mine := append(m.Decide(admin, "kms:Decrypt").Allow, Source{Statement: 9})
	theirs := append(m.Decide(admin, "kms:Decrypt").Allow, Source{Statement: 10})
	assert.Equal(t, 9, mine[3].Statement)
	assert.Equal(t, 10, theirs[3].Statement)
	assert.Equal(t, first, m.Decide(admin, "kms:Decrypt"))

	// Another model's answers are its own.
	other, err := NewModel(mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":"kms:Encrypt","Resource":"*"}`)), testKey, nil)
	require.NoError(t, err)
	assert.Equal(t, NotAllowed, other.Decide(admin, "kms:Decrypt").Answer)
}

// Every field of Who takes part in the question: a session whose role's
// path is known is not the session without it.
func TestDecideTellsWhoByEveryField(t *testing.T) {
	m, err := NewModel(mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/team/App"}}}`)), testKey, nil)
	require.NoError(t, err)
	bare := mustWho(t, "arn:aws:sts::111122223333:assumed-role/App/s1")
	withPath, err := WhoRoleSession("arn:aws:iam::111122223333:role/team/App", "s1")
	require.NoError(t, err)
	require.Equal(t, bare.String(), withPath.String())
	assert.Equal(t, Conditional, m.Decide(bare, "kms:Decrypt").Answer, "the role's path is not known")
	assert.Equal(t, Allowed, m.Decide(withPath, "kms:Decrypt").Answer, "the role's path is known")
	assert.Equal(t, Conditional, m.Decide(bare, "kms:Decrypt").Answer)
}

// Fleets judge keys in parallel, and nothing stops two goroutines asking
// one model: run with -race.
func TestDecideConcurrently(t *testing.T) {
	m, err := NewModel(mustParse(t, string(readTestdata(t, "console_adobe.json"))), testKey, nil)
	require.NoError(t, err)
	want := map[string]Answer{}
	who := WhoAccountIdentity(own)
	for _, a := range KMSActions() {
		want[a] = m.DecideEffective(Identity{Who: who}, a).Answer
	}
	m, err = NewModel(mustParse(t, string(readTestdata(t, "console_adobe.json"))), testKey, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	got := make([]map[string]Answer, 4)
	for g := range got {
		got[g] = map[string]Answer{}
		wg.Go(func() {
			for _, a := range KMSActions() {
				got[g][a] = m.DecideEffective(Identity{Who: who}, a).Answer
			}
		})
	}
	wg.Wait()
	for _, g := range got {
		assert.Equal(t, want, g)
	}
}

// The memo keeps a question nothing reaches as a mark, not a decision:
// asked again, every kind of question gets back what it got first, and a
// question reached only by a Deny, only by the root delegation, or about
// an action outside the table is not taken for one nothing reaches.
func TestDecideAgainGivesTheSameDecision(t *testing.T) {
	m, err := NewModel(mustParse(t, doc(
		`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"`+ownRoot+`"},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":"kms:Decrypt","Resource":"*"}`,
		`{"Sid":"NoOther","Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"kms:Encrypt","Resource":"*"}`,
		`{"Sid":"Describe","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:DescribeKey","Resource":"*"}`)), testKey, nil)
	require.NoError(t, err)
	admin, other := mustWho(t, ownAdmin), WhoAccountIdentity("444455556666")
	for _, q := range []struct {
		who    Who
		action string
		what   func(Decision) bool
	}{
		{admin, "kms:Decrypt", func(d Decision) bool { return d.Answer == Allowed }},
		{WhoAccountIdentity(own), "kms:Encrypt", func(d Decision) bool { return d.IAMDecides && len(d.Allow) == 0 }},
		{other, "kms:Encrypt", func(d Decision) bool { return len(d.Deny) == 1 && len(d.Allow) == 0 }},
		{other, "kms:DescribeKey", func(d Decision) bool { return d.Answer == Allowed && len(d.Delegation) == 0 }},
		{other, "kms:Decrypt", func(d Decision) bool { return d.Answer == NotAllowed && !d.UnknownAction }},
		{other, "kms:NoSuchAction", func(d Decision) bool { return d.Answer == NotAllowed && d.UnknownAction }},
		{WhoAccountIdentity(own), "kms:NoSuchAction", func(d Decision) bool { return d.UnknownAction && d.IAMDecides }},
		{other, "kms:decrypt", func(d Decision) bool { return d.Answer == NotAllowed && !d.UnknownAction }},
	} {
		first := m.Decide(q.who, q.action)
		require.True(t, q.what(first), first.Why())
		assert.Equal(t, first, m.Decide(q.who, q.action), first.Why())
		assert.Equal(t, first.Why(), m.Decide(q.who, q.action).Why())
	}
}

// A source's name quotes its Sid as %q does, whether or not the Sid needs
// escaping.
func TestSourceNameQuotesTheSid(t *testing.T) {
	for _, sid := range []string{"Admin", "Allow use 1", "~ !", `a"b`, `a\b`, "tab\there", "é", "\x7f", "\x1f", "x\xff", "日本"} {
		assert.Equal(t, fmt.Sprintf("statement 3 (Sid %q)", sid), Source{Statement: 3, Sid: sid}.String(), sid)
		assert.Equal(t, fmt.Sprintf("key policy statement 3 (Sid %q)", sid), Source{Statement: 3, Sid: sid}.KeyPolicyName(), sid)
	}
	assert.Equal(t, "statement 3", Source{Statement: 3}.String())
}
