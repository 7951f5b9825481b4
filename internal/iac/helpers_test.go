package iac_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/iac"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

const root = "../.."

func read(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	return data
}

func exampleProfile(t testing.TB) profile.Valid {
	t.Helper()
	p, err := profile.Load(filepath.Join(root, iacfixtures.Profile), func(string) string { return "" })
	require.NoError(t, err)
	return p
}

func referenceParams(t testing.TB) map[string]string {
	t.Helper()
	params, err := iac.ReadParameters(read(t, iacfixtures.Parameters))
	require.NoError(t, err)
	return params
}

// opts is where the examples are judged: the profile's account and region.
func opts(params map[string]string) iac.Options {
	return iac.Options{DefaultAccount: iacfixtures.Account, DefaultRegion: "us-east-1", Parameters: params}
}

// nonPass judges a key and keeps what is not PASS.
func nonPass(t testing.TB, k *iac.Key, p profile.Valid) map[string]string {
	t.Helper()
	s := k.State()
	require.NoError(t, s.SameKey(""), "the members of %s describe one key", k.Source())
	out := map[string]string{}
	for _, r := range checks.Evaluate(s, p) {
		if r.Status != checks.Pass {
			out[r.ID] = string(r.Status)
		}
	}
	return out
}

func withLiveOnly(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range iacfixtures.LiveOnly {
		out[k] = v
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// member decodes one member's answer.
func member(t testing.TB, k *iac.Key, name string) map[string]any {
	t.Helper()
	s := k.State()
	raw, ok := s.Raw[name]
	require.True(t, ok, "%s has no %s: %s", k.Source(), name, s.Problem(name))
	var v map[string]any
	require.NoError(t, json.Unmarshal(raw, &v))
	return v
}

func keyMetadata(t testing.TB, k *iac.Key) map[string]any {
	return member(t, k, keystate.DescribeKey)["KeyMetadata"].(map[string]any)
}

// policyDoc is the key's policy as a document.
func policyDoc(t testing.TB, k *iac.Key) map[string]any {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(member(t, k, keystate.GetKeyPolicy)["Policy"].(string)), &doc))
	return doc
}
