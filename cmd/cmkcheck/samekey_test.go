package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 15: evidence about another key than the one the profile names, or
// members of one snapshot about two keys, are bad input: exit 2 naming both
// keys, and no report is written.
func TestEvaluateRefusesMixedKeys(t *testing.T) {
	const (
		own   = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		other = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
	)
	data, err := os.ReadFile(compliant)
	require.NoError(t, err)
	var members map[string]any
	require.NoError(t, json.Unmarshal(data, &members))
	members["GetKeyRotationStatus"].(map[string]any)["KeyId"] = other
	mixed, err := json.Marshal(members)
	require.NoError(t, err)
	dir := t.TempDir()
	mixedPath := filepath.Join(dir, "mixed.json")
	require.NoError(t, os.WriteFile(mixedPath, mixed, 0o600))

	tests := map[string]struct {
		snapshot string
		env      map[string]string
		names    string // the other key, as the message must name it
	}{
		"a member of another key":              {snapshot: mixedPath, names: other},
		"the profile names another key":        {snapshot: compliant, env: map[string]string{"CMK_KEY_ID": other}, names: other},
		"the profile names an alias not there": {snapshot: compliant, env: map[string]string{"CMK_KEY_ID": "alias/Someone-Else"}, names: "alias/Someone-Else"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			results := filepath.Join(dir, name+".results.json")
			code, out, errOut := cmkcheck(t, tc.env, "evaluate", "--snapshot", tc.snapshot, "--profile", example, "--results", results)
			assert.Equal(t, exitUsage, code, out)
			assert.Contains(t, errOut, own)
			assert.Contains(t, errOut, tc.names)
			assert.NotContains(t, out, "verdict")
			assert.NoFileExists(t, results, "no result is written for mixed evidence")
		})
	}
	code, _, errOut := cmkcheck(t, map[string]string{"CMK_KEY_ID": own}, "evaluate", "--snapshot", compliant, "--profile", example)
	assert.Equal(t, exitReady, code, errOut)
}
