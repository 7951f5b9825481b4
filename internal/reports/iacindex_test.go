package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A template's file name and a key's address are data: whatever they hold,
// each key stays one table row, escaped as the fleet's index escapes, and
// index.json says them as they are.
func TestIaCIndexEscapes(t *testing.T) {
	x := &IaCIndex{Verdict: "NOT READY", Source: "odd|`dir`/t.yaml", Keys: []IaCKey{
		{Source: "odd|`dir`/t.yaml#Key\n| x | READY |", Verdict: "NOT READY", Failing: []string{"CMK-ADM-1", "CMK-USR-1"},
			Reports: &Paths{Markdown: "out/t.yaml-Key.md"}},
		{Source: "odd|`dir`/t.yaml#Other", Verdict: "READY", Failing: []string{}},
	}}
	files, err := x.Files("out")
	require.NoError(t, err)
	require.Len(t, files, 2)
	assert.Equal(t, "out/index.md", files[0].Path)
	assert.Equal(t, "out/index.json", files[1].Path)
	var md, js bytes.Buffer
	require.NoError(t, files[0].Write(&md))
	require.NoError(t, files[1].Write(&js))

	assert.Contains(t, md.String(), "# NOT READY: 2 key(s) in odd\\|\\`dir\\`/t.yaml\n")
	rows := 0
	for _, line := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(line, "| odd") {
			rows++
			assert.Equal(t, 5, strings.Count(line, "|")-strings.Count(line, "\\|"), "one row, four cells: %s", line)
		}
	}
	assert.Equal(t, 2, rows)
	assert.Contains(t, md.String(), "| CMK-ADM-1, CMK-USR-1 | [t.yaml-Key.md](t.yaml-Key.md) |")

	var back IaCIndex
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, *x, back)
}

// The Markdown of several keys is their table, then each key's report; of
// one key, its report alone.
func TestIaCIndexMarkdown(t *testing.T) {
	x := &IaCIndex{Verdict: "READY", Source: "t.yaml", Keys: []IaCKey{{Source: "t.yaml#A", Verdict: "READY", Failing: []string{}}}}
	var one, alone bytes.Buffer
	run := rendered(t, sampleRun(t))
	require.NoError(t, x.WriteMarkdown(&one, []*Run{run}))
	require.NoError(t, WriteMarkdown(&alone, run))
	assert.Equal(t, alone.String(), one.String())
	assert.ErrorContains(t, x.WriteMarkdown(&one, nil), "lists 1 key(s) and 0 run(s)")
}
