package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

type verifyFlags struct {
	out     outputs
	results string
}

func (f *verifyFlags) define(fs *flag.FlagSet) {
	f.out.formatFlag(fs)
	fs.StringVar(&f.results, "results", "", "the results `FILE` to verify")
}

// verifyCommand judges a results file again from the evidence it carries
// and says what that does and does not protect; then, like report, it
// prints the results and exits with their verdict. A file whose claims
// the evidence does not bear out, or that carries no evidence, is exit 2.
func verifyCommand(f *verifyFlags, stdout, stderr io.Writer) (*reports.Run, outputs, error) {
	out, resultsPath := f.out, f.results
	if err := out.check(); err != nil {
		return nil, out, err
	}
	if resultsPath == "" {
		return nil, out, usagef("verify needs --results FILE, %s", resultsFrom)
	}
	run, err := readVerified(resultsPath)
	if err != nil {
		return nil, out, err
	}
	w := stdout
	if out.format == "json" {
		w = stderr // stdout is the contract's JSON alone
	}
	c := run.Catalog
	fmt.Fprintf(w, "verified: %s\n", resultsPath)
	fmt.Fprintf(w, "  sha256:       %s (the JUnit and Markdown reports rendered from this file name it)\n", run.ResultsSHA256)
	fmt.Fprintf(w, "  judged again: %d results from the file's own snapshot and canonical profile, by this build's checks: every result, the verdict, and the key ARN, account, region, caller and target that follow from the evidence are what the file says\n", len(run.Results))
	if now := reports.Catalog(); *c != now {
		fmt.Fprintf(w, "  catalog:      written by catalog %s (sha256 %s); this build's catalog %s (sha256 %s) judges it the same\n", c.Version, c.SHA256, now.Version, now.SHA256)
	} else {
		fmt.Fprintf(w, "  catalog:      %s (sha256 %s), this build's\n", c.Version, c.SHA256)
	}
	fmt.Fprintf(w, "  not judged:   the run ID, times, tool version and commit, the profile's path and a snapshot file's path follow from no evidence, and an answer fabricated together with its results judges to them: only an attestation of the file protects those\n\n")
	return run, out, nil
}

// readVerified reads a results file, bounded, and verifies it: nothing is
// rendered from a file whose claims its evidence does not bear out.
func readVerified(path string) (*reports.Run, error) {
	data, err := reports.ReadFileLimited(path, reports.MaxResultsSize)
	if err != nil {
		return nil, err
	}
	run, err := audit.Verify(data)
	if err != nil {
		return nil, fmt.Errorf("results %s: %w", path, err)
	}
	return run, nil
}
