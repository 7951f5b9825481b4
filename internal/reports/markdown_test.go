package reports

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

func markdownOf(t *testing.T, run *Run) string {
	t.Helper()
	if run.ResultsSHA256 == "" {
		run = rendered(t, run)
	}
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, run))
	return b.String()
}

// toHTML renders like GitHub does (CommonMark + GFM tables). Raw HTML is let
// through, so anything the escaping missed would show up as markup.
func toHTML(t *testing.T, md string) string {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	var b bytes.Buffer
	require.NoError(t, gm.Convert([]byte(md), &b))
	return b.String()
}

var (
	tableRE = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	rowRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE  = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	codeRE  = regexp.MustCompile(`(?s)<pre><code(?: class="language-(\w+)")?>(.*?)</code></pre>`)
)

// tables returns each HTML table as rows of cells, header row first.
func tables(page string) [][][]string {
	var out [][][]string
	for _, tm := range tableRE.FindAllStringSubmatch(page, -1) {
		var rows [][]string
		for _, rm := range rowRE.FindAllStringSubmatch(tm[1], -1) {
			var cells []string
			for _, cm := range cellRE.FindAllStringSubmatch(rm[1], -1) {
				cells = append(cells, cm[1])
			}
			rows = append(rows, cells)
		}
		out = append(out, rows)
	}
	return out
}

func TestMarkdownRendersOnGitHub(t *testing.T) {
	for name, run := range map[string]*Run{"sample": sampleRun(t), "hostile": hostileRun(t)} {
		t.Run(name, func(t *testing.T) {
			md := markdownOf(t, run)
			assert.True(t, strings.HasPrefix(md, "# NOT READY to enable customer managed keys\n"))
			page := toHTML(t, md)
			assert.NotContains(t, strings.ToLower(page), "<script", "no markup from the data gets through")
			assert.Equal(t, 1, strings.Count(page, "<h1>"))

			tbls := tables(page)
			require.Len(t, tbls, 5, "counts, results, access matrix, evidence digests, sign-off")
			counts, results, access, digests, signoff := tbls[0], tbls[1], tbls[2], tbls[3], tbls[4]

			// The access matrix: one row per principal, eight columns, the
			// unchosen right marked.
			require.Len(t, access, 1+len(run.AccessMatrix))
			assert.Equal(t, []string{"Principal", "Chosen as", "Administer", "Delete", "Disable", "Re-policy", "Use", "Create grants"}, access[0])
			for i, row := range access[1:] {
				require.Len(t, row, 8, "access row %d keeps its eight columns", i)
				assert.Equal(t, run.AccessMatrix[i].Principal, row[0])
			}

			assert.Equal(t, [][]string{
				{"Status", "Count"}, {"PASS", "1"}, {"FAIL", "1"}, {"WARN", "1"}, {"SKIP", "1"}, {"ERROR", "1"}, {"Total", "5"},
			}, counts)

			require.Len(t, results, 1+len(run.Results), "one row per result plus the header")
			assert.Equal(t, []string{"Status", "ID", "Title", "Severity", "Guide section"}, results[0])
			for i, row := range results[1:] {
				res := run.Results[i]
				require.Len(t, row, 5, "row %d keeps its five columns", i)
				assert.Equal(t, []string{string(res.Status), res.ID}, row[:2])
				assert.Equal(t, string(res.Severity), row[3])
			}

			require.NotEmpty(t, digests)
			assert.Equal(t, []string{"Evidence", "SHA-256", "Results"}, digests[0])
			for _, row := range digests[1:] {
				require.Len(t, row, 3)
				assert.Regexp(t, `^[0-9a-f]{64}$`, row[1])
			}
			assert.Equal(t, [][]string{{"Reviewer", "Role", "Date", "Signature"}, {"", "", "", ""}, {"", "", "", ""}}, signoff)

			// One heading per finding; one CLI block per finding with a fix, plus the policy.
			assert.Equal(t, 4, strings.Count(page, "<h3>"))
			blocks := codeRE.FindAllStringSubmatch(page, -1)
			require.Len(t, blocks, 4)
			for i, want := range []string{run.Results[1].Remediation.CLI, run.Results[2].Remediation.CLI, run.Results[4].Remediation.CLI} {
				assert.Equal(t, "sh", blocks[i][1])
				got := html.UnescapeString(blocks[i][2])
				lines := strings.Count(strings.ReplaceAll(want, "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(want, "\r\n", ""), "\r")
				assert.Equal(t, lines+1, strings.Count(got, "\n"), "the block keeps all its lines")
				assert.True(t, strings.HasPrefix(got, want[:10]), got)
			}
			assert.Equal(t, "json", blocks[3][1])
			var policy struct{ Statement []struct{ Sid string } }
			require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(blocks[3][2])), &policy), "the policy block is intact JSON")
			require.Len(t, policy.Statement, 1)
		})
	}
}

func TestMarkdownHostileDataStaysText(t *testing.T) {
	page := toHTML(t, markdownOf(t, hostileRun(t)))
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;", "shown as text")
	assert.Contains(t, page, "```fence```", "a fence inside the data is only text")
	assert.NotContains(t, page, "<em>", "no emphasis from the data")
	assert.NotContains(t, page, "<del>", "no strikethrough from the data")
	assert.NotContains(t, page, `<a href="http://x"`, "no link from the data")
	assert.NotContains(t, page, "\u202E", "no right-to-left override")
	assert.Contains(t, page, "title | pipe", "an escaped pipe shows as a pipe")
	assert.Contains(t, page, `\|`, `a literal \| in the data survives`)
}

func TestMarkdownReadyRun(t *testing.T) {
	run := sampleRun(t)
	run.Results = run.Results[:1]
	run.Verdict = checks.Ready
	run.NotEvaluated = checks.NotEvaluated(run.Results)
	md := markdownOf(t, run)
	assert.True(t, strings.HasPrefix(md, "# READY to enable customer managed keys\n"))
	assert.Contains(t, md, "No required check failed or could not be evaluated.")
	assert.Contains(t, md, "Every check passed.")
	assert.Contains(t, md, "From the snapshot's GetKeyPolicy answer", "the snapshot is shown whole, whatever the results")
}

func TestMarkdownPolicyAppendix(t *testing.T) {
	run := sampleRun(t)
	md := markdownOf(t, run)
	assert.Contains(t, md, "From the snapshot's GetKeyPolicy answer (sha256 "+run.SnapshotSHA256["GetKeyPolicy"]+")")
	assert.Contains(t, md, "```json\n{\n  \"Statement\": [\n    {\n      \"Action\": \"kms:*\",")
	assert.Contains(t, md, "- Evidence: DescribeKey /KeyMetadata/KeyState: \"PendingDeletion\"", "a finding shows its evidence by reference, with the value")
	assert.Contains(t, md, "| DescribeKey | "+run.SnapshotSHA256["DescribeKey"]+" | CMK-CFG-1, CMK-CFG-5, CMK-LBL-3, CMK-ADM-1 |")

	withSnapshot(run, map[string]json.RawMessage{"GetKeyPolicy": json.RawMessage(`{"Policy": "not { json"}`)})
	assert.Contains(t, markdownOf(t, run), "The Policy string is not valid JSON; here it is as recorded:\n\n```text\nnot { json\n```")

	withSnapshot(run, map[string]json.RawMessage{"GetKeyPolicy": json.RawMessage(`{"PolicyName": "default"}`)})
	assert.Contains(t, markdownOf(t, run), "The answer holds no Policy string")

	withSnapshot(run, map[string]json.RawMessage{"DescribeKey": json.RawMessage(describeKeyRaw)})
	assert.Contains(t, markdownOf(t, run), "The snapshot holds no GetKeyPolicy answer")
}

func TestMDText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":        "plain text",
		"a|b":               `a\|b`,
		`a\|b`:              `a\\\|b`,
		"`x`":               "\\`x\\`",
		"<b>&amp;":          "&lt;b&gt;&amp;amp;",
		"*_[]~":             `\*\_\[\]\~`,
		"one\ntwo\r\nthree": "one<br>two<br>three",
		"tab\there":         "tab here",
		"nul\x00esc\x1b":    "nul\uFFFDesc\uFFFD",
		"bad\xffutf8":       "bad\uFFFDutf8",
		"rtl\u202Eexe":      "rtl\uFFFDexe",
	} {
		assert.Equal(t, want, mdText(in), "%q", in)
	}
}

func TestFenceOutgrowsContent(t *testing.T) {
	var b strings.Builder
	writeFenced(&b, "text", "a ```` b\n``")
	assert.Equal(t, "`````text\na ```` b\n``\n`````\n\n", b.String())
	b.Reset()
	writeFenced(&b, "sh", "x\r\ny\x00")
	assert.Equal(t, "```sh\nx\ny\uFFFD\n```\n\n", b.String())
}
