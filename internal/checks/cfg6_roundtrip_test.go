package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

func refusal(code string) map[string]any {
	return map[string]any{"Operation": "kms:Encrypt", "Code": code, "Message": "1234abcd is not usable", "Detail": "operation error KMS: Encrypt, api error " + code + ": 1234abcd is not usable"}
}

var cfg6Cases = table([]tc{
	{name: "roundtrip offline", id: "CMK-CFG-6", profile: "roundtrip: true", want: checks.Skip, observe: "offline"},
	{name: "roundtrip not asked", id: "CMK-CFG-6", edit: capture(), want: checks.Skip, observe: "roundtrip is not set"},
	{name: "roundtrip ok", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(), want: checks.Pass, observe: "Encrypt then Decrypt of 32 random bytes returned the plaintext"},
	{name: "roundtrip mismatch", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(roundTrip(map[string]any{"PlaintextMatches": false})),
		want: checks.Fail, observe: "Decrypt returned 32 bytes that differ from the 32 encrypted"},
	{name: "the key refuses", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(set(keystate.RoundTrip, map[string]any{"Requested": true, "Error": refusal("DisabledException")})),
		want: checks.Fail, observe: "kms:Encrypt was refused by KMS: DisabledException: 1234abcd is not usable"},
	{name: "the key is not for encryption", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(set(keystate.RoundTrip, map[string]any{"Requested": true, "Error": refusal("InvalidKeyUsageException")})),
		want: checks.Fail, observe: "InvalidKeyUsageException"},
	{name: "roundtrip denied", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(set(keystate.RoundTrip, map[string]any{"Requested": true, "Error": refusal("AccessDeniedException")})),
		want: checks.Error, observe: "kms:Encrypt failed: operation error KMS: Encrypt, api error AccessDeniedException"},
	{name: "roundtrip not requested", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(set(keystate.RoundTrip, map[string]any{"Requested": false})),
		want: checks.Skip, observe: "roundtrip not requested in the profile"},
	{name: "roundtrip could not run", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(set(keystate.RoundTrip, map[string]any{"Requested": true, "NotRun": "the key ID is unknown because DescribeKey failed"})),
		want: checks.Error, observe: "not run: the key ID is unknown because DescribeKey failed"},
	{name: "roundtrip not recorded", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(drop(keystate.RoundTrip)), want: checks.Error, observe: "recorded no RoundTrip"},
	{name: "roundtrip unreadable", id: "CMK-CFG-6", profile: "roundtrip: true", edit: capture(roundTrip(map[string]any{"PlaintextMatches": nil})),
		want: checks.Error, observe: "RoundTrip could not be read"},
})

func TestCFG6Roundtrip(t *testing.T) { runCases(t, cfg6Cases) }
