package reports

import (
	"fmt"
	"strings"
)

// writeDrift writes the drift from the baseline (CMK-DRF-1) as a short
// table: principal, right, before, after. It renders the check's own
// judgement (checks.Result.Drift) and writes nothing for a run without a
// baseline.
func writeDrift(b *strings.Builder, r *Run) {
	for _, res := range r.Results {
		d := res.Drift
		if d == nil {
			continue
		}
		fmt.Fprintf(b, "## Drift since the baseline\n\nBaseline: %s, sha256 `%s`.\n\n", mdText(d.BaselineKind), mdText(d.BaselineSHA256))
		switch {
		case d.Err != "":
			fmt.Fprintf(b, "The drift could not be judged: %s\n\n", mdText(d.Err))
			return
		case len(d.Changes) == 0:
			b.WriteString("No drift: every principal holds the same rights, and the configuration is the same.\n\n")
			return
		}
		b.WriteString("| Principal | Right | Before | After |\n| --- | --- | --- | --- |\n")
		for _, c := range d.Changes {
			who := c.Principal
			if who == "" {
				who = "(the key)"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdText(who), mdText(c.Right), mdText(c.Before), mdText(c.After))
		}
		b.WriteString("\n")
		return
	}
}
