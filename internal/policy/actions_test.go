package policy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkOperations are the API operations of the SDK's KMS client: its
// exported methods whose first parameter is a context.
func sdkOperations(t *testing.T) []string {
	t.Helper()
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	typ := reflect.TypeOf(&kms.Client{})
	var ops []string
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		if m.Type.NumIn() >= 2 && m.Type.In(1) == ctxType {
			ops = append(ops, m.Name)
		}
	}
	require.NotEmpty(t, ops)
	return ops
}

// TestActionTableCoversSDK fails when the SDK's KMS client has an
// operation the action table lacks: a new operation must be classified
// (category, cross-account use) before the checks can reason about it.
func TestActionTableCoversSDK(t *testing.T) {
	for _, op := range sdkOperations(t) {
		switch op {
		case "ReEncrypt": // authorized as ReEncryptFrom and ReEncryptTo
			for _, a := range []string{"kms:ReEncryptFrom", "kms:ReEncryptTo"} {
				_, ok := LookupAction(a)
				assert.True(t, ok, a)
			}
		default:
			_, ok := LookupAction("kms:" + op)
			assert.True(t, ok, "kms:%s is an SDK operation missing from the action table", op)
		}
	}
	// And the other way: only SynchronizeMultiRegionKey and the two
	// ReEncrypt permissions are permissions without an operation.
	ops := map[string]bool{}
	for _, op := range sdkOperations(t) {
		ops["kms:"+op] = true
	}
	var extra []string
	for _, a := range Actions() {
		if !ops[a.Name] {
			extra = append(extra, a.Name)
		}
	}
	assert.Equal(t, []string{"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:SynchronizeMultiRegionKey"}, extra)
}

// TestActionTableMatchesSDKDocs reads the "Cross-account use" and
// "Required permissions" sentences the SDK carries from the KMS API
// Reference and compares them with the table. Skipped when the module's
// source is not on disk.
func TestActionTableMatchesSDKDocs(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2/service/kms").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skip("SDK source not found")
	}
	crossRe := regexp.MustCompile(`Cross-account use: (\w+)`)
	permRe := regexp.MustCompile(`\[kms:\w+\]\s*\((key|IAM) policy\)`)
	for _, op := range sdkOperations(t) {
		src, err := os.ReadFile(filepath.Join(dir, "api_op_"+op+".go"))
		if !assert.NoError(t, err, op) {
			continue
		}
		text := strings.Join(strings.Fields(string(src)), " ")
		names := []string{"kms:" + op}
		if op == "ReEncrypt" {
			names = []string{"kms:ReEncryptFrom", "kms:ReEncryptTo"}
		}
		for _, name := range names {
			info, ok := LookupAction(name)
			if !ok {
				continue // TestActionTableCoversSDK reports it
			}
			if m := crossRe.FindStringSubmatch(text); assert.NotNil(t, m, "%s: no Cross-account use sentence", op) {
				assert.Equal(t, m[1] == "Yes", info.CrossAccount, "%s: the API reference says Cross-account use: %s", name, m[1])
			}
			if m := permRe.FindStringSubmatch(text); m != nil {
				assert.Equal(t, m[1] == "key", info.KeyPolicy, "%s: required permission is a %s policy one", name, m[1])
			}
		}
	}
}

func TestActionTable(t *testing.T) {
	all := Actions()
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }))
	cats := map[Category]bool{CategoryUse: true, CategoryAdministration: true, CategoryDeletion: true,
		CategoryPolicy: true, CategoryGrants: true, CategoryRead: true}
	for _, a := range all {
		assert.True(t, cats[a.Category], "%s: %s", a.Name, a.Category)
		assert.True(t, strings.HasPrefix(a.Name, "kms:"), a.Name)
	}
	// The guide's examples of operations never usable across accounts.
	for _, a := range []string{"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:CancelKeyDeletion", "kms:CreateAlias"} {
		info, ok := LookupAction(a)
		require.True(t, ok, a)
		assert.False(t, info.CrossAccount, a)
	}
	for _, a := range AdobeActions {
		info, ok := LookupAction(a)
		require.True(t, ok, a)
		assert.True(t, info.CrossAccount, "the platform's %s must work across accounts", a)
	}
	info, ok := LookupAction("KMS:scheduleKEYdeletion")
	assert.True(t, ok, "looked up case-insensitively")
	assert.Equal(t, CategoryDeletion, info.Category)
	_, ok = LookupAction("kms:Nope")
	assert.False(t, ok)
	assert.Equal(t, []string{"kms:CancelKeyDeletion", "kms:ScheduleKeyDeletion"}, ActionsIn(CategoryDeletion))
	assert.Equal(t, []string{"kms:PutKeyPolicy"}, ActionsIn(CategoryPolicy))
	assert.Equal(t, []string{"kms:CreateGrant", "kms:RetireGrant", "kms:RevokeGrant"}, ActionsIn(CategoryGrants))
	// Callers may not change the table through the returned slice.
	all[0].CrossAccount = true
	assert.False(t, Actions()[0].CrossAccount)
}
