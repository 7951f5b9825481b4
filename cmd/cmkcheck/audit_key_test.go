package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `audit --key` of a key that is not there is one line naming the key, the
// account and the region, and exit 2: not 24 ERROR rows and a NOT READY,
// and no report or snapshot that could pass for an audit of it.
func TestAuditOfAMissingKeyIsOneLine(t *testing.T) {
	for _, key := range []string{"not a key!", "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/Not-Made-Yet"} {
		t.Run(key, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			snap := filepath.Join(dir, "snapshot.json")
			code, stdout, stderr := cmkcheck(t, nil, "audit", "--key", key, "--out", out, "--save-snapshot", snap)
			require.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			require.Len(t, lines, 1, "one line: %s", stderr)
			assert.Contains(t, lines[0], `key "`+key+`"`)
			assert.Contains(t, lines[0], "account 111122223333, region us-east-1")
			assert.Contains(t, lines[0], "NotFoundException")
			for _, path := range []string{out, snap} {
				_, err := os.Stat(path)
				assert.True(t, os.IsNotExist(err), "%s is not written", path)
			}
		})
	}
}
