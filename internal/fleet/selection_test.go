package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKeysFile(t *testing.T) {
	file := "# the platform's keys\n" +
		"1234abcd-12ab-34cd-56ef-1234567890ab\n" +
		"  arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab  \n" +
		"\n" +
		"alias/Adobe-Experience-Platform-Key\n" +
		"arn:aws:kms:us-east-1:111122223333:alias/Platform/Prod\n"
	refs, err := ParseKeysFile(strings.NewReader(file), "keys.txt")
	require.NoError(t, err)
	assert.Equal(t, []KeyRef{
		{Text: "1234abcd-12ab-34cd-56ef-1234567890ab", Line: 2},
		{Text: "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", Line: 3, Account: "111122223333", Region: "eu-west-1"},
		{Text: "alias/Adobe-Experience-Platform-Key", Line: 5, Alias: true},
		{Text: "arn:aws:kms:us-east-1:111122223333:alias/Platform/Prod", Line: 6, Account: "111122223333", Region: "us-east-1", Alias: true},
	}, refs)
}

// Every bad line is named by file and line, with what is wrong; nothing
// panics, nothing is skipped silently.
func TestParseKeysFileRefusesBadLines(t *testing.T) {
	for _, tc := range []struct{ in, says string }{
		{"", "names no key"},
		{"# only a comment\n\n", "names no key"},
		{"key-1\n", `keys.txt:1: "key-1" is not a key ID, key ARN, alias/NAME or alias ARN`},
		{"1234abcd-12ab-34cd-56ef-1234567890ab\n1234abcd-12ab-34cd-56ef-1234567890ab\n", "keys.txt:2: 1234abcd-12ab-34cd-56ef-1234567890ab is already on line 1"},
		{"alias/aws/s3\n", "AWS managed key's alias"},
		{"alias/has space\n", "is not an alias name"},
		{"arn:aws:kms:us-east-1:111122223333:key/not-an-id\n", "names neither a key"},
		{"arn:aws:s3:::bucket\n", "is not a KMS key or alias ARN"},
		{"arn:aws:kms:moon-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n", "is not a KMS key or alias ARN"},
		{"arn:aws:kms:us-east-1:12:key/1234abcd-12ab-34cd-56ef-1234567890ab\n", "is not a KMS key or alias ARN"},
		{"\xff\xfe\n", "keys.txt:1:"},
		{strings.Repeat("a", 5000) + "\n", "longer than"},
	} {
		_, err := ParseKeysFile(strings.NewReader(tc.in), "keys.txt")
		if assert.Error(t, err, "%q", tc.in) {
			assert.Contains(t, err.Error(), tc.says, "%q", tc.in)
		}
	}
}

func TestParseAccountsFile(t *testing.T) {
	accounts, err := ParseAccountsFile(strings.NewReader("111122223333\n# staging\n444455556666\n"), "accounts.txt")
	require.NoError(t, err)
	assert.Equal(t, []string{"111122223333", "444455556666"}, accounts)
	for _, tc := range []struct{ in, says string }{
		{"", "names no account"},
		{"12345\n", `accounts.txt:1: "12345" is not a 12-digit AWS account ID`},
		{"111122223333\n111122223333\n", "accounts.txt:2: account 111122223333 is already on line 1"},
		{"arn:aws:iam::111122223333:root\n", "is not a 12-digit AWS account ID"},
	} {
		_, err := ParseAccountsFile(strings.NewReader(tc.in), "accounts.txt")
		if assert.Error(t, err, "%q", tc.in) {
			assert.Contains(t, err.Error(), tc.says)
		}
	}
}

func TestRoleARN(t *testing.T) {
	arn, err := RoleARN("arn:aws:iam::{account}:role/CmkAudit", "111122223333")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::111122223333:role/CmkAudit", arn)
	arn, err = RoleARN("arn:aws-us-gov:iam::{account}:role/audit/CmkAudit", "111122223333")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws-us-gov:iam::111122223333:role/audit/CmkAudit", arn)
	for _, tc := range []struct{ tmpl, says string }{
		{"arn:aws:iam::111122223333:role/CmkAudit", "exactly once (it holds it 0 times)"},
		{"arn:aws:iam::{account}:role/{account}", "exactly once (it holds it 2 times)"},
		{"arn:aws:iam::{account}:user/CmkAudit", "does not give an IAM role ARN"},
		{"arn:aws:iam::{account}:role/", "does not give an IAM role ARN"},
		{"arn:aws:sts::{account}:role/CmkAudit", "does not give an IAM role ARN"},
		{"{account}", "does not give an IAM role ARN"},
	} {
		_, err := RoleARN(tc.tmpl, "111122223333")
		if assert.Error(t, err, tc.tmpl) {
			assert.Contains(t, err.Error(), tc.says, tc.tmpl)
		}
	}
}

func TestParseRegions(t *testing.T) {
	regions, err := ParseRegions(" us-east-1, eu-west-1 ")
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1", "eu-west-1"}, regions)
	for _, tc := range []struct{ in, says string }{
		{"us-east-1,,eu-west-1", "item 2 is empty"},
		{"us-east-1,us-east-1", "us-east-1 is given twice"},
		{"us-east-1,narnia", `"narnia" is not an AWS region name`},
	} {
		_, err := ParseRegions(tc.in)
		if assert.Error(t, err, tc.in) {
			assert.Contains(t, err.Error(), tc.says)
		}
	}
}

// Selections that cannot mean one thing are refused, saying which flags.
func TestSelectionCheck(t *testing.T) {
	keys := []KeyRef{{Text: "alias/a"}}
	for _, tc := range []struct {
		sel  Selection
		says string
	}{
		{Selection{All: true, Keys: keys}, "--all and --keys both"},
		{Selection{Regions: []string{"us-east-1"}}, "need a selection of keys"},
		{Selection{PlatformOnly: true}, "need a selection of keys"},
		{Selection{All: true, Accounts: []string{"111122223333"}}, "give --role-arn-template"},
		{Selection{All: true, Organization: true}, "give --role-arn-template"},
		{Selection{All: true, Organization: true, Accounts: []string{"111122223333"}, RoleTemplate: "arn:aws:iam::{account}:role/A"}, "give one of them"},
		{Selection{All: true, RoleTemplate: "arn:aws:iam::{account}:user/A"}, "does not give an IAM role ARN"},
		{Selection{All: true, Regions: []string{"us-east-1", "us-east-1"}}, "given twice"},
	} {
		err := tc.sel.Check()
		if assert.Error(t, err, "%+v", tc.sel) {
			assert.Contains(t, err.Error(), tc.says)
		}
	}
	assert.NoError(t, Selection{All: true}.Check())
	assert.NoError(t, Selection{}.Check(), "no selection: a single audit")
}

func TestInputLoad(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte("alias/Platform-Key\n"), 0o644))
	sel, err := Input{KeysFile: keys, Regions: "us-east-1,eu-west-1"}.Load()
	require.NoError(t, err)
	assert.Len(t, sel.Keys, 1)
	assert.Equal(t, []string{"us-east-1", "eu-west-1"}, sel.Regions)

	for _, tc := range []struct {
		in   Input
		says string
	}{
		{Input{KeysFile: filepath.Join(dir, "none.txt")}, "no such file"},
		{Input{KeysFile: dir}, "is a directory"},
		{Input{All: true, AccountsFile: filepath.Join(dir, "none.txt"), RoleTemplate: "arn:aws:iam::{account}:role/A"}, "no such file"},
		{Input{All: true, Regions: "narnia"}, "not an AWS region name"},
	} {
		_, err := tc.in.Load()
		if assert.Error(t, err, "%+v", tc.in) {
			assert.Contains(t, err.Error(), tc.says)
		}
	}
	merged := Input{All: true, Regions: "us-east-1"}.Merge(Input{Regions: "eu-west-1", PlatformOnly: true})
	assert.Equal(t, Input{All: true, Regions: "eu-west-1", PlatformOnly: true}, merged, "flags over the environment")
	assert.False(t, Input{}.Given())
}
