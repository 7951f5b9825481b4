package collect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// The audit role's policies of examples/iam, held to the guard: every
// call an audit may send (the allowlists of guard.go and fleet.go) is
// allowed by the project's own IAM evaluator, and nothing else is. A call
// added to an allowlist fails here until its resource is named below and
// the policies allow it.

const (
	exampleAccount = "111122223333"
	exampleKey     = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	exampleRole    = "arn:aws:iam::111122223333:role/CmkAudit"
)

// callResources are the resources each call acts on in the examples'
// account: for a call that takes none, "*" (the Service Authorization
// Reference's "no resource type": only Resource "*" reaches it).
func callResources(op string, fleet bool) []string {
	keys := []string{exampleKey}
	rules := []string{"arn:aws:events:us-east-1:111122223333:rule/KeyAlerts"}
	if fleet {
		keys = append(keys, "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef")
		rules = append(rules, "arn:aws:events:eu-west-1:111122223333:rule/key-alerts")
	}
	switch op {
	case OpDescribeKey, OpGetKeyPolicy, OpGetKeyRotationStatus, OpListResourceTags, OpListGrants, OpEncrypt, OpDecrypt:
		return keys
	case OpListAliases, OpListKeys, OpGetCallerIdentity, OpGetAccountAuthorizationDetails, OpListAccounts,
		OpListRules, OpDescribeLogGroups, OpDescribeMetricFilters, OpDescribeAlarms:
		return []string{"*"}
	case OpSimulatePrincipalPolicy:
		return []string{exampleRole} // the caller's own policies (simulationPrincipal)
	case OpListTargetsByRule:
		return rules
	case OpAssumeRole:
		return []string{"arn:aws:iam::444455556666:role/CmkAudit", "arn:aws:iam::777788889999:role/CmkAudit"}
	}
	return nil
}

// outside are resources no call of the audit acts on: a key of another
// account, a role of its own account, and (but for a fleet, which reads
// every key of the account) another key of the account.
func outside(fleet bool) []string {
	out := []string{"arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:iam::111122223333:role/Admin",
		"arn:aws:events:us-east-1:444455556666:rule/KeyAlerts"}
	if !fleet {
		out = append(out, "arn:aws:kms:us-east-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab")
	}
	return out
}

// writes are actions of the services the policies name that an audit
// never sends; with every KMS action they are what must stay denied.
var writes = []string{
	"iam:CreateUser", "iam:PassRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy",
	"iam:GetRole", "iam:ListRoles", "sts:AssumeRole", "sts:GetSessionToken",
	"events:PutRule", "events:DeleteRule", "events:DisableRule", "events:PutTargets", "events:RemoveTargets",
	"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:GetLogEvents", "logs:FilterLogEvents",
	"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:GetMetricData",
	"organizations:ListAccountsForParent", "organizations:LeaveOrganization", "organizations:DescribeOrganization",
	"s3:GetObject", "cloudtrail:LookupEvents",
}

// auditScenario is one way of running the audit: the policies its caller
// holds and the calls it may send.
type auditScenario struct {
	name     string
	policies map[string][]byte // name -> document
	calls    []string
	fleet    bool
}

func auditScenarios(t *testing.T) []auditScenario {
	t.Helper()
	read := func(names ...string) map[string][]byte {
		out := map[string][]byte{}
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join("../../examples/iam", n))
			require.NoError(t, err)
			out[n] = b
		}
		return out
	}
	// --no-iam keeps the guard's list but does not read the account's IAM
	// (accountAuthorization); the simulation of the caller stays.
	noIAM := slices.DeleteFunc(ReadOnly(false), func(op string) bool { return op == OpGetAccountAuthorizationDetails })
	return []auditScenario{
		{name: "one key", policies: read("audit-key.json"), calls: ReadOnly(false)},
		{name: "one key with roundtrip", policies: read("audit-key.json", "roundtrip.json"), calls: ReadOnly(true)},
		{name: "one key, --no-iam", policies: read("audit-key-no-iam.json"), calls: noIAM},
		{name: "fleet --all", policies: read("audit-fleet.json"), calls: FleetReadOnly(false), fleet: true},
		{name: "fleet caller (--role-arn-template, --organization)", policies: read("fleet-caller.json"), calls: AccountReadOnly(), fleet: true},
		{name: "fleet member role, CloudFormation StackSet", policies: map[string][]byte{"cmkcheck-audit-role.yaml": cloudFormationRolePolicy(t)}, calls: FleetReadOnly(false), fleet: true},
		{name: "fleet member role, Terraform module", policies: map[string][]byte{"audit-policy.json.tftpl": terraformRolePolicy(t)}, calls: FleetReadOnly(false), fleet: true},
	}
}

// cloudFormationRolePolicy is the StackSet template's role policy as the
// stack gives it in the examples' account.
func cloudFormationRolePolicy(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/iam/cloudformation/cmkcheck-audit-role.yaml")
	require.NoError(t, err)
	var tmpl struct {
		Resources struct {
			CmkAuditRole struct {
				Properties struct {
					Policies []struct {
						PolicyDocument any `yaml:"PolicyDocument"`
					} `yaml:"Policies"`
				} `yaml:"Properties"`
			} `yaml:"CmkAuditRole"`
		} `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal(data, &tmpl))
	require.Len(t, tmpl.Resources.CmkAuditRole.Properties.Policies, 1)
	doc := substituteSub(tmpl.Resources.CmkAuditRole.Properties.Policies[0].PolicyDocument, strings.NewReplacer(
		"${AWS::Partition}", "aws", "${AWS::AccountId}", exampleAccount, "${RoleName}", "CmkAudit"))
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// substituteSub resolves each {"Fn::Sub": "..."} of v with r.
func substituteSub(v any, r *strings.Replacer) any {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			return r.Replace(s)
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = substituteSub(e, r)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substituteSub(e, r)
		}
		return out
	}
	return v
}

// terraformRolePolicy is the Terraform module's policy template as
// templatefile gives it in the examples' account.
func terraformRolePolicy(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/iam/terraform/cmkcheck-audit-role/audit-policy.json.tftpl")
	require.NoError(t, err)
	out := strings.NewReplacer("${partition}", "aws", "${account_id}", exampleAccount, "${role_name}", "CmkAudit").Replace(string(data))
	require.NotContains(t, out, "${", "every template variable is one the module sets")
	return []byte(out)
}

// The Terraform module is not run through terraform here (it is not
// installed); HashiCorp's HCL parser holds its files to the syntax at
// least, and the policy template is evaluated above.
func TestTerraformModuleParses(t *testing.T) {
	files, err := filepath.Glob("../../examples/iam/terraform/cmkcheck-audit-role/*.tf")
	require.NoError(t, err)
	require.Len(t, files, 3)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		_, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		assert.False(t, diags.HasErrors(), "%s: %s", f, diags.Error())
	}
}

// auditIdentity is the caller holding the documents.
func auditIdentity(t *testing.T, docs map[string][]byte) policy.Identity {
	t.Helper()
	who, err := policy.WhoARN(exampleRole)
	require.NoError(t, err)
	id := policy.Identity{Who: who}
	for name, b := range docs {
		doc, err := policy.ParseIdentityPolicy(b)
		require.NoError(t, err, name)
		id.Policies = append(id.Policies, policy.IdentityPolicy{Name: name, Doc: doc})
	}
	return id
}

// deniedCalls lists each call of s (with its resource) the documents do
// not allow.
func deniedCalls(t *testing.T, s auditScenario, docs map[string][]byte) []string {
	t.Helper()
	id := auditIdentity(t, docs)
	var denied []string
	for _, op := range s.calls {
		resources := callResources(op, s.fleet)
		require.NotEmpty(t, resources, "the guard allows %s, which no example policy accounts for: name its resource in callResources and allow it in examples/iam", op)
		for _, res := range resources {
			if answer, _ := policy.DecideIdentity(id, op, res); answer != policy.Allowed {
				denied = append(denied, op+" on "+res+": "+string(answer))
			}
		}
	}
	return denied
}

func TestAuditRolePoliciesAllowEveryCallAndNothingElse(t *testing.T) {
	for _, s := range auditScenarios(t) {
		t.Run(s.name, func(t *testing.T) {
			assert.Empty(t, deniedCalls(t, s, s.policies), "calls the audit makes that the policy does not allow")

			id := auditIdentity(t, s.policies)
			others := slices.Concat(policy.KMSActions(), writes, ReadOnly(true), FleetReadOnly(true), AccountReadOnly())
			var allowed []string
			for _, action := range others {
				var resources []string
				switch {
				case !slices.Contains(s.calls, action):
					resources = slices.Concat(outside(s.fleet), []string{"*", exampleKey, exampleRole}, callResources(action, true))
				case !slices.Contains(callResources(action, s.fleet), "*"):
					resources = outside(s.fleet) // a call of the audit, on what it does not act on
				}
				for _, res := range resources {
					if answer, _ := policy.DecideIdentity(id, action, res); answer != policy.NotAllowed {
						allowed = append(allowed, action+" on "+res+": "+string(answer))
					}
				}
			}
			assert.Empty(t, allowed, "what the policy allows beyond the audit's calls on their resources")
		})
	}
}

// Every action of every policy is needed: without it, some call of the
// audit is denied.
func TestAuditRolePoliciesNeedEachAction(t *testing.T) {
	for _, s := range auditScenarios(t) {
		for name, doc := range s.policies {
			var d struct {
				Version   string
				Statement []map[string]any
			}
			require.NoError(t, json.Unmarshal(doc, &d), name)
			for i, st := range d.Statement {
				actions := st["Action"].([]any)
				for j, a := range actions {
					t.Run(s.name+"/"+name+"/without "+a.(string), func(t *testing.T) {
						cut := d
						cut.Statement = slices.Clone(d.Statement)
						if len(actions) == 1 {
							cut.Statement = slices.Delete(cut.Statement, i, i+1)
						} else {
							st2 := map[string]any{}
							for k, v := range st {
								st2[k] = v
							}
							st2["Action"] = slices.Delete(slices.Clone(actions), j, j+1)
							cut.Statement[i] = st2
						}
						b, err := json.Marshal(cut)
						require.NoError(t, err)
						docs := map[string][]byte{}
						for n, other := range s.policies {
							docs[n] = other
						}
						docs[name] = b
						assert.NotEmpty(t, deniedCalls(t, s, docs), "%s is not needed by any call", a)
					})
				}
			}
		}
	}
}
