package reports

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// excerptMax bounds an excerpt: enough to read a field, never the answer
// again (that is in the results file, once).
const excerptMax = 300

// Excerpt is one evidence reference as the JUnit and Markdown reports show
// it: the member, the pointer, the member's sha256 (as the results file
// gives it) and the value pointed at, cut short.
type Excerpt struct {
	Member  string `json:"member"`
	Pointer string `json:"pointer,omitempty"`
	SHA256  string `json:"sha256"`
	Value   string `json:"excerpt"`
}

// evidence is a run's snapshot, read once per rendering.
type evidence struct {
	members map[string]json.RawMessage
	digests map[string]string
}

func evidenceOf(r *Run) *evidence {
	e := &evidence{}
	if len(r.Snapshot) > 0 {
		e.members, _ = SnapshotMembers(r.Snapshot) // nil: every reference is "not in the snapshot"
	}
	e.digests = make(map[string]string, len(e.members))
	for name, raw := range e.members {
		e.digests[name] = EvidenceSHA256(raw)
	}
	return e
}

// excerpts shows each reference of a result.
func (e *evidence) excerpts(refs []checks.EvidenceRef) []Excerpt {
	out := make([]Excerpt, 0, len(refs))
	for _, ref := range refs {
		x := Excerpt{Member: ref.Member, Pointer: ref.Pointer, SHA256: e.digests[ref.Member]}
		raw, ok := e.members[ref.Member]
		switch v, found := checks.ResolvePointer(raw, ref.Pointer); {
		case !ok:
			x.Value = "(not in the results file's snapshot)"
		case !found:
			x.Value = "(the pointer names nothing in the member)"
		default:
			x.Value = cut(string(v))
		}
		out = append(out, x)
	}
	return out
}

// cut shortens s to excerptMax bytes on a character boundary, saying so.
func cut(s string) string {
	if len(s) <= excerptMax {
		return s
	}
	n := excerptMax
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:n], len(s))
}
