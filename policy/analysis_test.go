package policy

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	cjaAccounts = []string{"767397686373", "730335345392", "891377157113"}
	admins      = []string{"arn:aws:iam::111122223333:role/KeyAdmin", "arn:aws:iam::111122223333:user/ops/alice"}
	keyUsers    = []string{"arn:aws:iam::111122223333:role/service-role/app/DataPipeline", "arn:aws:iam::111122223333:user/bob"}
)

func consoleAnalysis(t testing.TB) *Analysis {
	t.Helper()
	return analyze(t, string(readTestdata(t, "console_adobe.json")))
}

func TestConsolePolicyWithAdobe(t *testing.T) {
	a := consoleAnalysis(t)

	assert.Equal(t, admins, arns(a.Administrators()))
	// Adobe's accounts are key users too; CMK-USR-1 looks at the own account's.
	assert.Equal(t, append(append([]string{}, keyUsers...),
		"arn:aws:iam::444455556666:root", "arn:aws:iam::730335345392:root",
		"arn:aws:iam::767397686373:root", "arn:aws:iam::891377157113:root"), arns(a.Users()))
	assert.Equal(t, admins, arns(a.DeletionHolders()), "the console's deletion checkbox was ticked")
	assert.Equal(t, []int{0}, a.RootDelegation())
	assert.Empty(t, a.Public())
	assert.Empty(t, a.UnknownPrincipals())
	assert.Equal(t, []string{"444455556666", "730335345392", "767397686373", "891377157113"}, a.ExternalAccounts())
	assert.Len(t, a.Principals(), 1+len(admins)+len(keyUsers)+1+len(cjaAccounts))

	root := aws(ownRoot)
	assert.True(t, a.AllowedAll(root, KMSActions()), "the delegation allows the root everything")
	for _, acct := range append([]string{adobe}, cjaAccounts...) {
		p := aws("arn:aws:iam::" + acct + ":root")
		assert.True(t, a.AllowedAll(p, AdobeActions), acct)
		for _, act := range AdobeForbiddenActions() {
			assert.Empty(t, a.Allowed(p, act), "%s %s", acct, act)
		}
		assert.Equal(t, []Condition{{"StringEquals", "aws:PrincipalAccount", []string{acct}}}, a.GrantConditions(p, "kms:Decrypt"))
	}
	// The same account written as a bare ID is the same principal.
	assert.True(t, a.AllowedAll(aws(adobe), AdobeActions))

	// Statements 0 and 4 share a Sid; each grant is still its own statement.
	assert.Equal(t, []int{4}, a.Allowed(aws("arn:aws:iam::"+adobe+":root"), "kms:Encrypt"))
	assert.Equal(t, []int{0}, a.Allowed(root, "kms:Encrypt"))
	assert.Equal(t, []int{0}, a.Allowed(root, "kms:PutKeyPolicy"))

	bob := aws(ownUser)
	assert.Equal(t, []int{2}, a.Allowed(bob, "kms:ReEncryptTo"))
	assert.Equal(t, []int{3}, a.Allowed(bob, "kms:CreateGrant"))
	assert.Empty(t, a.GrantConditions(bob, "kms:Encrypt"))
	assert.Equal(t, []Condition{{"Bool", "kms:GrantIsForAWSResource", []string{"true"}}}, a.GrantConditions(bob, "kms:RevokeGrant"))
	assert.Empty(t, a.Allowed(bob, "kms:PutKeyPolicy"))

	// The root delegation does not let an unnamed role of the own account in.
	stranger := aws("arn:aws:iam::111122223333:role/Other")
	for _, act := range KMSActions() {
		assert.Empty(t, a.Allowed(stranger, act), act)
	}

	held := a.HoldersAny(DangerousActions())
	assert.Equal(t, []string{admins[0], ownRoot, admins[1]}, sortedKeys(held))
	assert.Equal(t, DangerousActions(), held[admins[0]])
	assert.Equal(t, []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"},
		a.HoldersAny([]string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:Encrypt"})[ownUser])

	pinned, accts := a.Pinning(4)
	assert.True(t, pinned)
	assert.Equal(t, []string{adobe}, accts)
	pinned, accts = a.Pinning(0)
	assert.False(t, pinned)
	assert.Empty(t, accts)
}

// The platform's statements replaced the default policy instead of being
// added to it: one of them still carries the Sid "Enable IAM User
// Permissions", but no root delegation is left.
func TestReplacedPolicyHasNoRootDelegation(t *testing.T) {
	d := mustParse(t, string(readTestdata(t, "console_adobe.json")))
	d.Statements = d.Statements[4:]
	for i := range d.Statements {
		d.Statements[i].Index = i
	}
	require.Equal(t, "Enable IAM User Permissions", d.Statements[0].Sid)
	a := Analyze(d, own)
	assert.Empty(t, a.RootDelegation())
	assert.Empty(t, a.Administrators())
	assert.Len(t, a.Users(), 4, "only Adobe's accounts")
	assert.Empty(t, a.HoldersAny([]string{"kms:PutKeyPolicy"}))
}

func TestSameSidDifferentStatements(t *testing.T) {
	a := analyze(t, doc(
		`{"Sid":"S","Effect":"Allow","Principal":{"AWS":["`+ownAdmin+`","`+ownUser+`"]},"Action":"kms:*"}`,
		`{"Sid":"S","Effect":"Deny","Principal":{"AWS":"`+ownUser+`"},"Action":"kms:Decrypt"}`,
	))
	assert.Equal(t, []int{0}, a.Allowed(aws(ownAdmin), "kms:Decrypt"))
	assert.Empty(t, a.Allowed(aws(ownUser), "kms:Decrypt"))
	assert.Equal(t, []int{0}, a.Allowed(aws(ownUser), "kms:Encrypt"))
}

func TestPrincipalMatching(t *testing.T) {
	tests := []struct {
		name, principal string
		probe           Principal
		want            bool
	}{
		{"star admits another account", `"*"`, aws("arn:aws:iam::222233334444:role/X"), true},
		{"aws star admits a service", `{"AWS":"*"}`, ParsePrincipal("Service", "logs.amazonaws.com"), true},
		{"bare account is its root", `{"AWS":"111122223333"}`, aws(ownRoot), true},
		{"bare account does not admit its roles", `{"AWS":"111122223333"}`, aws(ownAdmin), false},
		{"root arn does not admit its users", `{"AWS":"` + ownRoot + `"}`, aws(ownUser), false},
		{"root arn is the bare account", `{"AWS":"` + ownRoot + `"}`, aws(own), true},
		{"aws-cn root", `{"AWS":"arn:aws-cn:iam::111122223333:root"}`, aws(own), true},
		{"aws-us-gov root", `{"AWS":"arn:aws-us-gov:iam::111122223333:root"}`, aws("arn:aws-us-gov:iam::111122223333:root"), true},
		{"other account root", `{"AWS":"` + ownRoot + `"}`, aws(other), false},
		{"user with path", `{"AWS":"arn:aws:iam::111122223333:user/ops/alice"}`, aws("arn:aws:iam::111122223333:user/ops/alice"), true},
		{"user other path", `{"AWS":"arn:aws:iam::111122223333:user/ops/alice"}`, aws("arn:aws:iam::111122223333:user/alice"), false},
		{"role in list", `{"AWS":["` + ownUser + `","` + ownAdmin + `"]}`, aws(ownAdmin), true},
		{"role is not its session", `{"AWS":"` + ownAdmin + `"}`, aws("arn:aws:sts::111122223333:assumed-role/KeyAdmin/s"), false},
		{"assumed role", `{"AWS":"arn:aws:sts::111122223333:assumed-role/KeyAdmin/s"}`, aws("arn:aws:sts::111122223333:assumed-role/KeyAdmin/s"), true},
		{"service", `{"Service":"logs.amazonaws.com"}`, ParsePrincipal("Service", "logs.amazonaws.com"), true},
		{"service in list with aws", `{"AWS":"` + ownAdmin + `","Service":["logs.amazonaws.com","s3.amazonaws.com"]}`, ParsePrincipal("Service", "s3.amazonaws.com"), true},
		{"service is not an aws principal", `{"Service":"logs.amazonaws.com"}`, aws("logs.amazonaws.com"), false},
		{"federated", `{"Federated":"arn:aws:iam::111122223333:saml-provider/ADFS"}`, ParsePrincipal("Federated", "arn:aws:iam::111122223333:saml-provider/ADFS"), true},
		{"canonical user", `{"CanonicalUser":"` + strings.Repeat("ab", 32) + `"}`, ParsePrincipal("CanonicalUser", strings.Repeat("ab", 32)), true},
		{"unknown listed matches itself", `{"AWS":"AROAEXAMPLEID1234567"}`, aws("AROAEXAMPLEID1234567"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, doc(`{"Effect":"Allow","Principal":`+tt.principal+`,"Action":"kms:Encrypt"}`))
			got := a.Allowed(tt.probe, "kms:Encrypt")
			if tt.want {
				assert.Equal(t, []int{0}, got)
			} else {
				assert.Empty(t, got)
			}
		})
	}
}

func TestPrincipalsAndAccounts(t *testing.T) {
	a := analyze(t, doc(
		`{"Effect":"Allow","Principal":{"AWS":["111122223333","`+ownRoot+`","`+ownAdmin+`","AROAEXAMPLEID1234567"]},"Action":"kms:Encrypt"}`,
		`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::333344445555:saml-provider/X","Service":"logs.amazonaws.com"},"Action":"kms:Encrypt"}`,
		`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:CallerAccount":"222233334444"}}}`,
		`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"kms:Decrypt"}`,
		`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::888877776666:root"},"Action":"kms:Decrypt","Condition":{"StringEquals":{"aws:PrincipalAccount":"777766665555"}}}`,
	))
	assert.Equal(t, []string{
		"AROAEXAMPLEID1234567",
		"arn:aws:iam::111122223333:role/KeyAdmin",
		ownRoot,
		"arn:aws:iam::222233334444:root",
		"arn:aws:iam::333344445555:saml-provider/X",
		"arn:aws:iam::777766665555:root",
		"logs.amazonaws.com",
	}, arns(a.Principals()), "Deny and NotPrincipal principals are not granted anything")
	assert.Equal(t, []string{"222233334444", "333344445555", "777766665555"}, a.ExternalAccounts())
	assert.Equal(t, []string{"AROAEXAMPLEID1234567"}, arns(a.UnknownPrincipals()))
	assert.Equal(t, KindAccount, a.Principals()[3].Kind)

	// Callers may not change the analysis through returned slices.
	a.Principals()[0].ARN = "changed"
	assert.Equal(t, "AROAEXAMPLEID1234567", a.Principals()[0].ARN)
}

func TestActionForms(t *testing.T) {
	tests := []struct {
		name, action string // the statement's Action or NotAction element
		probe        string
		want         bool
	}{
		{"exact", `"Action":"kms:Encrypt"`, "kms:Encrypt", true},
		{"case in policy", `"Action":"KMS:ENCRYPT"`, "kms:Encrypt", true},
		{"case in probe", `"Action":"kms:Encrypt"`, "KMS:encrypt", true},
		{"other action", `"Action":"kms:Encrypt"`, "kms:Decrypt", false},
		{"list", `"Action":["kms:Encrypt","kms:Decrypt"]`, "kms:Decrypt", true},
		{"star", `"Action":"*"`, "kms:ScheduleKeyDeletion", true},
		{"kms star", `"Action":"kms:*"`, "kms:ScheduleKeyDeletion", true},
		{"prefix star", `"Action":"kms:Schedule*"`, "kms:ScheduleKeyDeletion", true},
		{"question mark", `"Action":"kms:?ncrypt"`, "kms:Encrypt", true},
		{"question mark one char", `"Action":"kms:?crypt"`, "kms:Encrypt", false},
		{"other service", `"Action":"s3:*"`, "kms:Encrypt", false},
		{"not action grants the rest", `"NotAction":"kms:Decrypt"`, "kms:Encrypt", true},
		{"not action excludes", `"NotAction":"kms:Decrypt"`, "kms:Decrypt", false},
		{"not action wildcard", `"NotAction":["kms:Put*","kms:Schedule*"]`, "kms:PutKeyPolicy", false},
		{"not action all", `"NotAction":"kms:*"`, "kms:Encrypt", false},
		{"not action other service", `"NotAction":"s3:*"`, "kms:ScheduleKeyDeletion", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, doc(`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},`+tt.action+`}`))
			assert.Equal(t, tt.want, len(a.Allowed(aws(ownAdmin), tt.probe)) > 0)
		})
	}
}

func TestNotActionAdministrator(t *testing.T) {
	a := analyze(t, doc(`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"NotAction":["kms:Encrypt","kms:Decrypt"]}`))
	assert.Equal(t, []string{ownAdmin}, arns(a.Administrators()))
	assert.Empty(t, a.Users())
	assert.Equal(t, []string{ownAdmin}, arns(a.DeletionHolders()))
}

func TestDeny(t *testing.T) {
	allowAll := `{"Effect":"Allow","Principal":{"AWS":["` + ownAdmin + `","` + ownUser + `"]},"Action":"kms:*"}`
	tests := []struct {
		name, deny string
		admin      bool // kms:Decrypt still allowed to ownAdmin
		user       bool // kms:Decrypt still allowed to ownUser
	}{
		{"unconditional listed", `{"Effect":"Deny","Principal":{"AWS":"` + ownUser + `"},"Action":"kms:Decrypt"}`, true, false},
		{"unconditional star", `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt"}`, false, false},
		{"unconditional aws star", `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Dec*"}`, false, false},
		{"unconditional other action", `{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt"}`, true, true},
		{"unconditional not action", `{"Effect":"Deny","Principal":"*","NotAction":"kms:Encrypt"}`, false, false},
		{"unconditional not action excluded", `{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt"}`, true, true},
		{"unconditional not principal", `{"Effect":"Deny","NotPrincipal":{"AWS":"` + ownAdmin + `"},"Action":"kms:Decrypt"}`, true, false},
		{"conditional", `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, true, true},
		{"conditional pinned", `{"Effect":"Deny","Principal":"*","Action":"kms:*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}`, true, true},
		{"deny to own root reaches its roles and users", `{"Effect":"Deny","Principal":{"AWS":"` + ownRoot + `"},"Action":"kms:*"}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, doc(allowAll, tt.deny))
			assert.Equal(t, tt.admin, len(a.Allowed(aws(ownAdmin), "kms:Decrypt")) > 0, "admin")
			assert.Equal(t, tt.user, len(a.Allowed(aws(ownUser), "kms:Decrypt")) > 0, "user")
			// The order of Allow and Deny does not matter.
			b := analyze(t, doc(tt.deny, allowAll))
			assert.Equal(t, tt.user, len(b.Allowed(aws(ownUser), "kms:Decrypt")) > 0, "deny first")
		})
	}
}

func TestNotPrincipal(t *testing.T) {
	a := analyze(t, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"`+ownUser+`"},"Action":"kms:Encrypt"}`))
	assert.Equal(t, []int{0}, a.Public(), "an Allow with NotPrincipal is open to everyone else")
	assert.Equal(t, []int{0}, a.Allowed(aws("arn:aws:iam::222233334444:role/X"), "kms:Encrypt"))
	assert.Empty(t, a.Allowed(aws(ownUser), "kms:Encrypt"))
	assert.Empty(t, a.Principals())

	a = analyze(t, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"`+ownUser+`"},"Action":"kms:Encrypt","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}}`))
	assert.Empty(t, a.Public(), "pinned")

	// Only the listed admin keeps the right to delete.
	a = analyze(t, doc(
		`{"Effect":"Allow","Principal":{"AWS":["`+ownAdmin+`","`+ownUser+`"]},"Action":"kms:ScheduleKeyDeletion"}`,
		`{"Effect":"Deny","NotPrincipal":{"AWS":"`+ownAdmin+`"},"Action":"kms:ScheduleKeyDeletion"}`,
	))
	assert.Equal(t, []string{ownAdmin}, arns(a.DeletionHolders()))
}

func TestPinning(t *testing.T) {
	tests := []struct {
		name, cond string
		pinned     bool
		accounts   []string
	}{
		{"principal account", `{"StringEquals":{"aws:PrincipalAccount":"222233334444"}}`, true, []string{other}},
		{"caller account list", `{"StringEquals":{"kms:CallerAccount":["333344445555","222233334444"]}}`, true, []string{other, "333344445555"}},
		{"source account", `{"StringEquals":{"aws:SourceAccount":"222233334444"}}`, true, []string{other}},
		{"principal arn", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::222233334444:role/R"}}`, true, []string{other}},
		{"principal arn string equals", `{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222233334444:role/R"}}`, true, []string{other}},
		{"source arn", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:222233334444:log-group:app"}}`, true, []string{other}},
		{"source arn without account", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::bucket"}}`, true, nil},
		{"org id", `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`, true, nil},
		{"source vpc", `{"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`, true, nil},
		{"source vpce", `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`, true, nil},
		{"via service", `{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`, true, nil},
		{"key case", `{"StringEquals":{"AWS:PRINCIPALACCOUNT":"222233334444"}}`, true, []string{other}},
		{"ignore case", `{"StringEqualsIgnoreCase":{"aws:PrincipalAccount":"222233334444"}}`, true, []string{other}},
		{"like without wildcard", `{"StringLike":{"aws:PrincipalAccount":"222233334444"}}`, true, []string{other}},
		{"org id and account", `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5","aws:PrincipalAccount":"222233334444"}}`, true, []string{other}},
		{"one pinning key is enough", `{"StringEquals":{"aws:PrincipalAccount":"222233334444"},"Bool":{"aws:SecureTransport":"true"}}`, true, []string{other}},
		{"non-account value", `{"StringEquals":{"aws:PrincipalAccount":"abc"}}`, true, nil},

		{"like with star", `{"StringLike":{"aws:PrincipalAccount":"2222*"}}`, false, nil},
		{"arn like with star", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222233334444:role/*"}}`, false, nil},
		{"question mark", `{"StringEquals":{"aws:PrincipalAccount":"22223333444?"}}`, false, nil},
		{"one wildcard value of two", `{"StringEquals":{"aws:PrincipalAccount":["222233334444","*"]}}`, false, nil},
		{"policy variable", `{"StringEquals":{"aws:PrincipalAccount":"${aws:PrincipalAccount}"}}`, false, nil},
		{"if exists", `{"StringEqualsIfExists":{"aws:PrincipalAccount":"222233334444"}}`, false, nil},
		{"negated", `{"StringNotEquals":{"aws:PrincipalAccount":"222233334444"}}`, false, nil},
		{"negated arn", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::222233334444:role/R"}}`, false, nil},
		{"for any value", `{"ForAnyValue:StringEquals":{"aws:PrincipalAccount":"222233334444"}}`, false, nil},
		{"for all values", `{"ForAllValues:StringEquals":{"aws:PrincipalAccount":"222233334444"}}`, false, nil},
		{"operator case", `{"stringequals":{"aws:PrincipalAccount":"222233334444"}}`, false, nil},
		{"other key", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, false, nil},
		{"grant condition", `{"Bool":{"kms:GrantIsForAWSResource":"true"}}`, false, nil},
		{"encryption context", `{"StringEquals":{"kms:EncryptionContext:app":"x"}}`, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, doc(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":`+tt.cond+`}`))
			pinned, accounts := a.Pinning(0)
			assert.Equal(t, tt.pinned, pinned)
			assert.Equal(t, tt.accounts, accounts)

			outsider := aws("arn:aws:iam::555566667777:role/X")
			switch {
			case !tt.pinned:
				assert.Equal(t, []int{0}, a.Public())
				assert.Empty(t, a.Principals())
				assert.Equal(t, []int{0}, a.Allowed(outsider, "kms:Decrypt"))
			case len(tt.accounts) == 0:
				// Pinned without naming an account: not public, but everyone may match.
				assert.Empty(t, a.Public())
				assert.Empty(t, a.Principals())
				assert.Equal(t, []int{0}, a.Allowed(outsider, "kms:Decrypt"))
			default:
				assert.Empty(t, a.Public())
				var roots []string
				for _, acct := range tt.accounts {
					roots = append(roots, "arn:aws:iam::"+acct+":root")
				}
				assert.Equal(t, roots, arns(a.Principals()))
				assert.Equal(t, tt.accounts, a.ExternalAccounts())
				assert.Empty(t, a.Allowed(outsider, "kms:Decrypt"))
				assert.Equal(t, []int{0}, a.Allowed(aws("arn:aws:iam::"+tt.accounts[0]+":role/X"), "kms:Decrypt"))
				assert.NotEmpty(t, a.GrantConditions(aws(tt.accounts[0]), "kms:Decrypt"))
			}
		})
	}
}

func TestPinningOutOfRange(t *testing.T) {
	a := consoleAnalysis(t)
	for _, i := range []int{-1, 8, 1 << 30} {
		pinned, accts := a.Pinning(i)
		assert.False(t, pinned)
		assert.Nil(t, accts)
	}
}

func TestRootDelegation(t *testing.T) {
	rootAll := func(principal, action string) string {
		return `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + action + `,"Resource":"*"}`
	}
	tests := []struct {
		name  string
		stmts []string
		want  []int
	}{
		{"root arn kms star", []string{rootAll(ownRoot, `"kms:*"`)}, []int{0}},
		{"bare account", []string{rootAll(own, `"kms:*"`)}, []int{0}},
		{"aws-cn root", []string{rootAll("arn:aws-cn:iam::111122223333:root", `"kms:*"`)}, []int{0}},
		{"aws-us-gov root", []string{rootAll("arn:aws-us-gov:iam::111122223333:root", `"kms:*"`)}, []int{0}},
		{"star action", []string{rootAll(ownRoot, `"*"`)}, []int{0}},
		{"upper case", []string{rootAll(ownRoot, `["KMS:*"]`)}, []int{0}},
		{"in a list of principals", []string{`{"Effect":"Allow","Principal":{"AWS":["` + ownAdmin + `","` + ownRoot + `"]},"Action":"kms:*"}`}, []int{0}},
		{"conditional still counts", []string{`{"Effect":"Allow","Principal":{"AWS":"` + ownRoot + `"},"Action":"kms:*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`}, []int{0}},
		{"two statements", []string{rootAll(ownRoot, `"kms:*"`), rootAll(own, `"*"`)}, []int{0, 1}},
		{"after other statements", []string{`{"Effect":"Allow","Principal":{"AWS":"` + ownAdmin + `"},"Action":"kms:*"}`, rootAll(ownRoot, `"kms:*"`)}, []int{1}},

		{"absent", []string{`{"Effect":"Allow","Principal":{"AWS":"` + ownAdmin + `"},"Action":"kms:*"}`}, nil},
		{"empty policy", nil, nil},
		{"not all actions", []string{rootAll(ownRoot, `["kms:Encrypt","kms:PutKeyPolicy"]`)}, nil},
		{"wildcard pattern is not kms star", []string{rootAll(ownRoot, `"kms:*e*"`)}, nil},
		{"not action", []string{`{"Effect":"Allow","Principal":{"AWS":"` + ownRoot + `"},"NotAction":"kms:Foo"}`}, nil},
		{"other account root", []string{rootAll("arn:aws:iam::222233334444:root", `"kms:*"`)}, nil},
		{"star principal", []string{`{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`}, nil},
		{"deny statement", []string{`{"Effect":"Deny","Principal":{"AWS":"` + ownRoot + `"},"Action":"kms:*"}`}, nil},

		{"cancelled by deny all", []string{rootAll(ownRoot, `"kms:*"`), `{"Effect":"Deny","Principal":"*","Action":"kms:*"}`}, nil},
		{"cancelled by deny to root", []string{rootAll(ownRoot, `"kms:*"`), `{"Effect":"Deny","Principal":{"AWS":"` + own + `"},"Action":"kms:PutKeyPolicy"}`}, nil},
		{"cancelled by deny not action", []string{rootAll(ownRoot, `"kms:*"`), `{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt"}`}, nil},
		{"not cancelled by conditional deny", []string{rootAll(ownRoot, `"kms:*"`), `{"Effect":"Deny","Principal":"*","Action":"kms:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`}, []int{0}},
		{"not cancelled by deny to others", []string{rootAll(ownRoot, `"kms:*"`), `{"Effect":"Deny","NotPrincipal":{"AWS":"` + ownRoot + `"},"Action":"kms:*"}`}, []int{0}},
		{"not cancelled by deny of use", []string{rootAll(ownRoot, `"kms:*"`), `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt"}`}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, doc(tt.stmts...))
			assert.Equal(t, tt.want, a.RootDelegation())
			// The delegation alone makes nobody an administrator, user or deletion holder.
			if len(a.Principals()) == 1 && tt.want != nil {
				assert.Empty(t, a.Administrators())
				assert.Empty(t, a.Users())
				assert.Empty(t, a.DeletionHolders())
				assert.Len(t, a.HoldersAll(AdminActions), 1, "the root itself holds them")
			}
		})
	}
}

func TestOtherAccountRootIsCounted(t *testing.T) {
	a := analyze(t, doc(`{"Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"kms:*"}`))
	assert.Empty(t, a.RootDelegation())
	assert.Equal(t, []string{"arn:aws:iam::222233334444:root"}, arns(a.Administrators()))
	assert.Equal(t, []string{"arn:aws:iam::222233334444:root"}, arns(a.DeletionHolders()))
	assert.Equal(t, []string{other}, a.ExternalAccounts())
}

func TestRootDelegationNeedsOwnAccount(t *testing.T) {
	d := mustParse(t, string(readTestdata(t, "api_default.json")))
	assert.Equal(t, []int{0}, Analyze(d, own).RootDelegation())
	assert.Empty(t, Analyze(d, "").RootDelegation())
	assert.Empty(t, Analyze(d, other).RootDelegation())
	// Without its own account the root is just an account with every action.
	assert.Equal(t, []string{ownRoot}, arns(Analyze(d, "").Administrators()))
	assert.Equal(t, []string{own}, Analyze(d, "").ExternalAccounts())
}

func TestAdminAndUserSets(t *testing.T) {
	a := analyze(t, doc(
		// almost an admin: no kms:DeleteAlias
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Almost"},"Action":["kms:PutKeyPolicy","kms:Enable*","kms:Disable*","kms:Update*","kms:TagResource","kms:UntagResource","kms:CreateAlias"]}`,
		// the admin actions split over two statements
		`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":["kms:PutKeyPolicy","kms:Enable*","kms:Disable*"]}`,
		`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":["kms:UpdateKeyDescription","kms:*Resource","kms:*Alias"]}`,
		// a user through a conditional grant
		`{"Effect":"Allow","Principal":{"AWS":"`+ownUser+`"},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"],"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`,
		// almost a user: GenerateDataKeyPair only
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/carol"},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKeyPair","kms:DescribeKey"]}`,
	))
	assert.Equal(t, []string{"arn:aws:iam::111122223333:role/Almost", ownAdmin}, arns(a.HoldersAll([]string{"kms:PutKeyPolicy", "kms:CreateAlias"})))
	assert.Equal(t, []string{ownAdmin}, arns(a.HoldersAll([]string{"kms:PutKeyPolicy", "kms:DeleteAlias"})))
	assert.Equal(t, []string{ownAdmin}, arns(a.Administrators()))
	assert.Equal(t, []int{1}, a.Allowed(aws(ownAdmin), "kms:PutKeyPolicy"))
	assert.Equal(t, []int{0}, a.Allowed(aws("arn:aws:iam::111122223333:role/Almost"), "kms:CreateAlias"))
	assert.Equal(t, []string{ownUser}, arns(a.Users()))
	assert.Empty(t, a.DeletionHolders())
	assert.Equal(t, []Condition{{"StringEquals", "kms:ViaService", []string{"s3.us-east-1.amazonaws.com"}}}, a.GrantConditions(aws(ownUser), "kms:Decrypt"))
	assert.True(t, a.AllowedAll(aws(ownUser), nil), "every one of no actions")
}

func TestEmptyAndNilPolicies(t *testing.T) {
	for name, a := range map[string]*Analysis{
		"empty statement list": analyze(t, doc()),
		"nil document":         Analyze(nil, own),
		"zero analysis":        {},
		"hand-built statement": Analyze(&Document{Statements: []Statement{{Effect: "Allow", Actions: []string{"*"}}, {Effect: "Maybe", Principal: &PrincipalSet{Wildcard: true}, Actions: []string{"*"}}}}, own),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Empty(t, a.Principals())
			assert.Empty(t, a.Administrators())
			assert.Empty(t, a.Users())
			assert.Empty(t, a.DeletionHolders())
			assert.Empty(t, a.RootDelegation())
			assert.Empty(t, a.Public())
			assert.Empty(t, a.ExternalAccounts())
			assert.Empty(t, a.UnknownPrincipals())
			assert.Empty(t, a.HoldersAny(KMSActions()))
			assert.Empty(t, a.Allowed(aws(ownRoot), "kms:Encrypt"))
			assert.Empty(t, a.GrantConditions(aws(ownRoot), "kms:Encrypt"))
		})
	}
}

func sortedKeys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A Deny naming an account binds every principal of it, so a policy that
// denies the whole account has no administrators left.
func TestDenyOnAccountCoversItsPrincipals(t *testing.T) {
	a := analyze(t, doc(
		`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Deny","Principal":{"AWS":"`+own+`"},"Action":"kms:PutKeyPolicy","Resource":"*"}`,
	))
	require.Empty(t, a.Allowed(aws(ownAdmin), "kms:PutKeyPolicy"))
	require.NotEmpty(t, a.Allowed(aws(ownAdmin), "kms:Encrypt"))
	require.Empty(t, a.Administrators())

	other := analyze(t, doc(
		`{"Effect":"Allow","Principal":{"AWS":"`+ownAdmin+`"},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::222233334444:root"},"Action":"kms:*","Resource":"*"}`,
	))
	require.NotEmpty(t, other.Allowed(aws(ownAdmin), "kms:PutKeyPolicy"), "another account's Deny does not reach ours")
}
