package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWho(t *testing.T) {
	tests := []struct {
		in   string
		want Who
	}{
		{bob, Who{Kind: WhoKindUser, ARN: bob, Partition: "aws", Account: own, Name: "bob"}},
		{pathed, Who{Kind: WhoKindRole, ARN: pathed, Partition: "aws", Account: own, Name: "team/Pathed"}},
		{sess, Who{Kind: WhoKindSession, ARN: sess, Partition: "aws", Account: own, Name: "KeyAdmin", Session: "alice"}},
		{ownRoot, Who{Kind: WhoKindRoot, ARN: ownRoot, Partition: "aws", Account: own}},
		{"arn:aws:sts::111122223333:federated-user/f", Who{Kind: WhoKindFederatedUser, ARN: "arn:aws:sts::111122223333:federated-user/f", Partition: "aws", Account: own, Name: "f"}},
		{"account:222233334444", Who{Kind: WhoKindAccount, Account: "222233334444"}},
		{"any-other-account", Who{Kind: WhoKindOtherAccount}},
		{"anonymous", Who{Kind: WhoKindAnonymous}},
		{"service:logs.amazonaws.com", Who{Kind: WhoKindService, Name: "logs.amazonaws.com"}},
		{"federated:arn:aws:iam::111122223333:saml-provider/X", Who{Kind: WhoKindFederated, Name: "arn:aws:iam::111122223333:saml-provider/X"}},
	}
	for _, tt := range tests {
		w, err := ParseWho(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, w, tt.in)
		assert.Equal(t, tt.in, w.String(), "String reads back")
	}
	for _, bad := range []string{"", "account:123", "service:Logs", "federated:", "arn:aws:iam::111122223333:group/g", "111122223333", "bob", "arn:nope"} {
		_, err := ParseWho(bad)
		assert.Error(t, err, bad)
	}
	_, err := WhoARN(own)
	assert.ErrorContains(t, err, "not an ARN")
	assert.Equal(t, "unknown principal", Who{}.String())
	assert.Equal(t, "Pathed", mustWho(t, pathed).roleName())
	assert.False(t, WhoAccountIdentity("").hasAccount())
	assert.False(t, WhoAnonymous().hasAccount())
}

func TestPrincipalKeysResolved(t *testing.T) {
	m := newModel(t, policyOf(allow(`{"AWS":"`+pathed+`"}`, `"kms:Decrypt"`, "")), nil, WithOrganizations(map[string][]string{"o-1": {own}}))
	tests := []struct {
		who, key string
		want     ctxValue
	}{
		{bob, "aws:principalaccount", known(own)},
		{bob, "kms:calleraccount", known(own)},
		{"any-other-account", "aws:principalaccount", ctxValue{state: ctxUnnamed}},
		{"anonymous", "aws:principalaccount", absentOrUnnamed},
		{"service:logs.amazonaws.com", "aws:principalaccount", unknownValue},
		{bob, "aws:principalarn", known(bob)},
		{adm, "aws:principalarn", known(adm)},
		{sess, "aws:principalarn", ctxValue{state: ctxRolePath, account: own, role: "KeyAdmin", partition: "aws"}}, // role path unknown
		{"account:111122223333", "aws:principalarn", ctxValue{state: ctxUnnamed, account: own}},
		{"any-other-account", "aws:principalarn", ctxValue{state: ctxUnnamed}},
		{"anonymous", "aws:principalarn", absentValue},
		{"service:logs.amazonaws.com", "aws:principalarn", unknownValue},
		{bob, "aws:principaltype", known("User")},
		{sess, "aws:principaltype", known("AssumedRole")},
		{adm, "aws:principaltype", known("AssumedRole")},
		{ownRoot, "aws:principaltype", known("Account")},
		{"arn:aws:sts::111122223333:federated-user/f", "aws:principaltype", known("FederatedUser")},
		{"anonymous", "aws:principaltype", known("Anonymous")},
		{"account:111122223333", "aws:principaltype", unknownValue},
		{"service:logs.amazonaws.com", "aws:principalisawsservice", known("true")},
		{bob, "aws:principalisawsservice", known("false")},
		{"anonymous", "aws:principalisawsservice", absentValue},
		{"federated:accounts.google.com", "aws:principalisawsservice", unknownValue},
		{"service:logs.amazonaws.com", "aws:principalservicename", known("logs.amazonaws.com")},
		{bob, "aws:principalservicename", absentValue},
		{"federated:accounts.google.com", "aws:principalservicename", unknownValue},
		{"service:logs.amazonaws.com", "aws:principalservicenameslist", unknownValue},
		{bob, "aws:principalservicenameslist", absentValue},
		{bob, "aws:principalorgid", known("o-1")},
		{"account:222233334444", "aws:principalorgid", absentValue},
		// In no organisation, or in one no policy names.
		{"any-other-account", "aws:principalorgid", absentOrUnnamed},
		{"anonymous", "aws:principalorgid", absentValue},
		{"service:logs.amazonaws.com", "aws:principalorgid", unknownValue},
		{bob, "aws:sourceaccount", absentValue},
		{bob, "aws:sourcearn", absentValue},
		{"service:logs.amazonaws.com", "aws:sourceaccount", unknownValue},
		{bob, "aws:username", known("bob")},
		{adm, "aws:username", unknownValue},
		{"anonymous", "aws:userid", absentValue},
		{"anonymous", "aws:principaltag/team", absentValue},
		{bob, "aws:principaltag/team", unknownValue},
		{bob, "kms:viaservice", unknownValue},
		{bob, "aws:sourceip", unknownValue},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, m.keyValue(mustWho(t, tt.who), tt.key), "%s %s", tt.who, tt.key)
	}
	// Without organisations, aws:PrincipalOrgID is unknown.
	m2 := newModel(t, policyOf(), nil)
	assert.Equal(t, unknownValue, m2.keyValue(mustWho(t, bob), "aws:principalorgid"))
}

func TestSessionPrincipalArn(t *testing.T) {
	// "For IAM roles, the request context returns the ARN of the role, not
	// the ARN of the user that assumed the role" (aws:PrincipalArn); the
	// session ARN does not show the role's path.
	m := newModel(t, policyOf(
		allow(`"*"`, `"kms:Decrypt"`, cond(`{"ArnEquals":{"aws:PrincipalArn":"`+pathed+`"}}`)),
		allow(`"*"`, `"kms:Encrypt"`, cond(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`)),
		allow(`"*"`, `"kms:Sign"`, cond(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222233334444:role/*"}}`)),
		allow(`"*"`, `"kms:Verify"`, cond(`{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Other"}}`)),
		allow(`"*"`, `"kms:GenerateMac"`, cond(`{"StringEqualsIgnoreCase":{"aws:PrincipalArn":"ARN:AWS:IAM::111122223333:ROLE/X/PATHED"}}`)),
		allow(`"*"`, `"kms:VerifyMac"`, cond(`{"NumericEquals":{"aws:PrincipalArn":"1"}}`)),
		allow(`"*"`, `"kms:GenerateDataKey"`, cond(`{"StringLike":{"aws:PrincipalArn":"*"}}`))), nil)
	bySessionARN := mustWho(t, "arn:aws:sts::111122223333:assumed-role/Pathed/s")
	withRole, err := WhoRoleSession(pathed, "s")
	require.NoError(t, err)
	assert.Equal(t, bySessionARN.ARN, withRole.ARN)
	tests := []struct {
		action          string
		bySession, with Answer
	}{
		{"kms:Decrypt", Conditional, Allowed},        // the exact role ARN: depends on the path
		{"kms:Encrypt", Allowed, Allowed},            // any path
		{"kms:Sign", NotAllowed, NotAllowed},         // another account
		{"kms:Verify", NotAllowed, NotAllowed},       // another role
		{"kms:GenerateMac", Conditional, NotAllowed}, // same name, other path
		{"kms:VerifyMac", Conditional, Conditional},  // not a comparison of ARNs
		{"kms:GenerateDataKey", Allowed, Allowed},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.bySession, m.Decide(bySessionARN, tt.action).Answer, "by session ARN: %s", tt.action)
		assert.Equal(t, tt.with, m.Decide(withRole, tt.action).Answer, "with role ARN: %s", tt.action)
	}
	_, err = WhoRoleSession(bob, "s")
	assert.Error(t, err)
	_, err = WhoRoleSession(adm, "bad/name")
	assert.Error(t, err)
}

func TestDecisionReadings(t *testing.T) {
	m := newModel(t, policyOf(
		allow(`{"AWS":"`+adm+`"}`, `"kms:Encrypt"`, cond(`{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `"kms:Decrypt"`, cond(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `"kms:Decrypt"`, cond(`{"Bool":{"kms:GrantIsForAWSResource":"true"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `["kms:Sign","kms:Verify"]`, ""),
		deny(`"*"`, `"kms:Sign"`, cond(`{"Bool":{"aws:SecureTransport":"false"}}`)),
		deny(`"*"`, `"kms:Verify"`, cond(`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `"kms:GenerateDataKey"`, cond(`{"StringEquals":{"kms:EncryptionContext:Dept":"IT","kms:ViaService":"x"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `"kms:GenerateMac"`, cond(`{"StringEquals":{"kms:EncryptionContext:Dept":"IT"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `"kms:VerifyMac"`, cond(`{"StringEqualz":{"kms:ViaService":"x"}}`))), nil)
	who := mustWho(t, adm)
	tests := []struct {
		action        string
		answer        Answer
		howOnly       bool
		risks, grants bool
		unresolved    []string
	}{
		{"kms:Encrypt", Conditional, true, true, true, []string{"kms:ViaService"}},
		// One of the two statements is how-only: that one suffices.
		{"kms:Decrypt", Conditional, true, true, true, []string{"aws:SourceIp", "kms:GrantIsForAWSResource"}},
		{"kms:Sign", Conditional, true, true, true, []string{"aws:SecureTransport"}},
		// The caller cannot always choose its network (see originKeys).
		{"kms:Verify", Conditional, false, true, false, []string{"aws:SourceVpce"}},
		{"kms:GenerateDataKey", Conditional, true, true, true, []string{"kms:EncryptionContext:Dept", "kms:ViaService"}},
		// GenerateMac requests carry no encryption context: the key is absent.
		{"kms:GenerateMac", NotAllowed, false, false, false, nil},
		{"kms:VerifyMac", Conditional, false, true, false, []string{"operator StringEqualz"}},
		{"kms:DescribeKey", NotAllowed, false, false, false, nil},
	}
	for _, tt := range tests {
		d := m.Decide(who, tt.action)
		assert.Equal(t, tt.answer, d.Answer, tt.action)
		assert.Equal(t, tt.howOnly, d.HowOnly(), tt.action)
		assert.Equal(t, tt.risks, d.Risks(), tt.action)
		assert.Equal(t, tt.grants, d.Grants(), tt.action)
		assert.Equal(t, tt.unresolved, d.Unresolved, tt.action)
	}
	d := m.Decide(who, "kms:Sign")
	assert.Equal(t, []Source{{Statement: 3, Effect: "Allow"}}, d.Allow)
	assert.Equal(t, []Source{{Statement: 4, Effect: "Deny", Conditional: true, Unresolved: []string{"aws:SecureTransport"}}}, d.Deny)
	assert.Equal(t, "arn:aws:iam::111122223333:role/KeyAdmin kms:Sign: CONDITIONAL; depends on aws:SecureTransport (allowed by statement 3; denied by statement 4)", d.Why())
	// An ALLOWED answer is never how-only; a NOT ALLOWED one holds nothing.
	assert.False(t, Decision{Answer: Allowed, howOnly: true}.HowOnly())
	assert.True(t, Decision{Answer: Allowed}.Grants())
	assert.False(t, Decision{Answer: NotAllowed, howOnly: true}.Grants())
}

func TestWhy(t *testing.T) {
	m := newModel(t, policyOf(
		`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"Adm","Effect":"Allow","Principal":{"AWS":["`+adm+`","222233334444"]},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"NoDelete","Effect":"Deny","Principal":{"AWS":"`+adm+`"},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}`), nil)
	tests := []struct{ who, action, want string }{
		{adm, "kms:Encrypt", `arn:aws:iam::111122223333:role/KeyAdmin kms:Encrypt: ALLOWED; allowed by statement 1 (Sid "Adm")`},
		{adm, "kms:ScheduleKeyDeletion", `arn:aws:iam::111122223333:role/KeyAdmin kms:ScheduleKeyDeletion: NOT ALLOWED; denied by statement 2 (Sid "NoDelete")`},
		{bob, "kms:Encrypt", `arn:aws:iam::111122223333:user/bob kms:Encrypt: NOT ALLOWED; no statement or grant allows it; IAM policies decide (own-account root: statement 0 (Sid "Root"))`},
		{extUser, "kms:PutKeyPolicy", `arn:aws:iam::222233334444:user/eve kms:PutKeyPolicy: NOT ALLOWED; statement 1 (Sid "Adm") would allow it, but kms:PutKeyPolicy cannot be used across accounts`},
		{extUser, "kms:Frobnicate", `arn:aws:iam::222233334444:user/eve kms:Frobnicate: ALLOWED; allowed by statement 1 (Sid "Adm"); the action is not in the KMS action table`},
	}
	for _, tt := range tests {
		d := m.Decide(mustWho(t, tt.who), tt.action)
		assert.Equal(t, tt.want, d.Why())
	}
	d := m.Decide(mustWho(t, extUser), "kms:PutKeyPolicy")
	assert.True(t, d.CrossAccountBlocked)
	assert.Empty(t, d.Unresolved)
	assert.Len(t, d.Allow, 1, "the statement is still reported")
	assert.Equal(t, "statement 4", Source{Statement: 4}.String())
}

func TestNewModelErrors(t *testing.T) {
	for _, arn := range []string{"", "arn:aws:kms:us-east-1:111122223333:alias/x", "arn:aws:kms:us-east-1:1111:key/x",
		"arn:aws:s3:us-east-1:111122223333:key/x", "arn:aws:kms:us-east-1:111122223333:key/", "nope:aws:kms:us-east-1:111122223333:key/x", "arn::kms:us-east-1:111122223333:key/x"} {
		_, err := NewModel(nil, arn, nil)
		assert.Error(t, err, arn)
	}
	m, err := NewModel(nil, testKey, nil)
	require.NoError(t, err)
	assert.Equal(t, NotAllowed, m.Decide(mustWho(t, bob), "kms:Decrypt").Answer, "no statements: nothing allowed")
	assert.Equal(t, own, m.OwnAccount())
	assert.Equal(t, testKey, m.KeyARN())
	assert.Equal(t, "aws", m.Partition())
	gov, err := NewModel(nil, "arn:aws-us-gov:kms:us-gov-west-1:"+own+":key/x", nil)
	require.NoError(t, err)
	assert.Equal(t, "aws-us-gov", gov.Partition())
}

func TestNotes(t *testing.T) {
	m := newModel(t, policyOf(
		allow(`{"AWS":["AROAEXAMPLEID12345678","arn:aws:iam::111122223333:group/g"]}`, `"kms:*"`, ""),
		`{"Effect":"Allow","Principal":"*","Action":"kms:*"}`), nil)
	assert.Equal(t, []Note{
		{0, "", "stale", "statement 0 names AROAEXAMPLEID12345678, the unique ID of a deleted user or role: it matches nobody"},
		{0, "", "unrecognised", `statement 0 names AWS principal "arn:aws:iam::111122223333:group/g", which this model cannot read: answers that depend on it are CONDITIONAL`},
		{1, "", "no-resource", "statement 1 has neither Resource nor NotResource: it has no effect"},
	}, m.Notes())
}

func TestIsStaleID(t *testing.T) {
	for _, s := range []string{"AIDAJQABLZS4A3QDU576Q", "AROAEXAMPLEID12345678", "AIDA0123456789ABCDEF"} {
		assert.True(t, IsStaleID(s), s)
	}
	for _, s := range []string{"", "AIDA", "AIDAshort", "AIDAJQABLZS4A3QDU576q", "XXXXJQABLZS4A3QDU576Q", ownRoot, "AIDA" + string(make([]byte, 130))} {
		assert.False(t, IsStaleID(s), s)
	}
}

func TestPrincipalsAskedAbout(t *testing.T) {
	m := newModel(t, policyOf(
		allow(`{"AWS":["111122223333","`+adm+`","`+sess+`","arn:aws:sts::222233334444:federated-user/f","arn:aws-cn:iam::333344445555:root","AROAEXAMPLEID12345678"],"Service":"logs.amazonaws.com","Federated":"accounts.google.com"}`, `"kms:*"`, ""),
		`{"Effect":"Deny","NotPrincipal":{"AWS":"`+extRole+`"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":["444455556666","4444*"],"aws:PrincipalServiceName":["s3.amazonaws.com","Bad"]},"ArnEquals":{"aws:PrincipalArn":"`+bob+`"},"StringLike":{"kms:CallerAccount":"notanaccount"}}}`),
		[]Grant{{GrantId: "g", GranteePrincipal: "arn:aws:iam::555566667777:user/u", RetiringPrincipal: "ec2.amazonaws.com", Operations: []string{"Decrypt"}}},
		WithOrganizations(map[string][]string{"o-1": {"666677778888"}}))
	var got []string
	for _, w := range m.Principals(mustWho(t, "arn:aws:iam::111122223333:role/Chosen"), WhoAnonymous()) {
		got = append(got, w.String())
	}
	assert.Equal(t, []string{
		"account:111122223333", "account:444455556666", "account:666677778888",
		"anonymous", "any-other-account",
		"arn:aws:iam::111122223333:role/Chosen", adm, bob,
		extRole, "arn:aws:iam::555566667777:user/u",
		sess, "arn:aws:sts::222233334444:federated-user/f",
		"federated:accounts.google.com",
		"service:ec2.amazonaws.com", "service:logs.amazonaws.com", "service:s3.amazonaws.com",
	}, got)
}

func TestRoles(t *testing.T) {
	m := newModel(t, string(readTestdata(t, "console_adobe.json")), nil)
	admin := mustWho(t, ownAdmin)
	user := mustWho(t, ownUser)
	assert.True(t, m.IsAdministrator(admin))
	assert.True(t, m.HoldsDeletion(admin))
	assert.False(t, m.IsKeyUser(admin))
	assert.True(t, m.IsKeyUser(user))
	assert.False(t, m.IsAdministrator(user))
	assert.False(t, m.HoldsDeletion(user))
	adobeWho := WhoAccountIdentity(adobe)
	assert.False(t, m.IsAdministrator(adobeWho))
	for _, d := range m.DecideAll(adobeWho, AdobeActions) {
		assert.Equal(t, Allowed, d.Answer, d.Why())
	}
	// The root statement makes nobody an administrator by itself.
	other := WhoAccountIdentity(own)
	assert.False(t, m.IsAdministrator(other))
	assert.False(t, m.HoldsDeletion(other))
	assert.True(t, m.Decide(other, "kms:ScheduleKeyDeletion").IAMDecides)
}

func TestParseGrants(t *testing.T) {
	gs, err := ParseGrants([]byte(`{"Grants":[{"GrantId":"a","GranteePrincipal":"` + bob + `","Operations":["Decrypt"],"CreationDate":1700000000}],"Truncated":false}`))
	require.NoError(t, err)
	assert.Equal(t, []Grant{{GrantId: "a", GranteePrincipal: bob, Operations: []string{"Decrypt"}}}, gs)
	gs, err = ParseGrants([]byte(`[{"GrantId":"b","GranteePrincipal":"logs.amazonaws.com","Operations":["Encrypt"]}]`))
	require.NoError(t, err)
	assert.Equal(t, "b", gs[0].GrantId)
	_, err = ParseGrants([]byte(`"nope"`))
	assert.ErrorContains(t, err, "grants:")
	assert.True(t, (&Grant{Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"a": "b"}}}).constrained())
	assert.False(t, (&Grant{Constraints: &GrantConstraints{}}).constrained())
	m, err := NewModel(nil, testKey, []Grant{{GrantId: "a", GranteePrincipal: bob, Operations: []string{"decrypt", "DECRYPT"}}})
	require.NoError(t, err)
	d := m.Decide(mustWho(t, bob), "KMS:Decrypt")
	assert.Equal(t, Allowed, d.Answer, "operations are matched case-insensitively")
	assert.Equal(t, []Source{{Statement: -1, GrantID: "a", Effect: "Allow"}}, d.Allow, "a grant listing an operation twice is one source")
}

func TestConsoleCorpusFileParses(t *testing.T) {
	// The benchmark's input must be what the checks see.
	data, err := os.ReadFile("testdata/console_adobe.json")
	require.NoError(t, err)
	_, err = Parse(data)
	require.NoError(t, err)
}

func TestRolePathFromAllowPrincipals(t *testing.T) {
	// KMS accepts a principal ARN only for a principal that exists, so an
	// Allow naming role/team/Pathed tells the path of that role's sessions;
	// a Deny naming it, or a condition value, does not teach.
	deny := `{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"ArnNotEquals":{"aws:PrincipalArn":"` + pathed + `"}}}`
	session := mustWho(t, "arn:aws:sts::111122223333:assumed-role/Pathed/s")
	taught := newModel(t, policyOf(allow(`{"AWS":"`+pathed+`"}`, `"kms:Encrypt"`, ""), deny), nil)
	assert.Equal(t, Allowed, taught.Decide(session, "kms:Encrypt").Answer)
	untaught := newModel(t, policyOf(allow(`"*"`, `"kms:Encrypt"`, ""), deny,
		`{"Effect":"Deny","Principal":{"AWS":"`+pathed+`"},"Action":"kms:Sign","Resource":"*"}`), nil)
	assert.Equal(t, Conditional, untaught.Decide(session, "kms:Encrypt").Answer)
	ambiguous := newModel(t, policyOf(allow(`{"AWS":["`+pathed+`","arn:aws:iam::111122223333:role/other/Pathed"]}`, `"kms:Decrypt"`, ""), deny), nil)
	assert.Equal(t, ctxRolePath, ambiguous.keyValue(session, "aws:principalarn").state, "two paths for one name: unknown path")
}

func TestEncryptionContextOnlyWhereRequestsCarryIt(t *testing.T) {
	// kms:EncryptionContext keys exist only for operations that take an
	// encryption context; grant constraints "are not applied to operations
	// that do not support an encryption context, such as ... DescribeKey".
	m := newModel(t, policyOf(
		allow(`{"AWS":"`+adm+`"}`, `["kms:Decrypt","kms:DescribeKey"]`, cond(`{"StringEquals":{"kms:EncryptionContext:Dept":"IT"}}`)),
		deny(`"*"`, `"kms:ListGrants"`, cond(`{"Null":{"kms:EncryptionContextKeys":"true"}}`)),
		allow(`{"AWS":"`+adm+`"}`, `"kms:ListGrants"`, "")),
		[]Grant{{GrantId: "g", GranteePrincipal: bob, Operations: []string{"DescribeKey", "Decrypt"}, Constraints: &GrantConstraints{EncryptionContextEquals: map[string]string{"a": "b"}}}})
	admin, user := mustWho(t, adm), mustWho(t, bob)
	assert.Equal(t, Conditional, m.Decide(admin, "kms:Decrypt").Answer)
	assert.Equal(t, NotAllowed, m.Decide(admin, "kms:DescribeKey").Answer)
	assert.Equal(t, NotAllowed, m.Decide(admin, "kms:ListGrants").Answer, "the key is absent, so Null true holds and the Deny applies")
	assert.Equal(t, Allowed, m.Decide(user, "kms:DescribeKey").Answer)
	assert.Equal(t, Conditional, m.Decide(user, "kms:Decrypt").Answer)
	assert.True(t, takesEncryptionContext("KMS:ReEncryptTo"))
	assert.False(t, takesEncryptionContext("kms:Sign"))
}

func TestAnonymousAccountKeys(t *testing.T) {
	// Absent, or present with a value no policy can name: an answer that
	// differs between the two readings is CONDITIONAL.
	m := newModel(t, policyOf(
		allow(`"*"`, `"kms:Decrypt"`, cond(`{"StringEqualsIfExists":{"aws:PrincipalAccount":"444455556666"}}`)),
		allow(`"*"`, `"kms:Encrypt"`, cond(`{"StringEquals":{"kms:CallerAccount":"444455556666"}}`)),
		allow(`"*"`, `"kms:Sign"`, cond(`{"StringNotEquals":{"aws:PrincipalAccount":"444455556666"}}`))), nil)
	anon := WhoAnonymous()
	assert.Equal(t, Conditional, m.Decide(anon, "kms:Decrypt").Answer)
	assert.Equal(t, []string{"aws:PrincipalAccount"}, m.Decide(anon, "kms:Decrypt").Unresolved)
	assert.Equal(t, NotAllowed, m.Decide(anon, "kms:Encrypt").Answer)
	assert.Equal(t, Allowed, m.Decide(anon, "kms:Sign").Answer)
}

func TestUnresolvedNamesTheCause(t *testing.T) {
	m := newModel(t, policyOf(
		allow(`{"AWS":["arn:aws:iam::111122223333:user/nobody","arn:aws:iam::111122223333:group/devs"]}`, `"kms:Decrypt"`, ""),
		allow(`"*"`, `"kms:Encrypt"`, ""),
		`{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","`+sess+`"]},"Action":"kms:Encrypt","Resource":"*"}`,
		allow(`"*"`, `"kms:Sign"`, ""),
		`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:group/g","111122223333","`+adm+`"]},"Action":"kms:Sign","Resource":"*"}`,
		allow(`{"AWS":"`+adm+`"}`, `"kms:Verify"`, cond(`{"StringEquals":{"kms:ViaService":"x"}}`))),
		[]Grant{{GrantId: "g", GranteePrincipal: "arn:aws:iam::111122223333:group/x", Operations: []string{"GenerateMac"}}})
	tests := []struct {
		who, action string
		answer      Answer
		unresolved  []string
		why         string
	}{
		{bob, "kms:Decrypt", Conditional, []string{"principal arn:aws:iam::111122223333:group/devs"}, ""},
		// The role is listed neither: its sessions are denied, though one
		// session is listed (it is not exempt without its role).
		{sess, "kms:Encrypt", NotAllowed, nil, ""},
		{adm, "kms:Encrypt", NotAllowed, nil, ""},
		{adm, "kms:Sign", Conditional, []string{"principal arn:aws:iam::111122223333:group/g"}, ""},
		{bob, "kms:GenerateMac", Conditional, []string{"principal arn:aws:iam::111122223333:group/x"}, ""},
		{adm, "kms:Verify", Conditional, []string{"kms:ViaService"},
			"arn:aws:iam::111122223333:role/KeyAdmin kms:Verify: CONDITIONAL; depends on kms:ViaService (allowed by statement 5)"},
	}
	for _, tt := range tests {
		d := m.Decide(mustWho(t, tt.who), tt.action)
		assert.Equal(t, tt.answer, d.Answer, "%s %s: %s", tt.who, tt.action, d.Why())
		assert.Equal(t, tt.unresolved, d.Unresolved, "%s %s", tt.who, tt.action)
		if tt.why != "" {
			assert.Equal(t, tt.why, d.Why())
		}
	}
	// A role whose one session is exempt: the other sessions are denied.
	m2 := newModel(t, policyOf(allow(`"*"`, `"kms:Encrypt"`, ""),
		`{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","`+adm+`","`+sess+`"]},"Action":"kms:Encrypt","Resource":"*"}`), nil)
	d := m2.Decide(mustWho(t, adm), "kms:Encrypt")
	assert.Equal(t, []string{"role session name"}, d.Unresolved)
	assert.Equal(t, NotAllowed, m2.Decide(mustWho(t, "arn:aws:iam::111122223333:role/Other"), "kms:Encrypt").Answer)
}

func TestOtherKeyGrantNote(t *testing.T) {
	m := newModel(t, policyOf(), []Grant{{GrantId: "g1", KeyId: "arn:aws:kms:us-east-1:111122223333:key/other", GranteePrincipal: bob, Operations: []string{"Decrypt"}}})
	assert.Equal(t, []Note{{-1, "g1", "other-key", "grant g1 is for key arn:aws:kms:us-east-1:111122223333:key/other, not this key: ignored"}}, m.Notes())
}

func TestHostNamesAndStaleIDBounds(t *testing.T) {
	for _, s := range []string{"example.com", "za09.amazonaws.com", "a-z.b9"} {
		assert.Equal(t, KindService, ParsePrincipal("Service", s).Kind, s)
	}
	for _, s := range []string{"com", "a_b.com", "a.b/c", "{.com", "`a.com", "/.com", ":.com"} {
		assert.Equal(t, KindUnknown, ParsePrincipal("Service", s).Kind, s)
	}
	assert.True(t, IsStaleID("AROA"+strings.Repeat("Z", 12)), "16 characters")
	assert.False(t, IsStaleID("AROA"+strings.Repeat("Z", 11)), "15 characters")
	assert.True(t, IsStaleID("AROA"+strings.Repeat("9", 124)), "128 characters")
	assert.False(t, IsStaleID("AROA"+strings.Repeat("A", 125)), "129 characters")
	assert.False(t, IsStaleID("AROA"+strings.Repeat("Z", 11)+"["), "a character after Z")
	assert.False(t, IsStaleID("AROA"+strings.Repeat("Z", 11)+"@"), "a character before A")
	assert.False(t, IsStaleID("AROA"+strings.Repeat("Z", 11)+":"), "a character after 9")
	assert.False(t, IsStaleID("AROA"+strings.Repeat("Z", 11)+"/"), "a character before 0")
}

func TestRolePathPatterns(t *testing.T) {
	// Unknown path: a pattern under a path may match; one under another
	// account never does.
	v := ctxValue{state: ctxRolePath, account: own, role: "R", partition: "aws"}
	arnLike, _ := parseOperator("ArnLike")
	strEq, _ := parseOperator("StringEquals")
	ignoreCase, _ := parseOperator("StringEqualsIgnoreCase")
	strLike, _ := parseOperator("StringLike")
	num, _ := parseOperator("NumericEquals")
	tests := []struct {
		op   operator
		pv   string
		want tri
	}{
		{arnLike, "arn:aws:iam::111122223333:role/team/*", maybe},
		{arnLike, "arn:aws:iam::111122223333:role/*", yes},
		{arnLike, "arn:aws:iam::222233334444:role/*", no},
		{arnLike, "arn:aws:iam::*:role/*R", yes},
		{strEq, "arn:aws:iam::111122223333:role/R", maybe},
		{strEq, "arn:aws:iam::111122223333:role/x/R", maybe},
		{strEq, "arn:aws:iam::111122223333:role/Q", no},
		{strEq, "arn:aws:iam::222233334444:role/R", no},
		{ignoreCase, "ARN:AWS:IAM::111122223333:ROLE/X/r", maybe},
		{ignoreCase, "ARN:AWS:IAM::111122223333:ROLE/X/Q", no},
		{strLike, "*", yes},
		{strLike, "arn:aws:iam::111122223333:role/*/R", maybe},
		{num, "1", maybe},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, matchRolePath(tt.op, tt.pv, v), tt.pv)
	}
}

func TestParseBounds(t *testing.T) {
	nest := func(n int) string {
		return `{"Statement":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	_, err := Parse([]byte(nest(maxDepth)))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "nested deeper", "at the limit")
	_, err = Parse([]byte(nest(maxDepth + 1)))
	assert.ErrorContains(t, err, "nested deeper")
	v64 := strings.Repeat("v", 64)
	_, err = Parse([]byte(`{"Version":"` + v64 + `","Statement":[]}`))
	assert.ErrorContains(t, err, `"`+v64+`"`)
	assert.NotContains(t, err.Error(), `"...`)
	_, err = Parse([]byte(`{"Version":"` + v64 + `w","Statement":[]}`))
	assert.ErrorContains(t, err, `"`+v64+`"...`)
}

func TestServiceActingForAnAccount(t *testing.T) {
	// aws:SourceAccount and aws:SourceArn name the resource a service acts
	// for; only when that is given are they settled.
	m := newModel(t, policyOf(
		allow(`{"Service":"logs.us-east-1.amazonaws.com"}`, `"kms:Decrypt"`, cond(`{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)),
		allow(`{"Service":"logs.us-east-1.amazonaws.com"}`, `"kms:Sign"`, cond(`{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:log-group:*"}}`)),
		allow(`{"Service":"logs.us-east-1.amazonaws.com"}`, `"kms:Verify"`, cond(`{"StringEquals":{"aws:SourceOrgID":"o-1"}}`))),
		nil, WithOrganizations(map[string][]string{"o-1": {own}}))
	forOwn := WhoServiceFor("logs.us-east-1.amazonaws.com", own)
	forOther := WhoServiceFor("logs.us-east-1.amazonaws.com", "999988887777")
	unknownOwner := WhoService("logs.us-east-1.amazonaws.com")
	assert.Equal(t, Allowed, m.Decide(forOwn, "kms:Decrypt").Answer)
	assert.Equal(t, NotAllowed, m.Decide(forOther, "kms:Decrypt").Answer)
	assert.Equal(t, Conditional, m.Decide(unknownOwner, "kms:Decrypt").Answer)
	assert.Equal(t, []string{"aws:SourceAccount"}, m.Decide(unknownOwner, "kms:Decrypt").Unresolved)
	assert.Equal(t, Conditional, m.Decide(forOwn, "kms:Sign").Answer, "which log group is still open")
	assert.Equal(t, NotAllowed, m.Decide(forOther, "kms:Sign").Answer)
	assert.Equal(t, Allowed, m.Decide(forOwn, "kms:Verify").Answer)
	assert.Equal(t, NotAllowed, m.Decide(forOther, "kms:Verify").Answer)
	assert.Equal(t, "service:logs.us-east-1.amazonaws.com for account 111122223333", forOwn.String())
	m2 := newModel(t, policyOf(allow(`{"Service":"logs.us-east-1.amazonaws.com"}`, `"kms:Verify"`, cond(`{"StringEquals":{"aws:SourceOrgID":"o-1"}}`))), nil)
	assert.Equal(t, Conditional, m2.Decide(forOwn, "kms:Verify").Answer, "organisations not given")
}
