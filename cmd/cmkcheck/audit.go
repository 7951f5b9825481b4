package main

import (
	"context"
	"io"

	"github.com/aep-cmk/cmkcheck/reports"
)

func audit(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) (*reports.Run, outputs, error) {
	return nil, outputs{}, usagef("audit: not built yet")
}
