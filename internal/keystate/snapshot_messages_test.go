package keystate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// A file that is not a snapshot is told what was expected, what was found
// and where: never a decoder's Go types.
func TestDecodeSaysWhatAndWhere(t *testing.T) {
	const want = "want a JSON object of AWS CLI answers"
	for name, tc := range map[string]struct{ data, says string }{
		"an array":        {`[{"DescribeKey": {}}]`, "found an array"},
		"a string":        {`"DescribeKey"`, "found a string"},
		"a number":        {`12`, "found a number"},
		"empty":           {``, "snapshot is empty"},
		"only whitespace": {" \n\t", "snapshot is empty"},
		"not JSON":        {"hello", "invalid JSON at line 1, column 1: invalid character 'h'"},
		"a stray comma":   {"{\n  \"DescribeKey\": {},\n}", "invalid JSON at line 3, column 1: invalid character '}'"},
		"truncated":       {"{\n  \"DescribeKey\": {\"KeyMetadata\": {", "the JSON ends at line 2, column 35 before the object does"},
		"trailing data":   {"{}\n{}", "trailing data after the object at line 2, column 1"},
		"null":            {"null", "got null"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := keystate.Decode([]byte(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
			assert.Contains(t, err.Error(), want)
			assert.NotContains(t, err.Error(), "Go value")
			assert.NotContains(t, err.Error(), "json.RawMessage")
		})
	}
}
