package policy

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func FuzzParseAnalyze(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		doc(),
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}}`,
		doc(`{"Effect":"Allow","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/A"]},"NotAction":["kms:Put*","kms:?ncrypt"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`),
		doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt"],"Condition":{"ArnEquals":{"aws:PrincipalArn":["arn:aws:iam::222233334444:role/R"]},"StringEquals":{"kms:CallerAccount":["333344445555",12,true]}}}`),
		doc(`{"Effect":"Deny","Principal":"*","Action":"kms:*"}`, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root","Service":"logs.amazonaws.com","Federated":"arn:aws:iam::111122223333:saml-provider/X","CanonicalUser":"ab"},"Action":"*"}`),
		`{"Statement":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		agreesWithEncodingJSON(t, data)
		d, err := Parse(data)
		if err != nil {
			if d != nil {
				t.Fatal("a document with an error")
			}
			return
		}
		for i, st := range d.Statements {
			if st.Index != i || (st.Effect != "Allow" && st.Effect != "Deny") ||
				(st.Principal == nil) == (st.NotPrincipal == nil) || (st.Actions == nil) == (st.NotActions == nil) {
				t.Fatalf("statement %d breaks a Parse invariant: %+v", i, st)
			}
			if !sort.SliceIsSorted(st.Conditions, func(a, b int) bool {
				ca, cb := st.Conditions[a], st.Conditions[b]
				return ca.Operator < cb.Operator || ca.Operator == cb.Operator && ca.Key < cb.Key
			}) {
				t.Fatalf("statement %d: conditions not sorted", i)
			}
		}

		// The model answers every question about every principal it names,
		// and its answers keep the spec's invariants.
		m, err := NewModel(d, testKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Principals() {
			for _, act := range []string{"kms:Encrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"} {
				dd := m.Decide(w, act)
				if dd.Grants() && !dd.Risks() {
					t.Fatalf("%s: granted but not held", dd.Why())
				}
				if dd.Answer == Allowed && dd.IAMDecides {
					t.Fatalf("%s: ALLOWED and left to IAM", dd.Why())
				}
				if dd.Delegated() && !dd.IAMDecides {
					t.Fatalf("%s: delegated without the delegation", dd.Why())
				}
			}
			m.IsAdministrator(w)
			m.IsKeyUser(w)
		}
		for _, dd := range m.Public() {
			if !dd.Risks() || dd.OrgOnly() {
				t.Fatalf("public on %s", dd.Why())
			}
		}
		for _, st := range d.Statements {
			for _, pats := range [][]string{st.Actions, st.NotActions} {
				for _, pat := range pats {
					MatchAction(pat, "kms:ScheduleKeyDeletion")
				}
			}
		}
	})
}

// BenchmarkAnalyze parses the console policy and finds its administrators
// and key users, as the checks do.
func BenchmarkAnalyze(b *testing.B) {
	data := readTestdata(b, "console_adobe.json")
	for b.Loop() {
		d, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		m, err := NewModel(d, testKey, nil)
		if err != nil {
			b.Fatal(err)
		}
		admins, users := 0, 0
		for _, w := range m.Principals() {
			if m.IsAdministrator(w) {
				admins++
			}
			if m.IsKeyUser(w) {
				users++
			}
		}
		if admins != 2 || users != 6 {
			b.Fatalf("unexpected result: %d administrators, %d key users", admins, users)
		}
	}
}
