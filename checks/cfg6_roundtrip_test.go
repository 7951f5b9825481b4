package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
)

var cfg6Cases = table([]tc{
	{name: "roundtrip offline", id: "CMK-CFG-6", profile: "roundtrip: true", want: checks.Skip, observe: "offline"},
	{name: "roundtrip not asked", id: "CMK-CFG-6", live: &keystate.Live{Roundtrip: keystate.Probe{Ran: true, OK: true}}, want: checks.Skip, observe: "roundtrip is not set"},
	{name: "roundtrip ok", id: "CMK-CFG-6", profile: "roundtrip: true", live: &keystate.Live{Roundtrip: keystate.Probe{Ran: true, OK: true, Observed: "Decrypt returned the 32-byte plaintext"}}, want: checks.Pass},
	{name: "roundtrip mismatch", id: "CMK-CFG-6", profile: "roundtrip: true", live: &keystate.Live{Roundtrip: keystate.Probe{Ran: true, Observed: "plaintext differs"}}, want: checks.Fail},
	{name: "roundtrip denied", id: "CMK-CFG-6", profile: "roundtrip: true", live: &keystate.Live{Roundtrip: keystate.Failed("kms:Encrypt: AccessDeniedException")}, want: checks.Error},
})

func TestCFG6Roundtrip(t *testing.T) { runCases(t, cfg6Cases) }
