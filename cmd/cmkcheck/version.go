package main

import (
	"fmt"
	"io"

	"github.com/aep-cmk/cmkcheck/internal/buildinfo"
)

// versionCommand prints what this binary is, from its build information
// alone: the same names its evidence records.
func versionCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b := buildinfo.Read()
	fmt.Fprintf(stdout, "cmkcheck %s\ncommit: %s\nbuilt:  %s\ngo:     %s\n", b.Version, b.Commit, b.Date, b.Go)
	return nil
}
