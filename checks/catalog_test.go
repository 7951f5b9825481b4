package checks_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/profile"
)

// The catalog's order is the spec's, and it does not depend on the order
// the check files happen to register in.
func TestCatalogOrder(t *testing.T) {
	want := []string{
		"CMK-AVL-1", "CMK-ACC-1", "CMK-PRM-1", "CMK-REG-1", "CMK-REG-2",
		"CMK-CFG-1", "CMK-CFG-2", "CMK-CFG-3", "CMK-CFG-4", "CMK-CFG-5", "CMK-CFG-6",
		"CMK-LBL-1", "CMK-LBL-2", "CMK-LBL-3", "CMK-LBL-4",
		"CMK-ADM-1", "CMK-ADM-2", "CMK-ADM-3", "CMK-ADM-4",
		"CMK-USR-1", "CMK-USR-2", "CMK-USR-3", "CMK-USR-4",
		"CMK-GRT-1", "CMK-AEP-1", "CMK-AEP-2", "CMK-OPS-1", "CMK-DRF-1", "CMK-MON-1",
	}
	assert.Equal(t, want, catalogIDs())

	results := checks.Evaluate(compliant(t).state(t), profile.Default())
	require.Len(t, results, len(want))
	for i, r := range results {
		assert.Equal(t, want[i], r.ID, "results come in catalog order")
	}
}

// Catalog hands out a copy: a caller cannot reorder or drop checks.
func TestCatalogIsACopy(t *testing.T) {
	c := checks.Catalog()
	c[0], c[1] = c[1], c[0]
	c[2].Needs = nil
	assert.Equal(t, "CMK-AVL-1", checks.Catalog()[0].ID)
	assert.Equal(t, catalogIDs()[0], checks.Evaluate(nil, profile.Default())[0].ID)
}

// The zero profile.Valid is the default profile: the same results.
func TestZeroProfileIsTheDefault(t *testing.T) {
	s := compliant(t).state(t)
	assert.Equal(t, checks.Evaluate(s, profile.Default()), checks.Evaluate(s, profile.Valid{}))
}

func catalogIDs() []string {
	var ids []string
	for _, c := range checks.Catalog() {
		ids = append(ids, c.ID)
	}
	return ids
}

// repoRoot walks up from the package directory to the go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the working directory")
		dir = parent
	}
}

var tableRow = regexp.MustCompile(`^\|\s*(CMK-[A-Z]+-[0-9]+)\s*\|\s*([^|]*?)\s*\|`)

// tableRows reads the rows of a Markdown table whose first cell is a check
// ID: ID and the severity cell, in file order.
func tableRows(t *testing.T, path string) (ids []string, severity map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	severity = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := tableRow.FindStringSubmatch(sc.Text()); m != nil {
			require.NotContains(t, severity, m[1], "%s lists %s twice", path, m[1])
			ids = append(ids, m[1])
			severity[m[1]] = m[2]
		}
	}
	require.NoError(t, sc.Err())
	return ids, severity
}

// baseSeverity is the severity a table cell starts with: "recommended;
// required when ..." is recommended, "required when ..." required.
func baseSeverity(cell string) checks.Severity {
	for _, s := range []checks.Severity{checks.Recommended, checks.Required} {
		if strings.HasPrefix(cell, string(s)) {
			return s
		}
	}
	return checks.Severity("unreadable: " + cell)
}

// Every registered check is in the spec's table, with its severity, and in
// the spec's order. The spec lives beside the repository (CI has it).
func TestCatalogMatchesTheSpec(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "..", "shared", "REQUIREMENTS.md")
	if _, err := os.Stat(spec); errors.Is(err, os.ErrNotExist) {
		t.Skipf("the spec is not reachable at %s (it is in CI's checkout): nothing to hold the catalog against", spec)
	}
	ids, severity := tableRows(t, spec)
	require.NotEmpty(t, ids, "%s has no table of checks", spec)
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	last := -1
	for _, c := range checks.Catalog() {
		p, ok := pos[c.ID]
		if !assert.True(t, ok, "%s is registered but not in the spec's table", c.ID) {
			continue
		}
		assert.Equal(t, baseSeverity(severity[c.ID]), c.Severity, "%s: the spec says %q", c.ID, severity[c.ID])
		assert.Greater(t, p, last, "%s comes before a check it follows in the spec", c.ID)
		last = p
	}
}

// The README's table of checks lists exactly the catalog, one row per ID,
// in order, with the base severity.
func TestREADMEListsTheCatalog(t *testing.T) {
	ids, severity := tableRows(t, filepath.Join(repoRoot(t), "README.md"))
	assert.Equal(t, catalogIDs(), ids)
	for _, c := range checks.Catalog() {
		assert.Equal(t, c.Severity, baseSeverity(severity[c.ID]), "%s: the README says %q", c.ID, severity[c.ID])
	}
}

// Each requirement lives in one place: exactly one non-test Go file of the
// package names its ID (its metadata and evaluator, registered together).
// An ID written anywhere else is a second place to keep in step.
func TestEachRequirementInOneFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	idRE := regexp.MustCompile(`CMK-[A-Z]+-[0-9]+`)
	where := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, id := range idRE.FindAllString(string(b), -1) {
			if !seen[id] {
				seen[id] = true
				where[id] = append(where[id], f)
			}
		}
	}
	for _, c := range checks.Catalog() {
		assert.Len(t, where[c.ID], 1, "%s is named in %v", c.ID, where[c.ID])
		delete(where, c.ID)
	}
	assert.Empty(t, where, "IDs named in the package that no check registers")
}

// Every check's table makes it PASS, makes it FAIL or WARN, and makes it
// ERROR: a check that cannot be seen doing all three is not pinned down
// (mutation testing runs on these tables).
func TestEveryCheckHasItsTable(t *testing.T) {
	noError := map[string]string{
		"CMK-AVL-1": "judged on the validated profile alone: there is no evidence that could be missing or unreadable",
	}
	for _, c := range checks.Catalog() {
		seen := map[checks.Status]bool{}
		for _, tc := range tables[c.ID] {
			seen[tc.want] = true
		}
		assert.True(t, seen[checks.Pass], "%s: no case makes it PASS", c.ID)
		assert.True(t, seen[checks.Fail] || seen[checks.Warn], "%s: no case makes it FAIL or WARN", c.ID)
		if why, ok := noError[c.ID]; ok {
			assert.False(t, seen[checks.Error], "%s has an ERROR case now: drop it from noError (%s)", c.ID, why)
		} else {
			assert.True(t, seen[checks.Error], "%s: no case makes it ERROR", c.ID)
		}
	}
	for id := range tables {
		assert.Contains(t, catalogIDs(), id, "a table for an unregistered check")
	}
}

// Every member a check names is one the snapshot format has.
func TestChecksNameSnapshotMembers(t *testing.T) {
	for _, c := range checks.Catalog() {
		for _, m := range c.Needs {
			assert.Contains(t, keystate.Members, m, "%s needs %s", c.ID, m)
		}
		for _, m := range c.Uses {
			assert.Contains(t, append(slices.Clone(keystate.LiveMembers), keystate.OptionalMembers...), m, "%s uses %s", c.ID, m)
		}
	}
}
