package checks_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
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

// Every relative link of the README and of docs/ leads somewhere: to a file
// or directory of the repository and, where it names one, to a heading of
// that page. Pages move between the two; a link left behind is found here,
// not by a reader. The README links every page of docs/.
func TestDocumentationLinksResolve(t *testing.T) {
	root := repoRoot(t)
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, pages, "docs/ holds the pages the README links")
	pages = append([]string{filepath.Join(root, "README.md")}, pages...)

	linked := map[string]bool{}
	for _, page := range pages {
		rel, _ := filepath.Rel(root, page)
		for _, l := range markdownLinks(t, page) {
			if isAbsoluteLink(l.target) {
				continue
			}
			file, anchor, _ := strings.Cut(l.target, "#")
			dest := page
			if file != "" {
				dest = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
			}
			if inRepo, _ := filepath.Rel(root, dest); inRepo == ".." || strings.HasPrefix(inRepo, ".."+string(filepath.Separator)) {
				assert.Fail(t, "link outside the repository", "%s:%d: %s", rel, l.line, l.target)
				continue
			}
			if _, err := os.Stat(dest); err != nil {
				assert.Fail(t, "link to nothing", "%s:%d: %s (%v)", rel, l.line, l.target, err)
				continue
			}
			if page == pages[0] {
				linked[dest] = true
			}
			if anchor != "" {
				assert.Contains(t, headingAnchors(t, dest), anchor, "%s:%d: %s names no heading of %s", rel, l.line, l.target, file)
			}
		}
	}
	for _, p := range pages[1:] {
		assert.True(t, linked[p], "the README does not link %s", filepath.Base(p))
	}
}

// The link checker itself: what it takes as links, and GitHub's anchors.
func TestDocumentationLinkReading(t *testing.T) {
	page := filepath.Join(t.TempDir(), "p.md")
	require.NoError(t, os.WriteFile(page, []byte(strings.Join([]string{
		"# For auditors: is this the file?",
		"See [usage](docs/usage.md#the-profile \"title\") and [site](https://example.com).",
		"`[not a link](in-code.md)` but [after](after.md)",
		"```sh",
		"[fenced](fenced.md)",
		"```",
		"## `cmkcheck verify` and --flags",
		"## Twice",
		"## Twice",
		"[ref]: ref.md",
	}, "\n")), 0o644))

	var targets []string
	for _, l := range markdownLinks(t, page) {
		targets = append(targets, l.target)
	}
	assert.Equal(t, []string{"docs/usage.md#the-profile", "https://example.com", "after.md", "ref.md"}, targets)
	assert.True(t, isAbsoluteLink("https://example.com"))
	assert.True(t, isAbsoluteLink("mailto:a@example.com"))
	assert.False(t, isAbsoluteLink("docs/usage.md"))
	assert.Equal(t, []string{"for-auditors-is-this-the-file", "cmkcheck-verify-and---flags", "twice", "twice-1"}, headingAnchors(t, page))
}

type mdLink struct {
	line   int
	target string
}

var (
	inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
)

// markdownLinks lists a page's inline and reference links, leaving out
// what is inside code spans and fenced blocks (examples, not links).
func markdownLinks(t *testing.T, path string) []mdLink {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var links []mdLink
	fenced := false
	for i, line := range strings.Split(string(b), "\n") {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		if m := refLink.FindStringSubmatch(line); m != nil {
			links = append(links, mdLink{i + 1, m[1]})
			continue
		}
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			links = append(links, mdLink{i + 1, m[1]})
		}
	}
	return links
}

var linkScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

func isAbsoluteLink(target string) bool { return linkScheme.MatchString(target) }

// headingAnchors are the anchors GitHub gives a page's headings: lower
// case, punctuation dropped, spaces as hyphens, "-1", "-2" on repeats.
// A directory or a file that is not Markdown has none.
func headingAnchors(t *testing.T, path string) []string {
	t.Helper()
	if filepath.Ext(path) != ".md" {
		return nil
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var anchors []string
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(string(b), "\n") {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			continue
		}
		text, ok := strings.CutPrefix(line, "#")
		if fenced || !ok {
			continue
		}
		text = strings.TrimLeft(text, "#")
		if !strings.HasPrefix(text, " ") {
			continue
		}
		var slug strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimRight(text, "# "))) {
			switch {
			case r == ' ':
				slug.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				slug.WriteRune(r)
			}
		}
		a := slug.String()
		if n := seen[a]; n > 0 {
			seen[a]++
			a = fmt.Sprintf("%s-%d", a, n)
		} else {
			seen[a] = 1
		}
		anchors = append(anchors, a)
	}
	return anchors
}
