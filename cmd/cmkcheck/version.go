package main

import (
	"fmt"
	"io"

	"github.com/aep-cmk/cmkcheck/internal/buildinfo"
)

// printVersion prints what this binary is, from its build information
// alone: the same names its evidence records.
func printVersion(stdout io.Writer) {
	b := buildinfo.Read()
	fmt.Fprintf(stdout, "cmkcheck %s\ncommit: %s\nbuilt:  %s\ngo:     %s\n", b.Version, b.Commit, b.Date, b.Go)
}
