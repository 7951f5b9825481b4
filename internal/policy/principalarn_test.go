package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Corpus 022, found by the differential test: "*" pinned with ArnLike
// aws:PrincipalArn arn:aws:iam::111122223333:role/*AEPKeyUser. The ARN
// operators compare the account field on its own (docARNOperators), and
// aws:PrincipalArn is the caller's own ARN (docPrincipalArn), so an
// identity of an account the policy names nowhere never matches: the key is
// not public. Negated operators then hold, so a Deny written with them
// applies to that identity.
func TestPrincipalArnPinToOneAccount(t *testing.T) {
	pin := func(op, pattern, action string) string {
		return allow(`{"AWS":"*"}`, `"`+action+`"`, cond(`{"`+op+`":{"aws:PrincipalArn":"`+pattern+`"}}`))
	}
	m := newModel(t, policyOf(
		pin("ArnLike", "arn:aws:iam::111122223333:role/*AEPKeyUser", "kms:Decrypt"),
		pin("ArnEquals", "arn:aws:iam::111122223333:role/*", "kms:Encrypt"),
		pin("StringLike", "arn:aws:iam::111122223333:role/*", "kms:GenerateDataKey"),
		pin("StringEquals", "arn:aws:iam::111122223333:role/AEPKeyUser", "kms:DescribeKey"),
		pin("ArnLike", "arn:aws:iam::*:role/AEPKeyUser", "kms:Sign"),
		pin("StringLike", "arn:*:iam::111122223333:role/*", "kms:Verify"),
		`{"Effect":"Deny","Principal":"*","Action":"kms:ReEncryptFrom","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}}`,
		`{"Effect":"Deny","Principal":"*","Action":"kms:ReEncryptTo","Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}}`,
		allow(`"*"`, `["kms:ReEncryptFrom","kms:ReEncryptTo"]`, "")), nil)
	stranger := WhoAnyOtherAccount()
	user := mustWho(t, "arn:aws:iam::111122223333:role/app/AEPKeyUser")
	tests := []struct {
		action          string
		stranger, owner Answer
		doc             string
	}{
		{"kms:Decrypt", NotAllowed, Allowed, docARNOperators},
		{"kms:Encrypt", NotAllowed, Allowed, docARNOperators},
		{"kms:GenerateDataKey", NotAllowed, Allowed, docPrincipalArn},
		{"kms:DescribeKey", NotAllowed, NotAllowed, docPrincipalArn},
		// The account field a wildcard: some identity of any account matches.
		{"kms:Sign", Conditional, NotAllowed, docARNOperators},
		// StringLike with a wildcard before the account: left open.
		{"kms:Verify", Conditional, Allowed, docOperators},
		// Deny unless the caller is of the own account: it applies.
		{"kms:ReEncryptFrom", NotAllowed, Allowed, docARNOperators},
		{"kms:ReEncryptTo", NotAllowed, Allowed, docOperators},
	}
	for _, tt := range tests {
		d := m.Decide(stranger, tt.action)
		assert.Equal(t, tt.stranger, d.Answer, "%s any-other-account (%s): %s", tt.action, tt.doc, d.Why())
		d = m.Decide(user, tt.action)
		assert.Equal(t, tt.owner, d.Answer, "%s own role (%s): %s", tt.action, tt.doc, d.Why())
	}
	// Another named account's identities are decided by the same field.
	other := WhoAccountIdentity("444455556666")
	assert.Equal(t, NotAllowed, m.Decide(other, "kms:Decrypt").Answer)
	assert.Equal(t, Conditional, m.Decide(other, "kms:Sign").Answer)
}
