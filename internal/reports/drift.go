package reports

import (
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// writeDrift writes the drift from the baseline (CMK-DRF-1) as a short
// table: principal, right, before, after. It writes nothing for a run
// without a baseline.
func writeDrift(b *strings.Builder, r *Run) {
	if len(r.Snapshot) == 0 {
		return
	}
	state, err := keystate.Decode(r.Snapshot)
	if err != nil || state.Baseline == nil {
		return
	}
	base := state.Baseline
	fmt.Fprintf(b, "## Drift since the baseline\n\nBaseline: %s, sha256 `%s`.\n\n", mdText(base.Kind), mdText(base.SHA256))
	var p *profile.Profile
	if v, err := profile.Parse([]byte(r.Profile.Canonical)); err == nil {
		p = v.Profile()
	}
	changes, err := checks.Drift(base.State, state, p)
	switch {
	case err != nil:
		fmt.Fprintf(b, "The drift could not be judged: %s\n\n", mdText(err.Error()))
		return
	case len(changes) == 0:
		b.WriteString("No drift: every principal holds the same rights, and the configuration is the same.\n\n")
		return
	}
	b.WriteString("| Principal | Right | Before | After |\n| --- | --- | --- | --- |\n")
	for _, c := range changes {
		who := c.Principal
		if who == "" {
			who = "(the key)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdText(who), mdText(c.Right), mdText(c.Before), mdText(c.After))
	}
	b.WriteString("\n")
}
