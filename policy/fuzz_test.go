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

		a := Analyze(d, own)
		principals := a.Principals()
		for _, p := range principals {
			a.Allowed(p, "kms:Encrypt")
			a.AllowedAll(p, UserActions)
			a.GrantConditions(p, "kms:Decrypt")
		}
		inPrincipals := func(ps []Principal) {
			for _, p := range ps {
				found := false
				for _, q := range principals {
					found = found || q.id() == p.id()
				}
				if !found || a.isOwnRoot(p) {
					t.Fatalf("%s: not one of Principals() or the own root", p.ARN)
				}
			}
		}
		inPrincipals(a.Administrators())
		inPrincipals(a.Users())
		inPrincipals(a.DeletionHolders())
		a.HoldersAll(AdobeActions)
		a.HoldersAny(AdobeForbiddenActions())
		for _, i := range a.RootDelegation() {
			if d.Statements[i].Effect != "Allow" {
				t.Fatalf("root delegation %d is not an Allow", i)
			}
		}
		for _, i := range a.Public() {
			if pinned, _ := a.Pinning(i); pinned {
				t.Fatalf("public statement %d is pinned", i)
			}
		}
		for i := -1; i <= len(d.Statements); i++ {
			a.Pinning(i)
		}
		a.ExternalAccounts()
		a.UnknownPrincipals()
		for _, st := range d.Statements {
			for _, pats := range [][]string{st.Actions, st.NotActions} {
				for _, pat := range pats {
					MatchAction(pat, "kms:ScheduleKeyDeletion")
				}
			}
		}
	})
}

func BenchmarkAnalyze(b *testing.B) {
	data := readTestdata(b, "console_adobe.json")
	for b.Loop() {
		d, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		a := Analyze(d, own)
		if len(a.Administrators()) != 2 || len(a.Users()) != 6 {
			b.Fatal("unexpected result")
		}
	}
}
