package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

// The statuses and verdicts every fixture gives, recorded before the
// packages were moved and the evidence reshaped: a change of layout or of
// output must not change a judgement. Regenerate deliberately with
// `go test ./cmd/cmkcheck -run TestGoldenVerdicts -update-golden`, and say
// in the commit which verdict moved and why.
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden-verdicts.json")

const goldenFile = "testdata/golden-verdicts.json"

// judged is one key's judgement: its verdict, how many results, and the
// status of each that is not PASS.
type judged struct {
	Verdict string            `json:"verdict"`
	Results int               `json:"results"`
	NotPass map[string]string `json:"not_pass,omitempty"`
}

func (j *judged) add(id, status string) {
	j.Results++
	if status != "PASS" {
		if j.NotPass == nil {
			j.NotPass = map[string]string{}
		}
		j.NotPass[id] = status
	}
}

func TestGoldenVerdicts(t *testing.T) {
	got := map[string]judged{}
	snapshots, profiles := fixtureSnapshots(t), fixtureProfiles(t)
	for _, snap := range snapshots {
		for _, prof := range profiles {
			args := []string{"evaluate", "--snapshot", snap, "--format", "json"}
			if prof != "" {
				args = append(args, "--profile", prof)
			}
			name := strings.TrimPrefix(snap, "../../fixtures/") + " | " + filepath.Base(prof)
			if j, ok := judgeSnapshot(t, args); ok {
				got[name] = j
			} else {
				got[name] = judged{Verdict: "usage error"}
			}
		}
	}

	for name, in := range iacInputs(t, t.TempDir()) {
		args := append([]string{"evaluate", "--format", "json", "--profile", "../../" + iacfixtures.Profile}, in...)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr, func(string) string { return "" })
		require.Contains(t, []int{exitReady, exitNotReady}, code, "%s: %s", name, stderr.String())
		var out struct {
			Keys []struct {
				Source  string `json:"source"`
				Verdict string `json:"verdict"`
				Results []struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"results"`
			} `json:"keys"`
		}
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), name)
		require.NotEmpty(t, out.Keys, name)
		for _, k := range out.Keys {
			j := judged{Verdict: k.Verdict}
			for _, r := range k.Results {
				j.add(r.ID, r.Status)
			}
			_, resource, _ := strings.Cut(k.Source, "#") // the file is in the name already
			got[name+" | "+resource] = j
		}
	}

	if *updateGolden {
		data, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(goldenFile, append(data, '\n'), 0o644))
		return
	}
	data, err := os.ReadFile(goldenFile)
	require.NoError(t, err)
	var want map[string]judged
	require.NoError(t, json.Unmarshal(data, &want))
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range want {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		assert.Equal(t, want[n], got[n], n)
	}
	assert.Len(t, got, len(want), "a fixture was added or removed: regenerate the golden file deliberately")
}

// judgeSnapshot runs evaluate and reads the contract's JSON; ok is false
// for a usage error (a profile whose key names another key).
func judgeSnapshot(t *testing.T, args []string) (judged, bool) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(string) string { return "" })
	if code == exitUsage {
		return judged{}, false
	}
	var out struct {
		Verdict string `json:"verdict"`
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "%v: %s", args, stderr.String())
	require.Equal(t, exitFor(out.Verdict), code, "%v", args)
	j := judged{Verdict: out.Verdict}
	for _, r := range out.Results {
		j.add(r.ID, r.Status)
	}
	return j, true
}

// fixtureSnapshots lists every fixture snapshot.
func fixtureSnapshots(t *testing.T) []string {
	t.Helper()
	var snapshots []string
	require.NoError(t, filepath.WalkDir("../../fixtures/snapshots", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") && filepath.Base(path) != "expected.json" {
			snapshots = append(snapshots, path)
		}
		return err
	}))
	require.NotEmpty(t, snapshots)
	return snapshots
}

// fixtureProfiles lists every fixture profile, and "" for none (the defaults).
func fixtureProfiles(t *testing.T) []string {
	t.Helper()
	profiles, err := filepath.Glob("../../fixtures/profiles/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, profiles)
	return append(profiles, "")
}

// iacInputs are evaluate's arguments for every template and plan: the
// reference template, the one whose parameter has no default, each wrong
// variant (written into dir), and every plan on disk, by name.
func iacInputs(t *testing.T, dir string) map[string][]string {
	t.Helper()
	in := map[string][]string{
		"cloudformation reference": {"--cloudformation", "../../" + iacfixtures.Template, "--parameters", "../../" + iacfixtures.Parameters},
		"cloudformation " + filepath.Base(iacfixtures.ParameterWithoutDefault): {"--cloudformation", "../../" + iacfixtures.ParameterWithoutDefault},
	}
	for _, v := range iacfixtures.Variants {
		body, err := v.CloudFormation("../..")
		require.NoError(t, err)
		path := filepath.Join(dir, v.Name+".yaml")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		in["cloudformation "+v.Name] = []string{"--cloudformation", path, "--parameters", "../../" + iacfixtures.Parameters}
	}
	plans, err := filepath.Glob("../../" + iacfixtures.Plans + "/*/plan.json")
	require.NoError(t, err)
	require.NotEmpty(t, plans)
	for _, plan := range plans {
		in["terraform "+filepath.Base(filepath.Dir(plan))] = []string{"--terraform-plan", plan}
	}
	return in
}
