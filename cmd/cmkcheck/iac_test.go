package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

const (
	refTemplate = "../../" + iacfixtures.Template
	refParams   = "../../" + iacfixtures.Parameters
	refPlan     = "../../fixtures/iac/terraform/aep-cmk/plan.json"
	severalPlan = "../../fixtures/iac/terraform/several-keys/plan.json"
	beforeApply = "../../" + iacfixtures.Profile
)

type iacOut struct {
	Verdict string `json:"verdict"`
	Source  string `json:"source"`
	Keys    []struct {
		Source  string            `json:"source"`
		KeyARN  string            `json:"key_arn"`
		Verdict string            `json:"verdict"`
		Failing []string          `json:"failing"`
		Notes   []string          `json:"notes"`
		Unknown map[string]string `json:"unknown_before_deployment"`
		Results []struct {
			ID, Status, Observed string
		} `json:"results"`
	} `json:"keys"`
}

func iacJSON(t *testing.T, wantCode int, args ...string) iacOut {
	t.Helper()
	code, out, errOut := cmkcheck(t, nil, append(args, "--format", "json")...)
	require.Equal(t, wantCode, code, "%s\n%s", out, errOut)
	var s iacOut
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	return s
}

// The two commands of the README's "Before you apply".
func TestBeforeYouApplyCommands(t *testing.T) {
	code, out, errOut := cmkcheck(t, nil, "evaluate", "--cloudformation", refTemplate, "--parameters", refParams, "--profile", beforeApply)
	require.Equal(t, exitReady, code, "%s\n%s", out, errOut)
	assert.True(t, strings.HasSuffix(out, "verdict: READY\n"), out)
	assert.Contains(t, out, "== "+refTemplate+"#ExperiencePlatformKey\n")
	assert.Contains(t, out, "note: the key ID ")

	s := iacJSON(t, exitReady, "evaluate", "--terraform-plan", refPlan, "--profile", beforeApply)
	assert.Equal(t, "READY", s.Verdict)
	require.Len(t, s.Keys, 1)
	assert.Equal(t, refPlan+"#aws_kms_key.aep", s.Keys[0].Source)
	assert.Len(t, s.Keys[0].Results, len(checks.Catalog()), "one result per requirement")
	assert.Empty(t, s.Keys[0].Failing)
}

func TestIaCVariantsAreNotReady(t *testing.T) {
	for _, v := range iacfixtures.Variants {
		t.Run(v.Name, func(t *testing.T) {
			var want []string
			for id, st := range v.NonPass {
				if st == "FAIL" || st == "ERROR" {
					want = append(want, id)
				}
			}
			code := exitNotReady
			if len(want) == 0 {
				code = exitReady // a variant the checks cannot catch yet (iacfixtures' Pending)
			}
			body, err := v.CloudFormation("../..")
			require.NoError(t, err)
			tmpl := filepath.Join(t.TempDir(), v.Name+".yaml")
			require.NoError(t, os.WriteFile(tmpl, []byte(body), 0o644))
			for _, args := range [][]string{
				{"evaluate", "--cloudformation", tmpl, "--parameters", refParams, "--profile", beforeApply},
				{"evaluate", "--terraform-plan", "../../" + v.Plan(), "--profile", beforeApply},
			} {
				s := iacJSON(t, code, args...)
				require.Len(t, s.Keys, 1)
				assert.ElementsMatch(t, want, s.Keys[0].Failing, "%v", args)
			}
		})
	}
}

// A policy naming a parameter without a default: the policy checks are
// ERROR, and they, the text and the JSON name the parameter.
func TestParameterWithoutDefault(t *testing.T) {
	tmpl := "../../" + iacfixtures.ParameterWithoutDefault
	s := iacJSON(t, exitNotReady, "evaluate", "--cloudformation", tmpl, "--profile", beforeApply)
	require.Len(t, s.Keys, 1)
	k := s.Keys[0]
	assert.ElementsMatch(t, []string{"CMK-ADM-1", "CMK-ADM-2", "CMK-ADM-3", "CMK-ADM-4", "CMK-USR-1", "CMK-USR-2", "CMK-USR-3", "CMK-USR-4", "CMK-AEP-1", "CMK-AEP-2"}, k.Failing)
	assert.Contains(t, k.Unknown["GetKeyPolicy"], "KeyPolicy uses parameter AdminRoleArn, which has no default")
	for _, r := range k.Results {
		if r.Status == "ERROR" {
			assert.Contains(t, r.Observed, "parameter AdminRoleArn", r.ID)
		}
	}
	code, out, _ := cmkcheck(t, nil, "evaluate", "--cloudformation", tmpl, "--profile", beforeApply, "--parameter", "AdminRoleArn=arn:aws:iam::111122223333:role/KMSKeyAdmin")
	assert.Equal(t, exitNotReady, code, "judged now: the policy lacks users and the platform's statements")
	assert.NotContains(t, out, "AdminRoleArn, which has no default")
}

// Several keys: a run per key, the exit status follows all of them, and
// --out writes each key's reports and an index.
func TestSeveralKeysReportsAndIndex(t *testing.T) {
	dir := t.TempDir()
	junit := filepath.Join(dir, "all.junit.xml")
	md := filepath.Join(dir, "all.md")
	code, out, errOut := cmkcheck(t, nil, "evaluate", "--terraform-plan", severalPlan, "--profile", beforeApply,
		"--out", filepath.Join(dir, "reports"), "--junit", junit, "--markdown", md)
	require.Equal(t, exitNotReady, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "== 3 key(s) in "+severalPlan)
	assert.Regexp(t, `aws_kms_key\.aep\s+READY\s*\n`, out)
	assert.Regexp(t, `aws_kms_key\.staging\s+NOT READY\s+CMK-ADM-1 `, out)
	assert.True(t, strings.HasSuffix(out, "verdict: NOT READY\n"))

	var idx iacOut
	data, err := os.ReadFile(filepath.Join(dir, "reports", "index.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &idx))
	require.Len(t, idx.Keys, 3)
	assert.Equal(t, "NOT READY", idx.Verdict)
	for _, name := range []string{"plan.json-aws_kms_key.aep", "plan.json-aws_kms_key.staging", "plan.json-module.logs.aws_kms_key.this"} {
		for _, ext := range []string{".results.json", ".junit.xml", ".md"} {
			assert.FileExists(t, filepath.Join(dir, "reports", name+ext))
		}
	}
	index, err := os.ReadFile(filepath.Join(dir, "reports", "index.md"))
	require.NoError(t, err)
	// The reports' Markdown escaping, as in the fleet's index: "_" is "\_".
	assert.Contains(t, string(index), "| "+severalPlan+"#aws\\_kms\\_key.staging | NOT READY | CMK-ADM-1, ")
	assert.Contains(t, string(index), "[plan.json-aws\\_kms\\_key.aep.md](plan.json-aws_kms_key.aep.md)")

	var suites struct {
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	data, err = os.ReadFile(junit)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &suites))
	assert.Len(t, suites.Suites, 3, "one testsuite per key")
	data, err = os.ReadFile(md)
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(data), "\n## What was checked"), "each key's report")

	// A key's results file reads back, and names the plan and the key.
	code, out, _ = cmkcheck(t, nil, "report", "--results", filepath.Join(dir, "reports", "plan.json-aws_kms_key.aep.results.json"), "--format", "json")
	assert.Equal(t, exitReady, code, out)
	data, err = os.ReadFile(filepath.Join(dir, "reports", "plan.json-aws_kms_key.aep.results.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"kind": "terraform-plan"`)
	assert.Contains(t, string(data), `"endpoint": "`+severalPlan+`#aws_kms_key.aep"`)
}

func TestIaCUsageErrors(t *testing.T) {
	noKey := filepath.Join(t.TempDir(), "bucket.yaml")
	require.NoError(t, os.WriteFile(noKey, []byte("Resources:\n  B: {Type: AWS::S3::Bucket}\n"), 0o644))
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("Resources: [\n"), 0o644))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--cloudformation", refTemplate, "--terraform-plan", refPlan}, "--cloudformation and --terraform-plan are given"},
		{[]string{"--cloudformation", refTemplate, "--snapshot", compliant}, "--snapshot and --cloudformation are given"},
		{[]string{"--cloudformation", ""}, "needs a file"},
		{[]string{"--terraform-plan", refPlan, "--parameter", "A=b"}, "CloudFormation's"},
		{[]string{"--cloudformation", refTemplate, "--parameter", "novalue"}, "want NAME=VALUE"},
		{[]string{"--cloudformation", refTemplate, "--parameter", "A=1", "--parameter", "A=2"}, "A is given twice"},
		{[]string{"--cloudformation", "nope.yaml"}, "nope.yaml"},
		{[]string{"--cloudformation", noKey}, "declares no AWS::KMS::Key (its resources: AWS::S3::Bucket)"},
		{[]string{"--cloudformation", bad}, "not readable YAML"},
		{[]string{"--cloudformation", refTemplate, "--parameters", refTemplate}, "not a parameters file"},
		{[]string{"--terraform-plan", refTemplate}, "not a JSON object"},
		{[]string{"--terraform-plan", compliant}, "no format_version"},
		{[]string{"--terraform-plan", severalPlan, "--results", "x.json"}, "declares 3 keys, and a results file holds one"},
		{[]string{"--cloudformation", refTemplate, "--format", "yaml"}, "want text or json"},
	}
	for _, c := range cases {
		code, out, errOut := cmkcheck(t, nil, append([]string{"evaluate", "--profile", beforeApply}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v\n%s", c.args, out)
		assert.Contains(t, errOut, c.want, "%v", c.args)
	}
	// No profile: nothing says which account or region the key is made in.
	code, _, errOut := cmkcheck(t, nil, "evaluate", "--cloudformation", refTemplate)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "the account the key will be made in is not known")
	code, _, errOut = cmkcheck(t, nil, "evaluate", "--cloudformation", refTemplate, "--account", "111122223333")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "the region the key will be made in is not known")
	// A plan says where it was made.
	code, _, _ = cmkcheck(t, nil, "evaluate", "--terraform-plan", refPlan)
	assert.Equal(t, exitNotReady, code, "judged without a profile: REG-1 has no region to compare")
}
