package audit

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// countJudgements swaps judge for one that counts its calls.
func countJudgements(t *testing.T) *int {
	n := new(int)
	judge = func(s *keystate.State, p profile.Valid) ([]checks.Result, []checks.AccessRow) {
		*n++
		return checks.Judge(s, p)
	}
	t.Cleanup(func() { judge = checks.Judge })
	return n
}

// A key is judged once per command: `evaluate` (Evaluate), `audit` (Run)
// and `verify` or `report` (Verify), rendering included, and once to load
// a results file as a baseline.
func TestOneJudgementPerCommand(t *testing.T) {
	v := profileFile(t, exampleProfile)
	n := countJudgements(t)

	run := fixtureRun(t, "../../fixtures/snapshots/compliant.json", v)
	assert.Equal(t, 1, *n, "evaluate")
	r, err := reports.Render(run)
	require.NoError(t, err)
	var junit, md bytes.Buffer
	require.NoError(t, reports.WriteJUnit(&junit, r.Run))
	require.NoError(t, reports.WriteMarkdown(&md, r.Run))
	assert.Equal(t, 1, *n, "rendering judges nothing")

	*n = 0
	_, err = Verify(r.Results)
	require.NoError(t, err)
	assert.Equal(t, 1, *n, "verify")

	*n = 0
	_, err = LoadBaseline(r.Results)
	require.NoError(t, err)
	assert.Equal(t, 1, *n, "a results file as the baseline")

	*n = 0
	p := loadProfile(t, profileYAML)
	out, err := Run(context.Background(), Options{Conn: open(t, "111122223333"), Profile: p})
	require.NoError(t, err)
	assert.Equal(t, 1, *n, "audit")
	*n = 0
	_, err = reports.Write(t.TempDir(), "", out.Run)
	require.NoError(t, err)
	assert.Equal(t, 0, *n, "writing the reports judges nothing")
}

// The one judge is audit's: no production code elsewhere refers to
// checks.Evaluate or checks.Judge, nor judges drift itself (checks.Drift) beside
// CMK-DRF-1. A renderer or a command that judged again would be a second
// judgement, and a second place for its rules to drift apart.
func TestNothingElseJudges(t *testing.T) {
	root := "../.."
	var found []string
	fset := token.NewFileSet()
	require.NoError(t, filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); strings.HasPrefix(name, ".") || name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "internal/checks/") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		name := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/aep-cmk/cmkcheck/internal/checks" {
				name = "checks"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		if name == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == name {
				judges := sel.Sel.Name == "Evaluate" || sel.Sel.Name == "Judge"
				allowed := judges && strings.HasPrefix(rel, "internal/audit/")
				if (judges || sel.Sel.Name == "Drift") && !allowed {
					found = append(found, fset.Position(sel.Pos()).String()+": checks."+sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	}))
	assert.Empty(t, found, "only internal/audit judges a key (judgeKey)")
}
