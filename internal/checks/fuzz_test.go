package checks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// FuzzEvaluateSnapshot feeds whole snapshots through decoding and evaluation:
// nothing may panic, and a check whose evidence is unusable is never PASS.
func FuzzEvaluateSnapshot(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "snapshots", "*.json"))
	require.NoError(f, err)
	more, err := filepath.Glob(filepath.Join(fixtures, "snapshots", "noncompliant", "*.json"))
	require.NoError(f, err)
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
	// A saved live capture: the live members too.
	live := compliant(f)
	capture()(nil, live)
	b, err := json.Marshal(live)
	require.NoError(f, err)
	f.Add(b)
	// Two keys in one file: the rotation status of another key.
	mixed := compliant(f)
	mixed["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": true, "KeyId": "0987dcba-09fe-87dc-65ba-ab0987654321"}
	b, err = json.Marshal(mixed)
	require.NoError(f, err)
	f.Add(b)
	p := loadProfile(f, "aep-example.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := keystate.Decode(data)
		if err != nil {
			return
		}
		results := checks.Evaluate(s, p)
		if len(results) != len(checks.Catalog()) {
			t.Fatalf("%d results for %d checks", len(results), len(checks.Catalog()))
		}
		for i, r := range results {
			c := checks.Catalog()[i]
			for _, m := range append(append([]string{}, c.Needs...), c.Uses...) {
				if s.Problem(m) != "" && r.Status != checks.Error {
					t.Fatalf("%s is %s although %s", r.ID, r.Status, s.Problem(m))
				}
			}
		}
		// A file whose members name two keys is refused before judging
		// (the run path calls SameKey), or at least never READY.
		if namesTwoKeys(data) && s.SameKey("") == nil && checks.Verdict(results) == checks.Ready {
			t.Fatalf("members name two keys, yet SameKey accepts it and the verdict is READY")
		}
	})
}

// namesTwoKeys is an independent reading of issue 15's rule: the key IDs
// (or ARNs) that DescribeKey, GetKeyRotationStatus and the grants name.
func namesTwoKeys(data []byte) bool {
	var v struct {
		DescribeKey struct {
			KeyMetadata struct{ KeyId, Arn any }
		}
		GetKeyRotationStatus struct{ KeyId any }
		ListGrants           struct {
			Grants []struct{ KeyId any }
		}
	}
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	refs := []any{v.DescribeKey.KeyMetadata.KeyId, v.DescribeKey.KeyMetadata.Arn, v.GetKeyRotationStatus.KeyId}
	for _, g := range v.ListGrants.Grants {
		refs = append(refs, g.KeyId)
	}
	ids, arns := map[string]bool{}, map[string]bool{}
	for _, r := range refs {
		s, ok := r.(string)
		if !ok || s == "" {
			continue
		}
		if strings.HasPrefix(s, "arn:") {
			arns[s] = true
			if i := strings.LastIndex(s, ":key/"); i >= 0 {
				ids[s[i+len(":key/"):]] = true
			}
			continue
		}
		ids[s] = true
	}
	return len(ids) > 1 || len(arns) > 1
}
