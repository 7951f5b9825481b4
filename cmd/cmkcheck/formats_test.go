package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/testkit/formatcheck"
	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

// sarifLog is what the tests read of a SARIF log.
type sarifLog struct {
	Runs []struct {
		Results []struct {
			RuleID     string         `json:"ruleId"`
			Level      string         `json:"level"`
			Properties map[string]any `json:"properties"`
			Locations  []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					Region           *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct{ Name, FullyQualifiedName string } `json:"logicalLocations"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func readSARIF(t *testing.T, path string) sarifLog {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var log sarifLog
	require.NoError(t, json.Unmarshal(data, &log), "%s", data)
	require.Len(t, log.Runs, 1)
	return log
}

// lineOf is the 1-based line of the first line of body that holds s.
func lineOf(t *testing.T, body, s string) int {
	t.Helper()
	for i, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the template", s)
	return 0
}

// A template whose key has rotation off gives a SARIF result, for code
// scanning to annotate the pull request with, at the line of
// EnableKeyRotation, or at the key resource's line when the property is
// absent; and names the key by its logical ID.
func TestSARIFPointsAtTheTemplateLine(t *testing.T) {
	ref, err := os.ReadFile("../../" + iacfixtures.Template)
	require.NoError(t, err)
	require.Contains(t, string(ref), "      EnableKeyRotation: true\n")
	off := strings.Replace(string(ref), "EnableKeyRotation: true", "EnableKeyRotation: false", 1)
	absent := strings.Replace(strings.Replace(string(ref), "      EnableKeyRotation: true\n", "", 1), "      RotationPeriodInDays: 365\n", "", 1)
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		body, at string
	}{
		"rotation off":    {off, "EnableKeyRotation: false"},
		"property absent": {absent, "ExperiencePlatformKey:"},
	} {
		t.Run(name, func(t *testing.T) {
			template := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(template, []byte(tc.body), 0o644))
			out := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".sarif")
			code, _, stderr := cmkcheck(t, nil, "evaluate", "--cloudformation", template, "--parameters", "../../"+iacfixtures.Parameters,
				"--profile", "../../"+iacfixtures.Profile, "--sarif", out)
			require.Equal(t, exitNotReady, code, stderr)
			var found bool
			for _, r := range readSARIF(t, out).Runs[0].Results {
				if r.RuleID != "CMK-OPS-1" {
					continue
				}
				found = true
				assert.Equal(t, "error", r.Level, "a required FAIL")
				require.Len(t, r.Locations, 1)
				loc := r.Locations[0]
				require.NotNil(t, loc.PhysicalLocation)
				assert.Equal(t, filepath.ToSlash(template), "/"+strings.TrimPrefix(loc.PhysicalLocation.ArtifactLocation.URI, "file:///"))
				require.NotNil(t, loc.PhysicalLocation.Region, "a line")
				assert.Equal(t, lineOf(t, tc.body, tc.at), loc.PhysicalLocation.Region.StartLine)
				require.NotEmpty(t, loc.LogicalLocations)
				assert.Equal(t, "ExperiencePlatformKey", loc.LogicalLocations[0].Name)
			}
			assert.True(t, found, "a CMK-OPS-1 result")
		})
	}
}

// A live key's or a snapshot's results name the key ARN, as a logical
// location (there is no file to annotate); an ERROR of a required check is
// an error, saying it was not judged; PASS and SKIP are no results.
func TestSARIFOfASnapshot(t *testing.T) {
	for snap, wantID := range map[string]string{"rotation-off.json": "CMK-OPS-1", "missing-key-policy.json": "CMK-ADM-1"} {
		t.Run(snap, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "s.sarif")
			code, stdout, stderr := cmkcheck(t, nil, "evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/"+snap,
				"--profile", example, "--sarif", out, "--format", "json")
			require.Contains(t, []int{exitReady, exitNotReady}, code, stderr)
			var c contract
			require.NoError(t, json.Unmarshal([]byte(stdout), &c))
			want := map[string]string{}
			for _, r := range c.Results {
				switch {
				case r.Status == "FAIL" || r.Status == "ERROR" && r.Severity == "required":
					want[r.ID] = "error"
				case r.Status == "WARN" || r.Status == "ERROR":
					want[r.ID] = "warning"
				}
			}
			got := map[string]string{}
			for _, r := range readSARIF(t, out).Runs[0].Results {
				got[r.RuleID] = r.Level
				require.Len(t, r.Locations, 1)
				assert.Nil(t, r.Locations[0].PhysicalLocation, "no file")
				require.Len(t, r.Locations[0].LogicalLocations, 1)
				assert.Contains(t, r.Locations[0].LogicalLocations[0].Name, "arn:aws:kms:")
				if r.Properties["cmkcheck/status"] == "ERROR" {
					assert.Contains(t, r.Properties["cmkcheck/not_judged"], "not judged")
				}
			}
			assert.Equal(t, want, got)
			assert.Contains(t, got, wantID)
		})
	}
}

// Every input cmkcheck judges writes SARIF, OCSF and OSCAL that their
// ecosystems' validators accept: each fixture snapshot with each profile,
// each template and plan, a live key (one the embedded target provisions),
// and fleet runs (a key that is not there, a
// region that cannot be listed), with the catalog the OSCAL points to.
// The validators run when CMK_FORMAT_PYTHON names them (make test);
// without it the files are still written, and the test skips saying so.
func TestEveryFixtureWritesFormatsThatValidate(t *testing.T) {
	dir := t.TempDir()
	var sarifs, ocsfs, oscals []string
	formats := func(base string) []string {
		sarifs, ocsfs, oscals = append(sarifs, base+".sarif"), append(ocsfs, base+".ocsf.json"), append(oscals, base+".oscal.json")
		return []string{"--sarif", base + ".sarif", "--ocsf", base + ".ocsf.json", "--oscal", base + ".oscal.json"}
	}
	catalog := filepath.Join(dir, "catalog.oscal.json")
	code, _, stderr := cmkcheck(t, nil, "catalog", "--oscal", catalog)
	require.Equal(t, exitReady, code, stderr)

	n := 0
	for i, snap := range fixtureSnapshots(t) {
		for j, prof := range fixtureProfiles(t) {
			args := []string{"evaluate", "--snapshot", snap}
			if prof != "" {
				args = append(args, "--profile", prof)
			}
			base := filepath.Join(dir, fmt.Sprintf("snap-%d-%d", i, j))
			code, _, stderr := cmkcheck(t, nil, append(args, formats(base)...)...)
			if code == exitUsage {
				sarifs, ocsfs, oscals = sarifs[:len(sarifs)-1], ocsfs[:len(ocsfs)-1], oscals[:len(oscals)-1]
				continue // a profile naming another key than the snapshot's
			}
			require.Contains(t, []int{exitReady, exitNotReady}, code, "%s | %s: %s", snap, prof, stderr)
			n++
		}
	}
	assert.Greater(t, n, 90, "every snapshot, every profile")
	i := 0
	for name, in := range iacInputs(t, dir) {
		base := filepath.Join(dir, fmt.Sprintf("iac-%d", i))
		i++
		code, _, stderr := cmkcheck(t, nil, append(append([]string{"evaluate", "--profile", "../../" + iacfixtures.Profile}, in...), formats(base)...)...)
		require.Contains(t, []int{exitReady, exitNotReady}, code, "%s: %s", name, stderr)
	}
	audit := filepath.Join(dir, "audit")
	code, _, stderr = cmkcheck(t, nil, append([]string{"audit", "--out", audit}, formats(audit)...)...)
	require.Contains(t, []int{exitReady, exitNotReady}, code, "a key the embedded target provisions: %s", stderr)
	keys := filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte("alias/Not-Made-Yet\n"), 0o644))
	code, _, stderr = cmkcheck(t, nil, append([]string{"audit", "--keys", keys, "--out", filepath.Join(dir, "fleet-missing")}, formats(filepath.Join(dir, "fleet-missing"))...)...)
	require.Equal(t, exitNotReady, code, stderr)
	code, _, stderr = cmkcheck(t, nil, append([]string{"audit", "--all", "--regions", "us-east-1,eu-west-1", "--out", filepath.Join(dir, "fleet-region")}, formats(filepath.Join(dir, "fleet-region"))...)...)
	require.Equal(t, exitNotReady, code, stderr)
	for _, f := range append(append(append([]string{catalog}, sarifs...), ocsfs...), oscals...) {
		_, err := os.Stat(f)
		require.NoError(t, err, "written")
	}
	// A key that is not there is judged (its DescribeKey is an error); a
	// region that cannot be listed is in the formats too, never absent.
	assert.NotEmpty(t, readSARIF(t, filepath.Join(dir, "fleet-missing.sarif")).Runs[0].Results)
	var unlisted []string
	for _, r := range readSARIF(t, filepath.Join(dir, "fleet-region.sarif")).Runs[0].Results {
		if r.RuleID == "cmkcheck/not-audited" && r.Level == "error" {
			unlisted = append(unlisted, r.Locations[0].LogicalLocations[0].Name)
		}
	}
	assert.Equal(t, []string{"account 111122223333, region eu-west-1"}, unlisted)

	python := os.Getenv(formatcheck.Env)
	formatcheck.Ready(t, python)
	formatcheck.Validate(t, python, "oscal-catalog", catalog)
	formatcheck.Validate(t, python, "sarif", sarifs...)
	formatcheck.Validate(t, python, "ocsf", ocsfs...)
	formatcheck.Validate(t, python, "oscal-results", append([]string{"--catalog", catalog}, oscals...)...)
}
