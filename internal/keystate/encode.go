package keystate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Snapshot writes the state as a snapshot file: every member the checks
// were judged on, the raw answers byte for byte as they came, and in
// CollectionErrors why any member has no answer. Decode gives back a state
// that the checks judge exactly as they judged this one, so a live run can
// be saved and re-evaluated offline by someone without access.
//
// It fails, rather than write a file that would read differently, when an
// answer is not JSON (it cannot be embedded as it came) or the file would
// exceed MaxSnapshotSize.
func (s *State) Snapshot() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	member := func(name string, raw []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteByte('\n')
		quoted, _ := json.Marshal(name) // a constant member name: cannot fail
		b.Write(quoted)
		b.WriteString(": ")
		b.Write(raw)
	}
	why := map[string]string{}
	for _, name := range append(append(slices.Clone(Members), LiveMembers...), OptionalMembers...) {
		raw, ok := s.Raw[name]
		if !ok {
			// The default problem of an absent required member needs no
			// saying: Decode says it again.
			if p := s.Problems[name]; p != "" && p != missing(name) {
				why[name] = p
			}
			continue
		}
		// json.Marshal would compact the answer and escape <, > and &:
		// the evidence would no longer be what the service sent.
		if !json.Valid(raw) {
			return nil, fmt.Errorf("snapshot: the %s answer is not JSON, so it cannot be kept as it came", name)
		}
		member(name, raw)
	}
	if len(why) > 0 {
		raw, err := json.Marshal(why) // sorted by member name
		if err != nil {
			return nil, fmt.Errorf("snapshot: %s: %w", CollectionErrors, err)
		}
		member(CollectionErrors, raw)
	}
	b.WriteString("\n}\n")
	if b.Len() > MaxSnapshotSize {
		return nil, fmt.Errorf("snapshot: %d bytes, more than the %d a snapshot may have", b.Len(), MaxSnapshotSize)
	}
	return b.Bytes(), nil
}
