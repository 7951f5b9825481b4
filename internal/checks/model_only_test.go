package checks_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modelAPI is what the checks may use of package policy: the parser that
// feeds the model, the model and its answers, the principals asked about,
// grants, and the action lists the spec names. Nothing that exposes the
// policy's statements, principals or conditions.
var modelAPI = map[string]bool{
	"Parse": true, "NewModel": true, "Model": true, "Decision": true, "Source": true,
	"Allowed": true, "NotAllowed": true, "Conditional": true,
	"Who": true, "WhoARN": true, "WhoAccountIdentity": true, "WhoAnyOtherAccount": true, "WhoKindOtherAccount": true,
	"WhoKindService": true, "Grant": true, "GrantConstraints": true, "GrantWho": true,
	"AdminActions": true, "UserActions": true, "UseActions": true, "AdobeActions": true, "KMSActions": true,
	"DangerousActions": true, "BeyondPlatformActions": true,
	// The IAM side of the same model (CMK-ADM-4, CMK-PRM-1): identities
	// with their IAM policies, judged together with the key policy.
	"Answer": true, "Identity": true, "IdentityPolicy": true, "ParseIdentityPolicy": true, "SortIdentities": true,
	"DecideIdentity": true, "WhoKindRole": true,
	// Every check asks the combined decision for own IAM identities and
	// names the identity policy statements that gave the right.
	"EffectiveDecision": true, "IAMSource": true, "WhoKindUser": true, "WhoKindSession": true, "WhoKindRoot": true, "WhoServiceFor": true,
	// Grants as ListGrants prints them (CMK-DRF-1 compares grants).
	"ParseGrants": true,
	// Who may become a chosen role: its trust policy, read by the same model.
	"ParseTrustPolicy": true, "AssumerAnyone": true, "AssumerOtherAccount": true, "AssumerProvider": true,
}

// No check reads policy text: the package uses only the model's API of
// package policy, and nothing but the model reads statements.
func TestChecksUseOnlyTheModel(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	used := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(src), "Statements[", "%s indexes statements", f)
		assert.NotContains(t, string(src), ".Conditions", "%s reads conditions", f)
		file, err := parser.ParseFile(fset, f, src, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "policy" {
					used[sel.Sel.Name] = append(used[sel.Sel.Name], f)
				}
			}
			return true
		})
	}
	var outside []string
	for name, where := range used {
		if !modelAPI[name] {
			outside = append(outside, "policy."+name+" in "+strings.Join(where, ", "))
		}
	}
	sort.Strings(outside)
	assert.Empty(t, outside, "checks use policy beyond the model's API")
	assert.NotEmpty(t, used["NewModel"], "the checks build the model")
}

// No other package judges a key policy: only checks imports package policy
// outside tests (provision writes policies as JSON; it does not read them).
func TestOnlyChecksImportPolicy(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	var importers []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "github.com/aep-cmk/cmkcheck/internal/policy" {
				rel, _ := filepath.Rel(root, filepath.Dir(path))
				importers = append(importers, rel)
			}
		}
		return nil
	})
	require.NoError(t, err)
	for _, dir := range importers {
		assert.Equal(t, filepath.Join("internal", "checks"), dir, "only the checks ask the access model")
	}
	assert.NotEmpty(t, importers)
}
