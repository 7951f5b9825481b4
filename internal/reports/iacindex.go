package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// IaCIndex is the index of the keys a template or plan declares, judged
// before they exist: the verdict over them all, the file, and per key what
// the fleet's index says of a key. The command prints it as JSON, and
// writes it beside the keys' reports as index.md and index.json.
type IaCIndex struct {
	Verdict string   `json:"verdict"`
	Source  string   `json:"source"`
	Keys    []IaCKey `json:"keys"`
}

// IaCKey is one key of an IaCIndex.
type IaCKey struct {
	Source  string          `json:"source"`
	KeyARN  string          `json:"key_arn"`
	Verdict string          `json:"verdict"`
	Failing []string        `json:"failing"`
	Notes   []string        `json:"notes"`
	Results []checks.Result `json:"results,omitempty"`
	Reports *Paths          `json:"reports,omitempty"`
	RunID   string          `json:"run_id"`
	// Unknown says, per snapshot member, why it cannot be known before
	// deployment: the checks that need it are ERROR.
	Unknown map[string]string `json:"unknown_before_deployment,omitempty"`
}

// Files renders index.md and index.json for dir.
func (x *IaCIndex) Files(dir string) ([]File, error) {
	var md strings.Builder
	fmt.Fprintf(&md, "# %s: %d key(s) in %s\n\n", x.Verdict, len(x.Keys), mdText(x.Source))
	md.WriteString("Judged before the keys exist: key IDs are placeholders, and what is known only at deployment is ERROR.\n\n")
	md.WriteString("| Key | Verdict | Fail or error | Report |\n| --- | --- | --- | --- |\n")
	for _, k := range x.Keys {
		report := ""
		if k.Reports != nil {
			name := filepath.Base(k.Reports.Markdown)
			report = "[" + mdText(name) + "](" + name + ")"
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", mdText(k.Source), k.Verdict, mdText(strings.Join(k.Failing, ", ")), report)
	}
	idx, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, err
	}
	return []File{
		bytesFile(filepath.Join(dir, "index.md"), []byte(md.String())),
		bytesFile(filepath.Join(dir, "index.json"), append(idx, '\n')),
	}, nil
}

// WriteMarkdown is the one Markdown report of the keys: a single key's
// report as it is, several keys' table followed by each key's report.
// runs are the keys' runs, in the order of x.Keys.
func (x *IaCIndex) WriteMarkdown(w io.Writer, runs []*Run) error {
	if len(runs) != len(x.Keys) {
		return fmt.Errorf("the index lists %d key(s) and %d run(s) are given", len(x.Keys), len(runs))
	}
	if len(runs) == 1 {
		return WriteMarkdown(w, runs[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %d keys in %s\n\n| Key | Verdict | Fail or error |\n| --- | --- | --- |\n", x.Verdict, len(x.Keys), mdText(x.Source))
	for _, k := range x.Keys {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdText(k.Source), k.Verdict, mdText(strings.Join(k.Failing, ", ")))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, run := range runs {
		if _, err := io.WriteString(w, "\n---\n\n"); err != nil {
			return err
		}
		if err := WriteMarkdown(w, run); err != nil {
			return err
		}
	}
	return nil
}
