package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const alice = "arn:aws:iam::111122223333:user/alice"

var acc1Cases = table([]tc{
	{name: "offline access", id: "CMK-ACC-1", want: checks.Skip, observe: "offline"},
	{name: "no STS: the configured account and region", id: "CMK-ACC-1", edit: capture(), want: checks.Pass,
		observe: "no STS on the embedded target, so no caller identity: judged from the KMS read and the configured account 111122223333; " +
			"KMS answered kms:DescribeKey for arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab in account 111122223333, region us-east-1; the target's region is us-east-1"},
	{name: "the caller's account", id: "CMK-ACC-1", edit: capture(set(keystate.GetCallerIdentity, map[string]any{"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": alice})),
		want: checks.Pass, observe: "caller " + alice + " (account 111122223333); KMS answered"},
	{name: "a caller of another account", id: "CMK-ACC-1", edit: capture(set(keystate.GetCallerIdentity, map[string]any{"Account": "999988887777", "Arn": "arn:aws:iam::999988887777:user/bob"})),
		want: checks.Fail, observe: "(account 999988887777)"},
	{name: "another configured account", id: "CMK-ACC-1", edit: capture(func(s snap) { s[keystate.Target].(map[string]any)["Account"] = "999988887777" }),
		want: checks.Fail, observe: "the configured account 999988887777"},
	{name: "another region", id: "CMK-ACC-1", edit: capture(func(s snap) { s[keystate.Target].(map[string]any)["Region"] = "eu-west-1" }),
		want: checks.Fail, observe: "the target's region is eu-west-1"},
	{name: "identity call failed", id: "CMK-ACC-1", edit: capture(set(keystate.GetCallerIdentity, map[string]any{"Error": map[string]any{"Operation": "sts:GetCallerIdentity", "Code": "AccessDenied", "Detail": "api error AccessDenied: no"}})),
		want: checks.Error, observe: "sts:GetCallerIdentity failed: api error AccessDenied: no"},
	{name: "identity not recorded", id: "CMK-ACC-1", edit: capture(drop(keystate.GetCallerIdentity)), want: checks.Error, observe: "recorded no GetCallerIdentity"},
	{name: "identity unreadable", id: "CMK-ACC-1", edit: capture(set(keystate.GetCallerIdentity, map[string]any{"NotRun": "x", "Account": "111122223333", "Arn": alice})),
		want: checks.Error, observe: "GetCallerIdentity could not be read: holds more than one"},
	{name: "the KMS read failed", id: "CMK-ACC-1", edit: capture(drop(keystate.DescribeKey), set(keystate.CollectionErrors, map[string]any{"DescribeKey": "kms:DescribeKey failed: ThrottlingException"})),
		want: checks.Error, observe: "the KMS read failed: kms:DescribeKey failed: ThrottlingException"},
	{name: "the KMS read was unusable", id: "CMK-ACC-1", edit: capture(set(keystate.DescribeKey, map[string]any{})),
		want: checks.Error, observe: "the KMS read gave no usable key metadata: DescribeKey could not be read: member KeyMetadata is missing"},
})

func TestACC1Account(t *testing.T) { runCases(t, acc1Cases) }
