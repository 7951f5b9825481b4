package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// WriteMarkdown writes the report an auditor reads and signs: the verdict,
// what was checked, the counts, one row per result, the findings with their
// remediation, the key policy and the evidence digests, and a sign-off block.
// Every piece of recorded data is escaped, so a hostile description, tag or
// Sid cannot change the document's structure on GitHub.
func WriteMarkdown(w io.Writer, run *Run) error {
	r, err := prepare(run)
	if err != nil {
		return fmt.Errorf("markdown report: %w", err)
	}
	digest, err := resultsDigest(r)
	if err != nil {
		return fmt.Errorf("markdown report: %w", err)
	}
	var b strings.Builder
	writeTitle(&b, r)
	writeChecked(&b, r, digest)
	writeCounts(&b, r)
	writeTable(&b, r)
	writeAccess(&b, r)
	writeDrift(&b, r)
	ev := evidenceOf(r)
	writeFindings(&b, r, ev)
	writePolicy(&b, ev)
	writeDigests(&b, r, ev)
	writeSignOff(&b, r, digest)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write markdown report: %w", err)
	}
	return nil
}

// AppendStepSummary appends the verdict, counts and results table to the
// job summary file at path, which GitHub Actions names in
// GITHUB_STEP_SUMMARY (the edge reads it); "" does nothing.
func AppendStepSummary(path string, run *Run) error {
	if path == "" {
		return nil
	}
	r, err := prepare(run)
	if err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	var b strings.Builder
	writeTitle(&b, r)
	writeCounts(&b, r)
	writeTable(&b, r)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("step summary: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	return nil
}

func writeTitle(b *strings.Builder, r *Run) {
	fmt.Fprintf(b, "# %s to enable customer managed keys\n\n", r.Verdict)
	fmt.Fprintf(b, "Key %s in account %s, region %s.\n\n", orUnknown(r.KeyARN), orUnknown(r.Account), orUnknown(r.Region))
	var blocking []string
	for _, res := range r.Results {
		if res.Severity == checks.Required && (res.Status == checks.Fail || res.Status == checks.Error) {
			blocking = append(blocking, mdText(res.ID))
		}
	}
	// SKIP decides no verdict, so a READY opens with what it leaves out.
	switch {
	case len(blocking) > 0:
		fmt.Fprintf(b, "Required checks that failed or could not be evaluated: %s.\n\n", strings.Join(blocking, ", "))
		if len(r.NotEvaluated) > 0 {
			fmt.Fprintf(b, "Required checks not evaluated (SKIP) either: %s.\n\n", mdText(checks.OmissionsText(r.NotEvaluated)))
		}
	case len(r.NotEvaluated) == 0:
		b.WriteString("No required check failed or could not be evaluated.\n\n")
	default:
		fmt.Fprintf(b, "**%s**\n\nNo required check failed or ended in ERROR, but this verdict does not cover the required checks above: they were SKIP (see Findings for why).\n\n",
			mdText(checks.VerdictLine(r.Verdict, r.NotEvaluated)))
	}
}

func writeChecked(b *strings.Builder, r *Run, digest string) {
	target := mdText(r.Target.Kind)
	if r.Target.Endpoint != "" {
		target += " at " + mdText(r.Target.Endpoint)
	}
	profile := "none given"
	if r.Profile.Source != "" {
		profile = mdText(r.Profile.Source)
	}
	b.WriteString("## What was checked\n\n")
	for _, item := range [][2]string{
		{"Key ARN", orUnknown(r.KeyARN)},
		{"AWS account", orUnknown(r.Account)},
		{"Region", orUnknown(r.Region)},
		{"Target", target},
		{"Caller", orUnknown(r.Caller)},
		{"Started", timeText(r.Start)},
		{"Finished", timeText(r.End)},
		{"Run ID", mdText(r.RunID)},
		{"Tool version", orUnknown(r.ToolVersion)},
		{"Commit", orUnknown(r.Commit)},
		{"Profile", profile + ", sha256 " + mdText(r.Profile.SHA256)},
		{"Catalog", catalogText(r.Catalog)},
		{"Results file", "sha256 " + digest + " (`sha256sum` of the results file this report was rendered from; `cmkcheck verify --results FILE` judges that file again from its evidence)"},
	} {
		fmt.Fprintf(b, "- %s: %s\n", item[0], item[1])
	}
	b.WriteString("\n")
}

func writeCounts(b *strings.Builder, r *Run) {
	counts := map[checks.Status]int{}
	for _, res := range r.Results {
		counts[res.Status]++
	}
	b.WriteString("## Counts\n\n| Status | Count |\n| --- | ---: |\n")
	for _, s := range checks.Statuses {
		fmt.Fprintf(b, "| %s | %d |\n", s, counts[s])
	}
	fmt.Fprintf(b, "| Total | %d |\n\n", len(r.Results))
}

func writeTable(b *strings.Builder, r *Run) {
	b.WriteString("## Results\n\n| Status | ID | Title | Severity | Guide section |\n| --- | --- | --- | --- | --- |\n")
	for _, res := range r.Results {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n",
			res.Status, mdText(res.ID), mdText(res.Title), res.Severity, mdText(res.Section))
	}
	b.WriteString("\n")
}

// writeAccess opens the access section with the access matrix the run
// holds (audit computed it from the evidence; verify holds it there).
func writeAccess(b *strings.Builder, r *Run) {
	b.WriteString("## Access\n\n")
	if len(r.AccessMatrix) == 0 {
		b.WriteString("No access matrix: no principal holds any of these rights, or the key policy could not be judged (see the CMK-ADM and CMK-USR results).\n\n")
		return
	}
	b.WriteString("Who holds which right on this key, through the key policy, grants and (where the evidence holds it) IAM: " +
		"ALLOWED, or CONDITIONAL on request properties, with the source. **NOT CHOSEN** marks a right the profile does not give that principal.\n\n")
	b.WriteString("| Principal | Chosen as | Administer | Delete | Disable | Re-policy | Use | Create grants |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, row := range r.AccessMatrix {
		as := "not chosen"
		if row.Chosen {
			as = row.As
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdText(row.Principal), mdText(as),
			accessCell(row.Administer), accessCell(row.Delete), accessCell(row.Disable), accessCell(row.RePolicy), accessCell(row.Use), accessCell(row.CreateGrants))
	}
	b.WriteString("\n")
}

// accessCell is one right: its answer, NOT CHOSEN, the use actions held and
// a few of its sources.
func accessCell(c *checks.AccessCell) string {
	if c == nil {
		return ""
	}
	s := string(c.Answer)
	if c.NotChosen {
		s += " **NOT CHOSEN**"
	}
	few := func(items []string) string {
		if len(items) > 3 {
			return strings.Join(items[:3], "; ") + fmt.Sprintf("; and %d more", len(items)-3)
		}
		return strings.Join(items, "; ")
	}
	var parts []string
	if len(c.Actions) > 0 {
		parts = append(parts, mdText(few(c.Actions)))
	}
	if len(c.Sources) > 0 {
		parts = append(parts, "by "+mdText(few(c.Sources)))
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}

func writeFindings(b *strings.Builder, r *Run, ev *evidence) {
	b.WriteString("## Findings\n\n")
	found := false
	for _, res := range r.Results {
		if res.Status == checks.Pass {
			continue
		}
		found = true
		fmt.Fprintf(b, "### %s: %s — %s\n\n", res.Status, mdText(res.ID), mdText(res.Title))
		fmt.Fprintf(b, "- Severity: %s\n", res.Severity)
		fmt.Fprintf(b, "- Guide section: %s\n", mdText(res.Section))
		fmt.Fprintf(b, "- Expected: %s\n", mdText(res.Expected))
		fmt.Fprintf(b, "- Observed: %s\n", mdText(res.Observed))
		for _, x := range ev.excerpts(res.Evidence) {
			fmt.Fprintf(b, "- Evidence: %s: %s\n", mdText(refText(x.Member, x.Pointer)), mdText(x.Value))
		}
		if res.Status == checks.Skip {
			b.WriteString("\n")
			continue // nothing to fix: the observation says why it was skipped
		}
		if res.Remediation.Console != "" {
			fmt.Fprintf(b, "- In the AWS console: %s\n", mdText(res.Remediation.Console))
		}
		b.WriteString("\n")
		if res.Remediation.CLI != "" {
			b.WriteString("With the AWS CLI:\n\n")
			writeFenced(b, "sh", res.Remediation.CLI)
		}
	}
	if !found {
		b.WriteString("Every check passed.\n\n")
	}
}

// writePolicy pretty-prints the key policy from the snapshot's GetKeyPolicy
// member (the raw answer: {"Policy": "<JSON string>", ...}).
func writePolicy(b *strings.Builder, ev *evidence) {
	b.WriteString("## Appendix A: Key policy\n\n")
	member, ok := ev.members["GetKeyPolicy"]
	if !ok {
		b.WriteString("The snapshot holds no GetKeyPolicy answer: the key policy is not part of this report.\n\n")
		return
	}
	raw := evidenceBytes(member)
	fmt.Fprintf(b, "From the snapshot's GetKeyPolicy answer (sha256 %s).\n\n", ev.digests["GetKeyPolicy"])
	var answer struct {
		Policy *string `json:"Policy"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || answer.Policy == nil {
		b.WriteString("The answer holds no Policy string; here it is as recorded:\n\n")
		writeFenced(b, "json", string(raw))
		return
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(*answer.Policy), "", "  "); err != nil {
		b.WriteString("The Policy string is not valid JSON; here it is as recorded:\n\n")
		writeFenced(b, "text", *answer.Policy)
		return
	}
	writeFenced(b, "json", pretty.String())
}

// writeDigests lists each member of the snapshot once, with its sha256
// and the results judged on it (by reference: member and pointer).
func writeDigests(b *strings.Builder, r *Run, ev *evidence) {
	b.WriteString("## Appendix B: Evidence digests\n\n")
	if len(ev.members) == 0 {
		b.WriteString("No evidence was recorded.\n\n")
		return
	}
	users := map[string][]string{}
	for _, res := range r.Results {
		seen := map[string]bool{}
		for _, ref := range res.Evidence {
			if !seen[ref.Member] {
				seen[ref.Member] = true
				users[ref.Member] = append(users[ref.Member], mdText(res.ID))
			}
		}
	}
	b.WriteString("SHA-256 of each raw API answer as kept, once, in the results file's snapshot (its snapshot_sha256 gives the same).\n\n")
	b.WriteString("| Evidence | SHA-256 | Results |\n| --- | --- | --- |\n")
	for _, name := range sortedKeys(ev.members) {
		by := strings.Join(users[name], ", ")
		if by == "" {
			by = "(none)"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", mdText(name), ev.digests[name], by)
	}
	b.WriteString("\n")
}

// refText names a reference: "DescribeKey /KeyMetadata/KeySpec".
func refText(member, pointer string) string {
	if pointer == "" {
		return member
	}
	return member + " " + pointer
}

func writeSignOff(b *strings.Builder, r *Run, digest string) {
	b.WriteString("## Sign-off\n\n")
	fmt.Fprintf(b, "I have reviewed the results of run %s for key %s (results file sha256 %s) and accept the verdict %s.\n\n",
		mdText(r.RunID), orUnknown(r.KeyARN), digest, r.Verdict)
	b.WriteString("| Reviewer | Role | Date | Signature |\n| --- | --- | --- | --- |\n")
	b.WriteString("|   |   |   |   |\n|   |   |   |   |\n")
}

func catalogText(c *CatalogRecord) string {
	if c == nil {
		return "(not recorded: the results cannot be judged again)"
	}
	return "version " + mdText(c.Version) + ", sha256 " + mdText(c.SHA256)
}

func orUnknown(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return mdText(s)
}

// mdText makes recorded data safe as inline Markdown, in a paragraph, a list
// item, a heading or a table cell: markup characters are escaped, HTML
// characters become entities, line breaks become <br>, and control and
// bidirectional-override characters (which could hide or reorder text in
// front of a reviewer) become U+FFFD.
func mdText(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteString("<br>")
		case r == '\t':
			b.WriteByte(' ')
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case strings.ContainsRune("\\`|*_[]~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case hidden(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFenced writes content as a code block whose fence is longer than any
// backtick run inside it, so the content cannot close the block.
func writeFenced(b *strings.Builder, info, content string) {
	content = strings.ReplaceAll(strings.ToValidUTF8(content, "\uFFFD"), "\r\n", "\n")
	content = strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case hidden(r):
			return '\uFFFD'
		}
		return r
	}, content)
	longest, run := 0, 0
	for _, r := range content {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	b.WriteString(fence + info + "\n" + content)
	if !strings.HasSuffix(content, "\n") {
		b.WriteString("\n")
	}
	b.WriteString(fence + "\n\n")
}

// hidden reports control characters and the bidirectional controls of the
// "Trojan Source" attack.
func hidden(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}
