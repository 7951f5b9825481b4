package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// failOn is --fail-on: what beside a NOT READY verdict makes the exit
// status 1. The verdict itself is the spec's and stays as it is; a team
// that holds recommendations as required asks for warn.
type failOn string

const (
	failOnError failOn = "error" // NOT READY only: a required check FAIL or ERROR (the default)
	failOnWarn  failOn = "warn"  // also a recommended check that is WARN
)

func (f *failOn) String() string { return string(*f) }

func (f *failOn) Set(s string) error {
	switch failOn(s) {
	case failOnError, failOnWarn:
		*f = failOn(s)
		return nil
	}
	return fmt.Errorf("want %s or %s", failOnError, failOnWarn)
}

func (f *failOn) define(fs *flag.FlagSet) {
	*f = failOnError
	fs.Var(f, "fail-on", "what exits 1: `error|warn`, a NOT READY verdict (error), or that and any check that is WARN (warn)")
}

// exit is the exit status of a verdict and the runs it judged: 1 for NOT
// READY, and with --fail-on warn for a WARN, which is named on stderr so
// that an exit 1 beside a READY verdict explains itself.
func (f failOn) exit(verdict string, stderr io.Writer, runs ...*reports.Run) int {
	if code := exitFor(verdict); code != exitReady || f != failOnWarn {
		return code
	}
	var warned []string
	for _, run := range runs {
		warned = append(warned, warnedIDs(run)...)
	}
	if len(warned) > 0 {
		fmt.Fprintf(stderr, "cmkcheck: exit 1: --fail-on warn, and %s WARN\n", strings.Join(warned, ", "))
		return exitNotReady
	}
	return exitReady
}

// warnedIDs are the IDs of a run's WARN results.
func warnedIDs(run *reports.Run) []string {
	var ids []string
	if run != nil {
		for _, r := range run.Results {
			if r.Status == checks.Warn {
				ids = append(ids, r.ID)
			}
		}
	}
	return ids
}

// warnSink notes, as the fleet's keys come to its reports, the WARN
// checks of the keys its verdict counts.
type warnSink struct {
	*fleet.Reports
	platform, all []string // "KEY: ID, ..." of the platform's keys, of every key
}

func (s *warnSink) Key(k *fleet.Key) error {
	if ids := warnedIDs(k.Run); len(ids) > 0 && !k.LeftOut {
		line := k.Selected + " " + strings.Join(ids, ", ")
		s.all = append(s.all, line)
		if k.Platform != fleet.PlatformNo {
			s.platform = append(s.platform, line)
		}
	}
	return s.Reports.Key(k)
}

// exit is the fleet's exit status; the WARNs counted are of the keys its
// verdict counts (fleet.Summary.PlatformKeysCount).
func (s *warnSink) exit(f failOn, sum *fleet.Summary, stderr io.Writer) int {
	if code := exitFor(sum.Verdict()); code != exitReady || f != failOnWarn {
		return code
	}
	warned := s.all
	if sum.PlatformKeysCount() {
		warned = s.platform
	}
	if len(warned) > 0 {
		fmt.Fprintf(stderr, "cmkcheck: exit 1: --fail-on warn, and WARN in %s\n", strings.Join(warned, "; "))
		return exitNotReady
	}
	return exitReady
}
