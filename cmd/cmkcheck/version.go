package main

import (
	"fmt"
	"io"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/buildinfo"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// printVersion prints what this binary is, from its build information
// alone: the same names its evidence records.
func printVersion(stdout io.Writer) {
	b := buildinfo.Read()
	fmt.Fprintf(stdout, "cmkcheck %s\ncommit: %s\nbuilt:  %s\ngo:     %s\n", b.Version, b.Commit, b.Date, b.Go)
}

// writeCatalog writes the OSCAL catalog of this build's requirements. Its
// last-modified is the build's date (so two copies from one binary are the
// same file), or now when the build does not say.
func writeCatalog(path string) error {
	b := buildinfo.Read()
	modified, err := time.Parse(time.RFC3339, b.Date)
	if err != nil {
		modified = time.Now()
	}
	return reports.WriteFiles(reports.File{Path: path, Write: func(w io.Writer) error {
		return reports.WriteOSCALCatalog(w, b.Version, modified)
	}})
}
