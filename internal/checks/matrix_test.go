package checks_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// The access matrix asks the model the checks ask: a role nobody chose that
// can only decrypt through a grant, and an IAM role that can disable the
// key through its inline policy, are rows with the right marked and its
// source named; the chosen administrator's rights are not marked.
func TestAccessMatrix(t *testing.T) {
	s := compliant(t)
	withGrants(grant("g2", "arn:aws:iam::111122223333:role/Reader", "Decrypt"))(t, s)
	withIAM([]any{role(opsRole, map[string]any{"ops": iamDoc(false, `{"Effect":"Allow","Action":"kms:DisableKey","Resource":"*"}`)}, nil, "")}, nil, nil, nil)(t, s)
	_, rows := checks.Judge(s.state(t), mustProfile(t, "key_administrators: ["+admin+"]\nkey_users: ["+user+"]\nallow_key_deletion: true\n"+adobeAll))
	by := map[string]checks.AccessRow{}
	for _, r := range rows {
		by[r.Principal] = r
	}

	reader := by["arn:aws:iam::111122223333:role/Reader"]
	require.NotNil(t, reader.Use, "Decrypt alone is use")
	assert.Equal(t, checks.AccessCell{Answer: "ALLOWED", Actions: []string{"kms:Decrypt"}, Sources: []string{"grant g2"}, NotChosen: true}, *reader.Use)
	assert.False(t, reader.Chosen)

	ops := by[opsRole]
	require.NotNil(t, ops.Disable, "IAM gives the role DisableKey through the root delegation")
	assert.True(t, ops.Disable.NotChosen)
	assert.Contains(t, ops.Disable.Sources, `inline policy "ops" of role OpsAutomation statement 0`)

	adm := by[admin]
	assert.Equal(t, "chosen administrator", adm.As)
	require.NotNil(t, adm.Delete)
	assert.False(t, adm.Delete.NotChosen, "allow_key_deletion: true")
	require.NotNil(t, adm.Administer)
	assert.False(t, adm.Administer.NotChosen)

	assert.Equal(t, "Adobe account", by["account:222233334444"].As)
}
