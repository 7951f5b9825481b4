package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/fleet"
)

// mergeFlags are merge's flags; the shards' directories are its operands.
type mergeFlags struct {
	format string
	out    string
}

func (f *mergeFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "text", "print `text|json` on stdout: the merged run's counts and verdict for a person, or one JSON object for a program")
	fs.StringVar(&f.out, "out", "", "write the merged index (fleet.md, fleet.json, fleet.junit.xml) and a copy of each key's files into `DIR` (required; not one of the shards' directories)")
}

// run joins the shards' indexes (their --out directories, the operands)
// into one, and exits as the run unsplit would: 0 READY, 1 NOT READY
// (a missing or broken shard is an ERROR entry), 2 for input merge cannot
// use, or shards that together judged nothing.
func (f *mergeFlags) run(fs *flag.FlagSet) action {
	return func(_ context.Context, stdout, stderr io.Writer, _ func(string) string) int {
		dirs := fs.Args()
		out := outputs{format: f.format}
		if err := out.check(); err != nil {
			return failed(stderr, err)
		}
		switch {
		case f.out == "":
			return failed(stderr, usagef("merge needs --out DIR for the merged index"))
		case len(dirs) == 0:
			return failed(stderr, usagef("merge needs the shards' directories (each shard's audit --out): cmkcheck merge --out DIR SHARD_DIR..."))
		}
		target, err := filepath.Abs(f.out)
		if err != nil {
			return failed(stderr, err)
		}
		for _, d := range dirs {
			if abs, err := filepath.Abs(d); err == nil && abs == target {
				return failed(stderr, usagef("merge: --out %s is also a shard's directory: the merged index would overwrite the shard's", f.out))
			}
		}
		sum, paths, err := fleet.Merge(fleet.MergeOptions{Dirs: dirs, Out: f.out, RunID: newRunID(time.Now(), "merge")})
		var nothing *fleet.NothingJudgedError
		if errors.As(err, &nothing) {
			return failed(stderr, fmt.Errorf("merge: the shards %w", err))
		}
		if err != nil {
			return failed(stderr, err)
		}
		fmt.Fprintf(stderr, "index:    %s\njson:     %s\njunit:    %s\n", paths.Markdown, paths.JSON, paths.JUnit)
		printFleet(stdout, f.format, sum, paths)
		return exitFor(sum.Verdict())
	}
}
