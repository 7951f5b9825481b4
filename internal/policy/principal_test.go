package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParsePrincipal(t *testing.T) {
	canonical := strings.Repeat("79a59df900b949e5", 4)
	tests := []struct {
		name, typ, raw  string
		kind            Kind
		partition, acct string
		arn             string // "" means Raw
	}{
		{"bare account", "AWS", own, KindAccount, "", own, ownRoot},
		{"root aws", "AWS", ownRoot, KindAccount, "aws", own, ""},
		{"root aws-cn", "AWS", "arn:aws-cn:iam::111122223333:root", KindAccount, "aws-cn", own, ""},
		{"root aws-us-gov", "AWS", "arn:aws-us-gov:iam::111122223333:root", KindAccount, "aws-us-gov", own, ""},
		{"user", "AWS", ownUser, KindUser, "aws", own, ""},
		{"user with path", "AWS", "arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob.Smith@example.com", KindUser, "aws", own, ""},
		{"role", "AWS", ownAdmin, KindRole, "aws", own, ""},
		{"role with path", "AWS", "arn:aws-cn:iam::111122223333:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup", KindRole, "aws-cn", own, ""},
		{"assumed role", "AWS", "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", KindAssumedRole, "aws", own, ""},
		{"service", "Service", "logs.amazonaws.com", KindService, "", "", ""},
		{"regional service", "Service", "logs.us-east-1.amazonaws.com", KindService, "", "", ""},
		{"china service", "Service", "ec2.amazonaws.com.cn", KindService, "", "", ""},
		{"federated saml", "Federated", "arn:aws:iam::222233334444:saml-provider/ADFS", KindFederated, "aws", other, ""},
		{"federated oidc", "Federated", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", KindFederated, "aws", own, ""},
		{"federated host", "Federated", "cognito-identity.amazonaws.com", KindFederated, "", "", ""},
		{"canonical user", "CanonicalUser", canonical, KindCanonicalUser, "", "", ""},

		{"unique role id", "AWS", "AROAEXAMPLEID1234567", KindUnknown, "", "", ""},
		{"11 digits", "AWS", "11112222333", KindUnknown, "", "", ""},
		{"13 digits", "AWS", "1111222233334", KindUnknown, "", "", ""},
		{"missing colon", "AWS", "arn:aws:iam:111122223333:root", KindUnknown, "", "", ""},
		{"region in iam arn", "AWS", "arn:aws:iam:us-east-1:111122223333:root", KindUnknown, "", "", ""},
		{"other partition", "AWS", "arn:aws-iso:iam::111122223333:root", KindUnknown, "", "", ""},
		{"wrong service", "AWS", "arn:aws:kms::111122223333:root", KindUnknown, "", "", ""},
		{"group", "AWS", "arn:aws:iam::111122223333:group/devs", KindUnknown, "", "", ""},
		{"empty role name", "AWS", "arn:aws:iam::111122223333:role/", KindUnknown, "", "", ""},
		{"empty path segment", "AWS", "arn:aws:iam::111122223333:role/a//b", KindUnknown, "", "", ""},
		{"wildcard role", "AWS", "arn:aws:iam::111122223333:role/*", KindUnknown, "", "", ""},
		{"typo in root", "AWS", "arn:aws:iam::111122223333:rooot", KindUnknown, "", "", ""},
		{"sts root", "AWS", "arn:aws:sts::111122223333:root", KindUnknown, "", "", ""},
		{"assumed role without session", "AWS", "arn:aws:sts::111122223333:assumed-role/Admin", KindUnknown, "", "", ""},
		{"leading space", "AWS", " " + ownRoot, KindUnknown, "", "", ""},
		{"aws wildcard alone", "AWS", "*", KindUnknown, "", "", ""},
		{"service upper case", "Service", "Logs.amazonaws.com", KindUnknown, "", "", ""},
		{"service without dot", "Service", "logs", KindUnknown, "", "", ""},
		{"service wildcard", "Service", "*", KindUnknown, "", "", ""},
		{"federated role arn", "Federated", ownAdmin, KindUnknown, "", "", ""},
		{"federated empty provider", "Federated", "arn:aws:iam::111122223333:saml-provider/", KindUnknown, "", "", ""},
		{"canonical user short", "CanonicalUser", "79a59df900b949e5", KindUnknown, "", "", ""},
		{"unknown type", "Foo", ownRoot, KindUnknown, "", "", ""},
		{"empty", "AWS", "", KindUnknown, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ParsePrincipal(tt.typ, tt.raw)
			want := tt.arn
			if want == "" {
				want = tt.raw
			}
			assert.Equal(t, Principal{Raw: tt.raw, Type: tt.typ, Kind: tt.kind, Partition: tt.partition, Account: tt.acct, ARN: want}, p)
		})
	}
}

func TestPrincipalIdentity(t *testing.T) {
	// Every form of an account root is the same account; nothing else is.
	for _, root := range []string{own, ownRoot, "arn:aws-cn:iam::111122223333:root"} {
		p := aws(root)
		assert.Equal(t, KindAccount, p.Kind, root)
		assert.Equal(t, own, p.Account, root)
	}
	assert.Equal(t, ownRoot, aws(own).ARN, "a bare account ID reads as its root ARN")
	assert.NotEqual(t, aws(ownRoot).Kind, aws(ownAdmin).Kind)
}
