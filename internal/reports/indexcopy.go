package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxMarkdownSize bounds a key's Markdown report read back for copying:
// it renders the results file, which MaxResultsSize bounds.
const maxMarkdownSize = MaxResultsSize

// Copy is Prepare for a key another index recorded (a shard's, whose
// directory is from): its results file and Markdown report are copied into
// this index's directory at the same relative paths (a shard owns its
// accounts and regions, so no two shards write the same path), and its
// testsuite is rendered from the results file as Prepare renders it. A
// results file that is missing, unreadable, or not the one the row names
// (its SHA-256, key and verdict) makes the row an ERROR that says so and
// nothing of it is copied: a merged index never links evidence it did not
// check. It returns the run read, nil for a row without one. The error is
// for what stops the merge (this index's files cannot be written).
func (x *Index) Copy(k IndexKey, from string) (*PreparedKey, *Run, error) {
	if k.Failed == nil {
		k.Failed = []string{}
	}
	if k.LeftOut {
		// Judged, not the platform's: the shard wrote no file for it.
		return &PreparedKey{row: k}, nil, nil
	}
	run, md, problem := readKeyFiles(k, from)
	if problem != "" {
		k = errorRow(k, problem)
		pk, err := x.Prepare(k, nil)
		return pk, nil, err
	}
	r, err := prepare(run.Run)
	if err != nil {
		return nil, nil, fmt.Errorf("fleet index: key %s: %w", k.Selected, err)
	}
	s, err := fleetSuiteOf(r, k.Results)
	if err != nil {
		return nil, nil, fmt.Errorf("fleet index: key %s: %w", k.Selected, err)
	}
	out, err := suiteXML(s)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(x.dir, filepath.Dir(k.Results)), 0o755); err != nil {
		return nil, nil, fmt.Errorf("fleet index: %w", err)
	}
	if err := WriteFiles(bytesFile(filepath.Join(x.dir, k.Results), run.raw), bytesFile(filepath.Join(x.dir, k.Markdown), md)); err != nil {
		return nil, nil, fmt.Errorf("fleet index: %w", err)
	}
	return &PreparedKey{row: k, suite: out, tests: s.Tests, failures: s.Failures, errs: s.Errors, time: duration(r)}, run.Run, nil
}

// Row is the key's row as the index records it.
func (pk *PreparedKey) Row() IndexKey { return pk.row }

// readRun is a results file read back, with its bytes.
type readRun struct {
	*Run
	raw []byte
}

// readKeyFiles reads a row's results file and Markdown report from a
// shard's directory, or says what is wrong with them.
func readKeyFiles(k IndexKey, from string) (*readRun, []byte, string) {
	if k.Results == "" {
		if k.Error != "" && k.Verdict == "ERROR" {
			return nil, nil, k.Error // an ERROR row as the shard wrote it
		}
		return nil, nil, fmt.Sprintf("the shard's index gives verdict %s but no results file", orDash(k.Verdict))
	}
	for _, p := range []string{k.Results, k.Markdown} {
		if !filepath.IsLocal(p) || !strings.HasPrefix(filepath.ToSlash(p), "keys/") {
			return nil, nil, fmt.Sprintf("the shard's index names the file %q, which is not under its keys/ directory", p)
		}
	}
	data, err := ReadFileLimited(filepath.Join(from, k.Results), MaxResultsSize)
	if err != nil {
		return nil, nil, fmt.Sprintf("the shard's results file cannot be read: %v", err)
	}
	if got := sha256Hex(data); got != k.ResultsSHA256 {
		return nil, nil, fmt.Sprintf("the shard's results file %s has SHA-256 %s, not the %s its index names", k.Results, got, orDash(k.ResultsSHA256))
	}
	run, err := ReadResults(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Sprintf("the shard's results file %s: %v", k.Results, err)
	}
	if run.KeyARN != k.KeyARN || run.Verdict != k.Verdict {
		return nil, nil, fmt.Sprintf("the shard's results file %s is about %s with verdict %s, and its index says %s with %s",
			k.Results, orDash(run.KeyARN), run.Verdict, orDash(k.KeyARN), orDash(k.Verdict))
	}
	run.ResultsSHA256 = k.ResultsSHA256
	md, err := ReadFileLimited(filepath.Join(from, k.Markdown), maxMarkdownSize)
	if err != nil {
		return nil, nil, fmt.Sprintf("the shard's Markdown report cannot be read: %v", err)
	}
	return &readRun{Run: run, raw: data}, md, ""
}

// errorRow is a row that could not be judged: no verdict, no files.
func errorRow(k IndexKey, problem string) IndexKey {
	k.Verdict, k.Error = "ERROR", problem
	k.Platform = "unknown" // without evidence, nobody can tell
	k.Failed = []string{}
	k.Results, k.Markdown, k.ResultsSHA256 = "", "", ""
	return k
}
