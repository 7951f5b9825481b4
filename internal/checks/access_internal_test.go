package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// The summaries keep every observed text short: a few items, then a count.
func TestSummaries(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e", "f"}
	assert.Equal(t, "a; b; c", bounded(items[:3], 3), "exactly the bound: no count")
	assert.Equal(t, "a; b; c; and 3 more", bounded(items, 3))
	assert.Equal(t, "none", boundedOrNone(nil))

	assert.Equal(t, "a, b, c, d", names(items[:maxItems]), "exactly the bound: no count")
	assert.Equal(t, "a, b, c, d and 2 more", names(items))
	assert.Equal(t, "none", names(nil))

	acts := []string{"kms:Sign", "kms:Decrypt", "kms:Encrypt", "kms:Verify"}
	assert.Equal(t, "kms:Decrypt, kms:Encrypt, kms:Sign", actionList(acts[:3]), "sorted; exactly the bound")
	assert.Equal(t, "kms:Decrypt, kms:Encrypt, kms:Sign and 1 more", actionList(acts))
	assert.Equal(t, []string{"kms:Sign", "kms:Decrypt", "kms:Encrypt", "kms:Verify"}, acts, "the caller's list is not reordered")

	srcs := []policy.Source{{Statement: 0}, {Statement: 1, Sid: "S"}, {Statement: -1, GrantID: "g"}, {Statement: 3}}
	assert.Equal(t, `statement 0, statement 1 (Sid "S"), grant g`, sources(srcs[:3]))
	assert.Equal(t, `statement 0, statement 1 (Sid "S"), grant g and 1 more`, sources(srcs))

	assert.Equal(t, "", detailed("x: ", nil))
	assert.Equal(t, "x: a; b", detailed("x: ", items[:2]))
	assert.Equal(t, "", prefixed("x: ", nil))
	assert.Equal(t, "a; c", sentence("a", "", "c"))
}

// Each way a decision comes about is worded, the deciding sources named.
func TestAnswerWording(t *testing.T) {
	allow := []policy.Source{{Statement: 2}}
	tests := []struct {
		d    policy.Decision
		want string
	}{
		{policy.Decision{Answer: policy.NotAllowed, Allow: allow, CrossAccountBlocked: true},
			"NOT ALLOWED across accounts (statement 2 would allow it, but AWS never allows it to another account)"},
		{policy.Decision{Answer: policy.NotAllowed, IAMDecides: true, Delegation: []policy.Source{{Statement: 0}}}, "IAM policies decide (statement 0)"},
		{policy.Decision{Answer: policy.NotAllowed, IAMDecides: true, Delegation: []policy.Source{{Statement: 0}},
			Deny: []policy.Source{{Statement: 4, Conditional: true, Unresolved: []string{"aws:SourceIp"}}}},
			"IAM policies decide (statement 0), unless denied by statement 4 (on aws:SourceIp)"},
		{policy.Decision{Answer: policy.Allowed, Allow: allow}, "ALLOWED by statement 2"},
		{policy.Decision{Answer: policy.Conditional, Allow: allow, Unresolved: []string{"kms:ViaService"}}, "CONDITIONAL on kms:ViaService (allowed by statement 2)"},
		{policy.Decision{Answer: policy.Conditional, Allow: allow, Unresolved: []string{"aws:SourceIp"},
			Deny: []policy.Source{{Statement: 5, Conditional: true}}}, "CONDITIONAL on aws:SourceIp (allowed by statement 2; denied by statement 5)"},
		{policy.Decision{Answer: policy.NotAllowed, Allow: allow, Deny: []policy.Source{{Statement: 5, Conditional: true}, {Statement: 6}}},
			"NOT ALLOWED: denied by statement 6"},
		{policy.Decision{Answer: policy.NotAllowed}, "NOT ALLOWED: no statement or grant allows it"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, answer(tt.d))
	}
	assert.Equal(t, []string{"a", "b"}, unresolvedOf([]policy.Source{{Unresolved: []string{"a"}}, {Unresolved: []string{"a", "b"}}}))
}
