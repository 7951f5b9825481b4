package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/aep-cmk/cmkcheck/"

// layers is the house, ground floor first: a package imports only packages
// of lower floors, so no import runs back up and a newcomer can read the
// tree from the bottom. A new package takes a floor here deliberately.
var layers = [][]string{
	{"internal/awsid", "internal/buildinfo", "internal/eventmatch"},
	{"internal/keystate", "internal/policy"},
	{"internal/profile"},
	{"internal/checks", "internal/iac", "internal/provision", "internal/targets"},
	{"internal/collect", "internal/reports", "internal/container"},
	{"internal/audit"},
	{"internal/fleet"},
	{"internal/env"},
	{"cmd/cmkcheck", "suites"},
}

// testkit holds what the tests share; production code never imports it.
const testkit = "internal/testkit/"

func TestNoImportRunsBackUp(t *testing.T) {
	floor := map[string]int{}
	for i, l := range layers {
		for _, p := range l {
			floor[p] = i
		}
	}
	cmd := exec.Command("go", "list", "-json", "../../...")
	out, err := cmd.Output()
	require.NoError(t, err, "go list -json")
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var seen int
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		seen++
		if strings.HasPrefix(name, testkit) {
			for _, imp := range p.Imports {
				imp = strings.TrimPrefix(imp, module)
				assert.NotContains(t, []string{"cmd/cmkcheck", "suites"}, imp, "%s imports the edge %s", name, imp)
			}
			continue
		}
		f, ok := floor[name]
		if !assert.True(t, ok, "package %s has no floor in layers: give it one", name) {
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			imp = strings.TrimPrefix(imp, module)
			if strings.HasPrefix(imp, testkit) {
				t.Errorf("%s imports the test kit %s: test kits are never linked into the product", name, imp)
				continue
			}
			if g, ok := floor[imp]; ok && g >= f {
				t.Errorf("%s (floor %d) imports %s (floor %d): an import that runs back up or across", name, f, imp, g)
			}
		}
	}
	assert.Greater(t, seen, 15, "the listing is the module's")
}

// Outside internal/ and cmd/ only the suites can be imported: the product's
// interfaces are the command, the suites and the file formats, not a Go API.
func TestImportablePackages(t *testing.T) {
	out, err := exec.Command("go", "list", "../../...").Output()
	require.NoError(t, err)
	var public []string
	for _, p := range strings.Fields(string(out)) {
		name := strings.TrimPrefix(p, module)
		if !strings.HasPrefix(name, "internal/") && !strings.HasPrefix(name, "cmd/") {
			public = append(public, name)
		}
	}
	assert.Equal(t, []string{"suites"}, public)
}
