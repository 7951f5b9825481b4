package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
)

var acc1Cases = table([]tc{
	{name: "offline access", id: "CMK-ACC-1", want: checks.Skip, observe: "offline"},
	{name: "live access ok", id: "CMK-ACC-1", live: &keystate.Live{Access: keystate.Probe{Ran: true, OK: true, Observed: "caller x"}}, want: checks.Pass},
	{name: "live access wrong account", id: "CMK-ACC-1", live: &keystate.Live{Access: keystate.Probe{Ran: true, Observed: "other account"}}, want: checks.Fail},
	{name: "live access broken", id: "CMK-ACC-1", live: &keystate.Live{Access: keystate.Failed("sts:GetCallerIdentity: AccessDenied")}, want: checks.Error, observe: "AccessDenied"},
	{name: "live probe never run", id: "CMK-ACC-1", live: &keystate.Live{}, want: checks.Error},
})

func TestACC1Account(t *testing.T) { runCases(t, acc1Cases) }
