package env

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The edges: the only directories (from the module root) whose non-test
// code may read the environment or import this package.
var edges = []string{"cmd", "suites"}

// envReaders are the functions that read the process environment.
var envReaders = map[string][]string{
	"os":      {"Getenv", "LookupEnv", "Environ"},
	"syscall": {"Getenv", "Environ"},
}

// envReads lists, for one parsed file, every use of an environment
// reader (a call or a function value, as in getenv = os.Getenv), and every
// dot import of os or syscall, which would hide such uses.
func envReads(fset *token.FileSet, f *ast.File) []string {
	names := map[string]string{} // local name -> import path
	var found []string
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if _, ok := envReaders[path]; !ok {
			continue
		}
		name := path
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "." {
			found = append(found, fmt.Sprintf("%s: dot import of %s", fset.Position(imp.Pos()), path))
			continue
		}
		names[name] = path
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil { // a local variable named os is not the package
			return true
		}
		if path, ok := names[id.Name]; ok && slices.Contains(envReaders[path], sel.Sel.Name) {
			found = append(found, fmt.Sprintf("%s: %s.%s", fset.Position(sel.Pos()), path, sel.Sel.Name))
		}
		return true
	})
	return found
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above %s", dir)
		dir = parent
	}
}

func atEdge(rel string) bool {
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return slices.Contains(edges, first)
}

// TestEnvironmentIsReadAtTheEdges parses every non-test Go file of the
// module (build tags ignored: go/parser reads every file) and fails on any
// environment read outside cmd/ and suites/, and on any import of this
// package from elsewhere.
func TestEnvironmentIsReadAtTheEdges(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var violations []string
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if atEdge(rel) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution|parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/aep-cmk/cmkcheck/internal/env" && filepath.Dir(rel) != filepath.Join("internal", "env") {
				violations = append(violations, rel+": imports internal/env, which only the edges may")
			}
		}
		f, err = parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		violations = append(violations, envReads(fset, f)...)
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 20, "the walk found the module's files")
	assert.Empty(t, violations, "only %v read the environment; pass values down instead", edges)
}

// The detector itself finds every form of a read.
func TestEnvReadsDetector(t *testing.T) {
	for src, want := range map[string]int{
		`package p; import "os"; func f() string { return os.Getenv("X") }`:                          1,
		`package p; import "os"; var getenv = os.Getenv`:                                             1,
		`package p; import o "os"; func f() { _, _ = o.LookupEnv("X"); _ = o.Environ() }`:            2,
		`package p; import "syscall"; func f() { _, _ = syscall.Getenv("X") }`:                       1,
		`package p; import . "os"; func f() string { return Getenv("X") }`:                           1,
		`package p; import "os"; func f() { _ = os.Args; _, _ = os.ReadFile("x") }`:                  0,
		`package p; func f(getenv func(string) string) string { return getenv("X") }`:                0,
		`package p; import "os"; type e struct{ Getenv int }; func f(os e) int { return os.Getenv }`: 0,
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "src.go", src, 0)
		require.NoError(t, err, src)
		assert.Len(t, envReads(fset, f), want, src)
	}
}
