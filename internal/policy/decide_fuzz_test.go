package policy

import (
	"strings"
	"testing"
)

// Fragments the fuzzer builds statements from: the principal kinds,
// actions, resources and conditions the model distinguishes.
var (
	fuzzPrincipals = []string{
		`"*"`, `{"AWS":"*"}`, `{"AWS":"111122223333"}`, `{"AWS":"arn:aws:iam::111122223333:root"}`,
		`{"AWS":"` + adm + `"}`, `{"AWS":"` + pathed + `"}`, `{"AWS":"` + sess + `"}`, `{"AWS":"` + bob + `"}`,
		`{"AWS":"222233334444"}`, `{"AWS":"` + extRole + `"}`, `{"AWS":"AROAEXAMPLEID12345678"}`,
		`{"AWS":"arn:aws:iam::111122223333:group/g"}`, `{"Service":"logs.amazonaws.com"}`,
		`{"Federated":"accounts.google.com"}`, `{"AWS":["111122223333","` + adm + `","` + sess + `"]}`,
	}
	fuzzActions   = []string{`"kms:*"`, `"*"`, `"kms:Decrypt"`, `"kms:Schedule*"`, `["kms:PutKeyPolicy","kms:Encrypt"]`, `"kms:?ncrypt"`, `"s3:*"`}
	fuzzResources = []string{`,"Resource":"*"`, `,"Resource":"` + testKey + `"`, `,"Resource":"arn:aws:kms:*:111122223333:key/*"`,
		`,"NotResource":"arn:aws:kms:us-west-2:111122223333:key/*"`, `,"Resource":"arn:aws:kms:*"`, ``}
	fuzzConditions = []string{
		``,
		`,"Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`,
		`,"Condition":{"StringEquals":{"kms:CallerAccount":"222233334444"}}`,
		`,"Condition":{"ArnEquals":{"aws:PrincipalArn":"` + adm + `"}}`,
		`,"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/team/*"}}`,
		`,"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`,
		`,"Condition":{"Bool":{"aws:PrincipalIsAWSService":"true"}}`,
		`,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`,
		`,"Condition":{"Null":{"aws:SourceArn":"true"}}`,
		`,"Condition":{"StringNotEqualsIfExists":{"aws:SourceAccount":"111122223333"}}`,
		`,"Condition":{"StringLike":{"aws:PrincipalArn":"${aws:PrincipalArn}"}}`,
		`,"Condition":{"ForAllValues:StringEquals":{"aws:PrincipalServiceNamesList":"logs.amazonaws.com"}}`,
		`,"Condition":{"Weird":{"aws:PrincipalAccount":"111122223333"}}`,
	}
	fuzzWhos = []string{adm, pathed, sess, bob, ownRoot, "account:111122223333", "account:222233334444", extRole,
		"arn:aws:sts::222233334444:assumed-role/Ext/s", "any-other-account", "anonymous",
		"service:logs.amazonaws.com", "federated:accounts.google.com"}
	fuzzAsk = []string{"kms:Decrypt", "kms:Encrypt", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateGrant"}
)

// chooser hands out fuzz bytes as choices; exhausted input reads as zero.
type chooser struct{ data []byte }

func (c *chooser) pick(n int) int {
	if len(c.data) == 0 {
		return 0
	}
	b := c.data[0]
	c.data = c.data[1:]
	return int(b) % n
}

func (c *chooser) statement(effect string) string {
	pkey := `"Principal":`
	if c.pick(5) == 0 {
		pkey = `"NotPrincipal":`
	}
	akey := `"Action":`
	if c.pick(6) == 0 {
		akey = `"NotAction":`
	}
	return `{"Effect":"` + effect + `",` + pkey + fuzzPrincipals[c.pick(len(fuzzPrincipals))] + `,` + akey +
		fuzzActions[c.pick(len(fuzzActions))] + fuzzResources[c.pick(len(fuzzResources))] + fuzzConditions[c.pick(len(fuzzConditions))] + `}`
}

func decideAll(t *testing.T, policy string, grants []Grant, whos []Who) []Decision {
	t.Helper()
	d, err := Parse([]byte(policy))
	if err != nil {
		t.Fatalf("fragments built an invalid policy: %v\n%s", err, policy)
	}
	m, err := NewModel(d, testKey, grants, WithOrganizations(map[string][]string{"o-1": {"222233334444"}}))
	if err != nil {
		t.Fatal(err)
	}
	var out []Decision
	for _, w := range whos {
		for _, a := range fuzzAsk {
			out = append(out, m.Decide(w, a))
		}
	}
	return out
}

// FuzzDecideMonotone: adding a Deny never makes an answer ALLOWED that was
// not; adding an Allow never takes an ALLOWED away.
func FuzzDecideMonotone(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte("\x03\x00\x04\x00\x00\x00\x01\x05\x02\x00\x06\x01\x00\x07\x02\x09"))
	f.Add([]byte(strings.Repeat("\x07\x01\x0b\x02\x03\x04", 6)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &chooser{data: data}
		n := c.pick(5)
		var stmts []string
		for i := 0; i < n; i++ {
			effect := "Allow"
			if c.pick(3) == 0 {
				effect = "Deny"
			}
			stmts = append(stmts, c.statement(effect))
		}
		var grants []Grant
		if c.pick(2) == 0 {
			grants = append(grants, Grant{GrantId: "g", GranteePrincipal: strings.Trim(fuzzWhos[c.pick(8)], "account:"), Operations: []string{"Decrypt", "CreateGrant"}})
		}
		denyStmt := c.statement("Deny")
		allowStmt := c.statement("Allow")
		whos := make([]Who, len(fuzzWhos))
		for i, s := range fuzzWhos {
			w, err := ParseWho(s)
			if err != nil {
				t.Fatal(err)
			}
			whos[i] = w
		}
		base := decideAll(t, policyOf(stmts...), grants, whos)
		withDeny := decideAll(t, policyOf(append(append([]string(nil), stmts...), denyStmt)...), grants, whos)
		withAllow := decideAll(t, policyOf(append(append([]string(nil), stmts...), allowStmt)...), grants, whos)
		for i := range base {
			b := base[i]
			if withDeny[i].Answer == Allowed && b.Answer != Allowed {
				t.Fatalf("adding %s made %s %s ALLOWED (was %s)\nbefore: %s\nafter: %s", denyStmt, b.Who, b.Action, b.Answer, b.Why(), withDeny[i].Why())
			}
			if b.Answer == Allowed && withAllow[i].Answer != Allowed {
				t.Fatalf("adding %s made %s %s %s (was ALLOWED)\nbefore: %s\nafter: %s", allowStmt, b.Who, b.Action, withAllow[i].Answer, b.Why(), withAllow[i].Why())
			}
			if b.Answer == NotAllowed && (len(b.Unresolved) > 0 || b.HowOnly()) {
				t.Fatalf("a NOT ALLOWED answer with open keys: %s", b.Why())
			}
			if b.IAMDecides && (b.Answer != NotAllowed || len(b.Allow) > 0) {
				t.Fatalf("IAMDecides with a key-policy answer: %s", b.Why())
			}
		}
	})
}

// FuzzDecideAnyPolicy: no input makes the model panic, and its answers
// keep their invariants.
func FuzzDecideAnyPolicy(f *testing.F) {
	f.Add([]byte(string(mustReadFile(f, "testdata/console_adobe.json"))))
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","AROAX1234567890123456"]},"NotAction":"kms:Get*","NotResource":"arn:*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalArn":"${aws:PrincipalArn, 'x'}"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		m, err := NewModel(d, testKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Principals() {
			for _, a := range fuzzAsk {
				dec := m.Decide(w, a)
				if dec.Answer != Allowed && dec.Answer != NotAllowed && dec.Answer != Conditional {
					t.Fatalf("answer %q", dec.Answer)
				}
				if dec.Answer == Conditional && len(dec.Unresolved) == 0 {
					t.Fatalf("CONDITIONAL without a reason: %s", dec.Why())
				}
			}
		}
	})
}

func mustReadFile(tb testing.TB, name string) []byte {
	return readTestdata(tb, strings.TrimPrefix(name, "testdata/"))
}

// BenchmarkDecide answers every question about the console policy once, on
// a fresh model each time (NewModel without Parse included): a model keeps
// its answers, and asked again only looks them up.
func BenchmarkDecide(b *testing.B) {
	data := readTestdata(b, "console_adobe.json")
	d, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewModel(d, testKey, nil)
	if err != nil {
		b.Fatal(err)
	}
	whos := m.Principals(mustWhoB(b, ownAdmin), mustWhoB(b, ownUser))
	actions := KMSActions()
	for b.Loop() {
		m, err := NewModel(d, testKey, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range whos {
			for _, a := range actions {
				m.Decide(w, a)
			}
		}
	}
	b.ReportMetric(float64(len(whos)*len(actions)), "decisions/op")
}

func BenchmarkNewModel(b *testing.B) {
	data := readTestdata(b, "console_adobe.json")
	for b.Loop() {
		d, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewModel(d, testKey, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func mustWhoB(b *testing.B, s string) Who {
	w, err := ParseWho(s)
	if err != nil {
		b.Fatal(err)
	}
	return w
}
