package awsid

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// splitters are the functions that cut a string at a separator.
var splitters = map[string]bool{"Split": true, "SplitN": true, "SplitAfter": true, "SplitAfterN": true}

// colonSplits lists, for one parsed file, every call of a strings or bytes
// splitter with the literal separator ":", the way an ARN is taken apart.
func colonSplits(fset *token.FileSet, f *ast.File) []string {
	pkgs := map[string]string{} // local name -> strings or bytes
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != "strings" && path != "bytes" {
			continue
		}
		name := path
		if imp.Name != nil {
			name = imp.Name.Name
		}
		pkgs[name] = path
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !splitters[sel.Sel.Name] {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); !ok || pkgs[id.Name] == "" {
			return true
		}
		if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if sep, _ := strconv.Unquote(lit.Value); sep == ":" {
				found = append(found, fmt.Sprintf("%s: %s.%s(..., %s)", fset.Position(call.Pos()), sel.X, sel.Sel.Name, lit.Value))
			}
		}
		return true
	})
	return found
}

// The finder finds what the next test forbids, however the package is
// imported, and leaves other separators alone.
func TestColonSplitsFinder(t *testing.T) {
	src := `package p
import (
	"strings"
	b "bytes"
)
func f(arn string) {
	_ = strings.SplitN(arn, ":", 6)
	_ = strings.Split(arn, ":")[4]
	_ = b.SplitAfter([]byte(arn), ":")
	_ = strings.Split(arn, "/")
	_, _, _ = strings.Cut(arn, "=")
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.SkipObjectResolution)
	require.NoError(t, err)
	got := colonSplits(fset, f)
	require.Len(t, got, 3, "%q", got)
	assert.Contains(t, got[0], "p.go:7:")
	assert.Contains(t, got[1], "strings.Split(")
	assert.Contains(t, got[2], "b.SplitAfter(")
}

// TestARNsAreSplitHereOnly parses every Go file of the module, tests
// included, and fails on a split at ":" outside this package: an ARN is
// read with ParseARN (or, for a policy's ARN patterns, ARNFields), so that
// one rule decides what an ARN is. A string that is not an ARN has a reader
// of its own (net.SplitHostPort, strings.Cut on a key=value).
func TestARNsAreSplitHereOnly(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "the module root is two floors up")
	here, err := filepath.Abs(".")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var splits []string
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == here || (path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		splits = append(splits, colonSplits(fset, f)...)
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 100, "the walk covers the module")
	assert.Empty(t, splits, "split at \":\" outside internal/awsid: read the ARN with awsid.ParseARN or awsid.ARNFields")
}
