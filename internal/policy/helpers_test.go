package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	own      = "111122223333"
	other    = "222233334444"
	adobe    = "444455556666" // the customer-specific Adobe account in testdata
	ownRoot  = "arn:aws:iam::111122223333:root"
	ownAdmin = "arn:aws:iam::111122223333:role/KeyAdmin"
	ownUser  = "arn:aws:iam::111122223333:user/bob"
)

// doc wraps statements (JSON objects) into a policy.
func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Id":"test","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func mustParse(t testing.TB, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	require.NoError(t, err)
	return d
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func aws(s string) Principal { return ParsePrincipal("AWS", s) }
