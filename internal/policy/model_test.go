package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testKey = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	adm     = "arn:aws:iam::111122223333:role/KeyAdmin"
	pathed  = "arn:aws:iam::111122223333:role/team/Pathed"
	bob     = "arn:aws:iam::111122223333:user/bob"
	sess    = "arn:aws:sts::111122223333:assumed-role/KeyAdmin/alice"
	extRole = "arn:aws:iam::222233334444:role/Ext"
	extUser = "arn:aws:iam::222233334444:user/eve"
)

// Documentation the expectations rest on.
const (
	docPrincipal    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docNotPrincipal = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
	docAction       = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"
	docNotAction    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"
	docResource     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
	docNotResource  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"
	docCondition    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"
	docOperators    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	docARNOperators = docOperators + "#Conditions_ARN"
	docPrincipalArn = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn"
	docMultiValue   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
	docGlobalKeys   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
	docVariables    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
	docEvaluation   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
	docKeyPolicies  = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"
	docDefault      = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
	docCrossAccount = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"
	docKMSKeys      = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"
	docGrants       = "https://docs.aws.amazon.com/kms/latest/developerguide/grants.html"
	docUniqueIDs    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids"
	docAPISchedule  = "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html"
	docAPIPut       = "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"
)

func policyOf(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func newModel(t testing.TB, policy string, grants []Grant, opts ...Option) *Model {
	t.Helper()
	m, err := NewModel(mustParse(t, policy), testKey, grants, opts...)
	require.NoError(t, err)
	return m
}

func mustWho(t testing.TB, s string) Who {
	t.Helper()
	w, err := ParseWho(s)
	require.NoError(t, err, s)
	return w
}

// allow builds an Allow statement; extra is appended inside the object.
func allow(principal, action, extra string) string {
	return `{"Effect":"Allow","Principal":` + principal + `,"Action":` + action + `,"Resource":"*"` + extra + `}`
}

func deny(principal, action, extra string) string {
	return `{"Effect":"Deny","Principal":` + principal + `,"Action":` + action + `,"Resource":"*"` + extra + `}`
}

func cond(c string) string { return `,"Condition":` + c }

type question struct {
	who, action string
	want        Answer
	iam         bool
}

type modelCase struct {
	name, doc string
	policy    string
	grants    []Grant
	opts      []Option
	asks      []question
}

func runCases(t *testing.T, cases []modelCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(t, tc.policy, tc.grants, tc.opts...)
			for _, q := range tc.asks {
				d := m.Decide(mustWho(t, q.who), q.action)
				assert.Equal(t, q.want, d.Answer, "%s %s (%s): %s", q.who, q.action, tc.doc, d.Why())
				assert.Equal(t, q.iam, d.IAMDecides, "%s %s IAMDecides (%s): %s", q.who, q.action, tc.doc, d.Why())
			}
		})
	}
}

func TestPrincipalElement(t *testing.T) {
	runCases(t, []modelCase{
		// "For resource-based policies, using a wildcard (*) with an Allow
		// effect grants access to all users, including anonymous users";
		// "*" and {"AWS":"*"} are equivalent.
		{"star is everyone", docPrincipal, policyOf(allow(`"*"`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{"anonymous", "kms:Decrypt", Allowed, false},
			{"any-other-account", "kms:Decrypt", Allowed, false},
			{"account:111122223333", "kms:Decrypt", Allowed, false},
			{bob, "kms:Decrypt", Allowed, false},
			{"service:logs.amazonaws.com", "kms:Decrypt", Allowed, false},
			{bob, "kms:Encrypt", NotAllowed, false},
		}},
		{"aws star is everyone", docPrincipal, policyOf(allow(`{"AWS":"*"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{"anonymous", "kms:Decrypt", Allowed, false},
			{extUser, "kms:Decrypt", Allowed, false},
		}},
		// "The account ARN and the shortened account ID behave the same
		// way. Both delegate permissions to the account."
		{"other account by ID or root ARN", docPrincipal, policyOf(
			allow(`{"AWS":"222233334444"}`, `"kms:Decrypt"`, ""),
			allow(`{"AWS":"arn:aws:iam::222233334444:root"}`, `"kms:Encrypt"`, "")), nil, nil, []question{
			{extRole, "kms:Decrypt", Allowed, false},
			{extUser, "kms:Encrypt", Allowed, false},
			{"account:222233334444", "kms:Decrypt", Allowed, false},
			{"arn:aws:iam::222233334444:root", "kms:Decrypt", Allowed, false},
			{"arn:aws:sts::222233334444:assumed-role/Ext/s", "kms:Encrypt", Allowed, false},
			{"any-other-account", "kms:Decrypt", NotAllowed, false},
			{"anonymous", "kms:Decrypt", NotAllowed, false},
		}},
		// A role principal: "When they use those session credentials ...
		// they become a role session principal"; the role ARN names its
		// sessions. A session ARN names that session only.
		{"role names its sessions", docPrincipal, policyOf(allow(`{"AWS":"`+adm+`"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{adm, "kms:Decrypt", Allowed, false},
			{sess, "kms:Decrypt", Allowed, false},
			{"arn:aws:iam::111122223333:role/Other", "kms:Decrypt", NotAllowed, false},
			{"account:111122223333", "kms:Decrypt", NotAllowed, false},
			{"arn:aws:iam::222233334444:role/KeyAdmin", "kms:Decrypt", NotAllowed, false},
		}},
		{"role with a path names sessions by role name", docPrincipal, policyOf(allow(`{"AWS":"`+pathed+`"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{"arn:aws:sts::111122223333:assumed-role/Pathed/x", "kms:Decrypt", Allowed, false},
			{pathed, "kms:Decrypt", Allowed, false},
		}},
		{"session names one session", docPrincipal, policyOf(allow(`{"AWS":"`+sess+`"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{sess, "kms:Decrypt", Allowed, false},
			{"arn:aws:sts::111122223333:assumed-role/KeyAdmin/mallory", "kms:Decrypt", NotAllowed, false},
			// The role's sessions: only those named alice.
			{adm, "kms:Decrypt", Conditional, false},
			{"arn:aws:iam::111122223333:role/Other", "kms:Decrypt", NotAllowed, false},
		}},
		// "In a Principal element, the user name part of the ARN is case sensitive."
		{"user names the user, case-sensitively", docPrincipal, policyOf(allow(`{"AWS":"`+bob+`"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{bob, "kms:Decrypt", Allowed, false},
			{"arn:aws:iam::111122223333:user/Bob", "kms:Decrypt", NotAllowed, false},
			{"arn:aws:iam::111122223333:root", "kms:Decrypt", NotAllowed, false},
		}},
		{"federated user session", docPrincipal, policyOf(allow(`{"AWS":"arn:aws:sts::222233334444:federated-user/fed"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{"arn:aws:sts::222233334444:federated-user/fed", "kms:Decrypt", Allowed, false},
			{"arn:aws:sts::222233334444:federated-user/other", "kms:Decrypt", NotAllowed, false},
			{extUser, "kms:Decrypt", NotAllowed, false},
		}},
		{"service and federated principals", docPrincipal, policyOf(
			allow(`{"Service":"logs.us-east-1.amazonaws.com"}`, `"kms:Encrypt"`, ""),
			allow(`{"Federated":"cognito-identity.amazonaws.com"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{"service:logs.us-east-1.amazonaws.com", "kms:Encrypt", Allowed, false},
			{"service:logs.amazonaws.com", "kms:Encrypt", NotAllowed, false},
			{"federated:cognito-identity.amazonaws.com", "kms:Decrypt", Allowed, false},
			{"federated:accounts.google.com", "kms:Decrypt", NotAllowed, false},
			{"anonymous", "kms:Encrypt", NotAllowed, false},
		}},
		// A deleted principal shows as its unique ID and "the policy no
		// longer applies, even if you recreate" it.
		{"stale unique ID matches nobody", docUniqueIDs, policyOf(allow(`{"AWS":"AROAEXAMPLEID12345678"}`, `"kms:*"`, "")), nil, nil, []question{
			{adm, "kms:Decrypt", NotAllowed, false},
			{"account:111122223333", "kms:Decrypt", NotAllowed, false},
			{"anonymous", "kms:Decrypt", NotAllowed, false},
		}},
		{"canonical user names nobody here", docPrincipal, policyOf(allow(`{"CanonicalUser":"`+strings.Repeat("79a59df900b949e5", 4)+`"}`, `"kms:*"`, "")), nil, nil, []question{
			{"anonymous", "kms:Decrypt", NotAllowed, false},
			{bob, "kms:Decrypt", NotAllowed, false},
		}},
		// Fail closed: a principal this model cannot read may be who's.
		{"unrecognised principal is conditional for its account", docPrincipal, policyOf(
			allow(`{"AWS":"arn:aws:iam::111122223333:group/devs"}`, `"kms:Decrypt"`, ""),
			allow(`{"AWS":"not-a-principal"}`, `"kms:Encrypt"`, ""),
			allow(`{"Service":"Logs"}`, `"kms:Sign"`, ""),
			allow(`{"Federated":"Nope"}`, `"kms:Verify"`, "")), nil, nil, []question{
			{bob, "kms:Decrypt", Conditional, false},
			{extUser, "kms:Decrypt", NotAllowed, false},
			{"anonymous", "kms:Decrypt", NotAllowed, false},
			{"service:logs.amazonaws.com", "kms:Decrypt", NotAllowed, false},
			{extUser, "kms:Encrypt", Conditional, false},
			{"service:logs.amazonaws.com", "kms:Encrypt", NotAllowed, false},
			{"service:logs.amazonaws.com", "kms:Sign", Conditional, false},
			{bob, "kms:Sign", NotAllowed, false},
			{"federated:accounts.google.com", "kms:Verify", Conditional, false},
			{bob, "kms:Verify", NotAllowed, false},
		}},
		{"other partition is another account", docPrincipal, policyOf(allow(`{"AWS":"arn:aws-cn:iam::111122223333:root"}`, `"kms:Decrypt"`, "")), nil, nil, []question{
			{bob, "kms:Decrypt", NotAllowed, false},
		}},
	})
}

func TestOwnAccountRootIsTheIAMDelegation(t *testing.T) {
	runCases(t, []modelCase{
		// The default key policy's root statement "allows the account to
		// use IAM policies ... to allow access to the KMS key"; it gives no
		// one access by itself.
		{"root ARN", docDefault, policyOf(allow(`{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, "")), nil, nil, []question{
			{bob, "kms:ScheduleKeyDeletion", NotAllowed, true},
			{adm, "kms:PutKeyPolicy", NotAllowed, true},
			{sess, "kms:Decrypt", NotAllowed, true},
			{"account:111122223333", "kms:Decrypt", NotAllowed, true},
			{"arn:aws:iam::111122223333:root", "kms:Decrypt", NotAllowed, true},
			{extUser, "kms:Decrypt", NotAllowed, false},
			{"anonymous", "kms:Decrypt", NotAllowed, false},
		}},
		{"bare account ID", docDefault, policyOf(allow(`{"AWS":"111122223333"}`, `"kms:*"`, "")), nil, nil, []question{
			{bob, "kms:Encrypt", NotAllowed, true},
		}},
		{"named as well as the root: allowed directly", docDefault, policyOf(allow(`{"AWS":["111122223333","`+adm+`"]}`, `"kms:*"`, "")), nil, nil, []question{
			{adm, "kms:Encrypt", Allowed, false},
			{bob, "kms:Encrypt", NotAllowed, true},
		}},
		// Principal "*" with aws:PrincipalAccount is not the delegation:
		// the key policy itself allows every identity of the account.
		{"star with PrincipalAccount grants directly", docGlobalKeys, policyOf(allow(`"*"`, `"kms:ScheduleKeyDeletion"`,
			cond(`{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`))), nil, nil, []question{
			{bob, "kms:ScheduleKeyDeletion", Allowed, false},
			{"account:111122223333", "kms:ScheduleKeyDeletion", Allowed, false},
			{"arn:aws:iam::111122223333:root", "kms:ScheduleKeyDeletion", Allowed, false},
			{extUser, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{"any-other-account", "kms:ScheduleKeyDeletion", NotAllowed, false},
			{"anonymous", "kms:ScheduleKeyDeletion", NotAllowed, false},
			{"service:logs.amazonaws.com", "kms:ScheduleKeyDeletion", Conditional, false},
		}},
		{"star with kms:CallerAccount grants directly", docKMSKeys, policyOf(allow(`"*"`, `"kms:ScheduleKeyDeletion"`,
			cond(`{"StringEquals":{"kms:CallerAccount":"111122223333"}}`))), nil, nil, []question{
			{adm, "kms:ScheduleKeyDeletion", Allowed, false},
		}},
		// A Deny naming an account covers all of its identities; IAM
		// cannot undo an explicit deny.
		{"deny on the own account", docEvaluation, policyOf(
			allow(`{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, ""),
			allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, ""),
			deny(`{"AWS":"111122223333"}`, `"kms:ScheduleKeyDeletion"`, "")), nil, nil, []question{
			{adm, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{bob, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{adm, "kms:Decrypt", Allowed, false},
			{bob, "kms:Decrypt", NotAllowed, true},
		}},
		{"conditional delegation", docDefault, policyOf(allow(`{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`,
			cond(`{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`))), nil, nil, []question{
			{bob, "kms:Decrypt", NotAllowed, true},
		}},
		{"delegation whose condition cannot hold", docDefault, policyOf(allow(`{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`,
			cond(`{"StringEquals":{"aws:PrincipalAccount":"999988887777"}}`))), nil, nil, []question{
			{bob, "kms:Decrypt", NotAllowed, false},
		}},
	})
}

func TestNotPrincipalElement(t *testing.T) {
	runCases(t, []modelCase{
		// "If evaluating an assumed-role user, AWS first checks the
		// account, then the role, and finally the assumed-role user";
		// "you must also specify the account ARN of the principal that you
		// do not want to deny. Otherwise, the policy might deny access to
		// the entire account."
		{"deny with a listed role denies its sessions", docNotPrincipal, policyOf(
			allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"AWS":"`+adm+`"},"Action":"kms:PutKeyPolicy","Resource":"*"}`), nil, nil, []question{
			{adm, "kms:PutKeyPolicy", NotAllowed, false},
			{sess, "kms:PutKeyPolicy", NotAllowed, false},
			{adm, "kms:Decrypt", Allowed, false},
		}},
		{"account, role and session listed: that session exempt", docNotPrincipal, policyOf(
			allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","`+adm+`","`+sess+`"]},"Action":"kms:PutKeyPolicy","Resource":"*"}`), nil, nil, []question{
			{sess, "kms:PutKeyPolicy", Allowed, false},
			{"arn:aws:sts::111122223333:assumed-role/KeyAdmin/other", "kms:PutKeyPolicy", NotAllowed, false},
			{adm, "kms:PutKeyPolicy", Conditional, false},
		}},
		{"user exempt only with its account", docNotPrincipal, policyOf(
			allow(`"*"`, `"kms:Decrypt"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"AWS":"`+bob+`"},"Action":"kms:Decrypt","Resource":"*"}`,
			allow(`"*"`, `"kms:Encrypt"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"AWS":["`+bob+`","arn:aws:iam::111122223333:root"]},"Action":"kms:Encrypt","Resource":"*"}`), nil, nil, []question{
			{bob, "kms:Decrypt", NotAllowed, false},
			{bob, "kms:Encrypt", Allowed, false},
			{"account:111122223333", "kms:Encrypt", NotAllowed, false},
			{"arn:aws:iam::111122223333:root", "kms:Encrypt", Allowed, false},
			{"anonymous", "kms:Encrypt", NotAllowed, false},
		}},
		// NotPrincipal with Allow "allows all principals except the one
		// named", anonymous included.
		{"allow with NotPrincipal is nearly public", docNotPrincipal, policyOf(
			`{"Effect":"Allow","NotPrincipal":{"AWS":"` + bob + `"},"Action":"kms:Decrypt","Resource":"*"}`), nil, nil, []question{
			{"anonymous", "kms:Decrypt", Allowed, false},
			{"any-other-account", "kms:Decrypt", Allowed, false},
			{bob, "kms:Decrypt", Allowed, false}, // bob's account is not listed
		}},
		{"NotPrincipal star exempts everyone", docNotPrincipal, policyOf(
			allow(`"*"`, `"kms:Decrypt"`, ""),
			`{"Effect":"Deny","NotPrincipal":"*","Action":"kms:Decrypt","Resource":"*"}`), nil, nil, []question{
			{bob, "kms:Decrypt", Allowed, false},
		}},
		{"services and providers are exempt when listed", docNotPrincipal, policyOf(
			allow(`"*"`, `"kms:Decrypt"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"Service":"logs.amazonaws.com","Federated":"accounts.google.com"},"Action":"kms:Decrypt","Resource":"*"}`), nil, nil, []question{
			{"service:logs.amazonaws.com", "kms:Decrypt", Allowed, false},
			{"federated:accounts.google.com", "kms:Decrypt", Allowed, false},
			{"service:s3.amazonaws.com", "kms:Decrypt", NotAllowed, false},
			{bob, "kms:Decrypt", NotAllowed, false},
		}},
		{"stale ID in NotPrincipal exempts nobody", docUniqueIDs, policyOf(
			allow(`"*"`, `"kms:Decrypt"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"AWS":["AIDAEXAMPLEID12345678","111122223333"]},"Action":"kms:Decrypt","Resource":"*"}`), nil, nil, []question{
			{bob, "kms:Decrypt", NotAllowed, false},
			{"arn:aws:iam::111122223333:root", "kms:Decrypt", Allowed, false},
		}},
		{"unrecognised entry in NotPrincipal may exempt", docNotPrincipal, policyOf(
			allow(`"*"`, `"kms:Decrypt"`, ""),
			`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:group/g","111122223333"]},"Action":"kms:Decrypt","Resource":"*"}`), nil, nil, []question{
			{bob, "kms:Decrypt", Conditional, false},
		}},
	})
}

func TestActionElements(t *testing.T) {
	runCases(t, []modelCase{
		// Action values are case-insensitive and take * and ? wildcards.
		{"case and wildcards", docAction, policyOf(allow(`{"AWS":"`+adm+`"}`, `["KMS:encrypt","kms:Generate*","kms:?e?ncrypt*"]`, "")), nil, nil, []question{
			{adm, "kms:Encrypt", Allowed, false},
			{adm, "kms:GenerateDataKeyWithoutPlaintext", Allowed, false},
			{adm, "kms:ReEncryptFrom", Allowed, false},
			{adm, "kms:Decrypt", NotAllowed, false},
		}},
		// NotAction "matches everything except the specified list".
		{"NotAction", docNotAction, policyOf(`{"Effect":"Allow","Principal":{"AWS":"` + adm + `"},"NotAction":["kms:Schedule*","kms:PutKeyPolicy"],"Resource":"*"}`), nil, nil, []question{
			{adm, "kms:Decrypt", Allowed, false},
			{adm, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{adm, "kms:PutKeyPolicy", NotAllowed, false},
		}},
		{"other service's actions", docAction, policyOf(allow(`{"AWS":"`+adm+`"}`, `"s3:*"`, "")), nil, nil, []question{
			{adm, "kms:Decrypt", NotAllowed, false},
		}},
	})
}

func TestResourceElements(t *testing.T) {
	runCases(t, []modelCase{
		{"star and the key's ARN", docResource, policyOf(
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:Encrypt","Resource":"`+testKey+`"}`,
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:Decrypt","Resource":"arn:aws:kms:*:111122223333:key/*"}`,
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:Sign","Resource":"arn:aws:kms:us-west-2:111122223333:key/*"}`,
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:Verify","Resource":"arn:aws:kms:us-east-1:111122223333:alias/x"}`,
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:GenerateMac","Resource":"arn:aws:kms:*"}`), nil, nil, []question{
			{adm, "kms:Encrypt", Allowed, false},
			{adm, "kms:Decrypt", Allowed, false},
			{adm, "kms:Sign", NotAllowed, false},
			{adm, "kms:Verify", NotAllowed, false},
			{adm, "kms:GenerateMac", Conditional, false},
		}},
		{"NotResource", docNotResource, policyOf(
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:Encrypt","NotResource":"arn:aws:kms:us-west-2:111122223333:key/*"}`,
			`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:Decrypt","NotResource":"`+testKey+`"}`), nil, nil, []question{
			{adm, "kms:Encrypt", Allowed, false},
			{adm, "kms:Decrypt", NotAllowed, false},
		}},
		// A statement with neither element has no effect, Allow or Deny
		// (REQUIREMENTS.md "Access model"; KMS stores it all the same).
		{"no Resource: no effect", docKeyPolicies, policyOf(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Condition":{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}}`,
			allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, ""),
			`{"Effect":"Deny","Principal":"*","Action":"kms:PutKeyPolicy"}`), nil, nil, []question{
			{"account:444455556666", "kms:Decrypt", NotAllowed, false},
			{adm, "kms:PutKeyPolicy", Allowed, false},
		}},
	})
}

func TestDecisionLogic(t *testing.T) {
	runCases(t, []modelCase{
		// "An explicit deny in any policy overrides any allows."
		{"deny beats allow", docEvaluation, policyOf(
			allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, ""),
			deny(`{"AWS":"`+adm+`"}`, `"kms:ScheduleKeyDeletion"`, "")), nil, nil, []question{
			{adm, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{sess, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{adm, "kms:Encrypt", Allowed, false},
		}},
		{"conditional deny makes allow conditional", docEvaluation, policyOf(
			allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, ""),
			deny(`"*"`, `"kms:*"`, cond(`{"Bool":{"aws:SecureTransport":"false"}}`))), nil, nil, []question{
			{adm, "kms:Encrypt", Conditional, false},
			{bob, "kms:Encrypt", NotAllowed, false},
		}},
		{"no applicable allow", docEvaluation, policyOf(deny(`{"AWS":"`+adm+`"}`, `"kms:Encrypt"`, "")), nil, nil, []question{
			{bob, "kms:Encrypt", NotAllowed, false},
		}},
		{"definite allow among conditional ones", docEvaluation, policyOf(
			allow(`{"AWS":"`+adm+`"}`, `"kms:Encrypt"`, cond(`{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)),
			allow(`{"AWS":"`+adm+`"}`, `"kms:Encrypt"`, "")), nil, nil, []question{
			{adm, "kms:Encrypt", Allowed, false},
		}},
		// ScheduleKeyDeletion, PutKeyPolicy: "Cross-account use: No".
		{"cross-account rule", docAPISchedule, policyOf(allow(`{"AWS":"222233334444"}`, `"kms:*"`, ""), allow(`"*"`, `"kms:DisableKey"`, "")), nil, nil, []question{
			{extUser, "kms:ScheduleKeyDeletion", NotAllowed, false},
			{extUser, "kms:PutKeyPolicy", NotAllowed, false},
			{extUser, "kms:Decrypt", Allowed, false},
			{"any-other-account", "kms:DisableKey", NotAllowed, false},
			{bob, "kms:DisableKey", Allowed, false},
			{"anonymous", "kms:DisableKey", Allowed, false},
		}},
	})
}

func TestGrants(t *testing.T) {
	ctx := &GrantConstraints{EncryptionContextEquals: map[string]string{"Dept": "IT"}}
	grants := []Grant{
		{GrantId: "g-role", KeyId: testKey, GranteePrincipal: adm, RetiringPrincipal: extRole, Operations: []string{"Decrypt", "CreateGrant"}},
		{GrantId: "g-ctx", KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab", GranteePrincipal: bob, Operations: []string{"Encrypt"}, Constraints: ctx},
		{GrantId: "g-svc", GranteePrincipal: "logs.us-east-1.amazonaws.com", Operations: []string{"GenerateDataKey", "RetireGrant"}},
		{GrantId: "g-other-key", KeyId: "arn:aws:kms:us-east-1:111122223333:key/other", GranteePrincipal: bob, Operations: []string{"Sign"}},
		{GrantId: "g-own-root", GranteePrincipal: "arn:aws:iam::111122223333:root", Operations: []string{"Verify"}},
	}
	runCases(t, []modelCase{
		// "A grant ... allows the grantee principal to use the KMS key in
		// cryptographic operations"; constraints narrow the encryption
		// context of the requests; the retiring principal may retire it.
		{"grants give their operations", docGrants, policyOf(), grants, nil, []question{
			{adm, "kms:Decrypt", Allowed, false},
			{sess, "kms:Decrypt", Allowed, false},
			{adm, "kms:Encrypt", NotAllowed, false},
			{adm, "kms:CreateGrant", Allowed, false},
			{extRole, "kms:RetireGrant", Allowed, false},
			{extRole, "kms:Decrypt", NotAllowed, false},
			{bob, "kms:Encrypt", Conditional, false},
			{"service:logs.us-east-1.amazonaws.com", "kms:GenerateDataKey", Allowed, false},
			{"service:logs.us-east-1.amazonaws.com", "kms:RetireGrant", Allowed, false},
			{bob, "kms:Sign", NotAllowed, false},
			{bob, "kms:Verify", NotAllowed, true},
		}},
		{"a key policy deny beats a grant", docEvaluation, policyOf(deny(`"*"`, `"kms:Decrypt"`, "")), grants, nil, []question{
			{adm, "kms:Decrypt", NotAllowed, false},
		}},
	})
	m := newModel(t, policyOf(), grants)
	d := m.Decide(mustWho(t, bob), "kms:Encrypt")
	assert.True(t, d.HowOnly(), "an encryption-context constraint narrows how: %s", d.Why())
	assert.True(t, d.Grants())
	assert.Equal(t, []Source{{Statement: -1, GrantID: "g-ctx", Effect: "Allow", Conditional: true, Unresolved: []string{"kms:EncryptionContext:*"}}}, d.Allow)
	assert.Len(t, m.GrantList(), 4)
	assert.Contains(t, notesOf(m, "other-key"), "grant g-other-key is for key arn:aws:kms:us-east-1:111122223333:key/other, not this key: ignored")
	d = m.Decide(mustWho(t, adm), "kms:Decrypt")
	assert.Equal(t, "grant g-role", d.Allow[0].String())
}

func TestResourceUnresolved(t *testing.T) {
	m := newModel(t, policyOf(`{"Effect":"Allow","Principal":{"AWS":"`+adm+`"},"Action":"kms:GenerateMac","Resource":["arn:aws:kms:*","arn:aws:s3:::b"]}`), nil)
	d := m.Decide(mustWho(t, adm), "kms:GenerateMac")
	assert.Equal(t, Conditional, d.Answer)
	assert.Equal(t, []string{"Resource arn:aws:kms:*"}, d.Unresolved)
}

func notesOf(m *Model, kind string) []string {
	var out []string
	for _, n := range m.Notes() {
		if n.Kind == kind {
			out = append(out, n.Text)
		}
	}
	return out
}
