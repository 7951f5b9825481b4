package keystate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Baseline is the member that holds the state a key was signed off in
// (CMK-DRF-1): {"SHA256": "<hex digest of the file given>", "Kind":
// "results" or "snapshot", "Snapshot": {<that state's snapshot>}}. The
// embedded snapshot is the baseline's evidence, kept byte for byte, so a
// results file that carries it can be judged again (cmkcheck verify).
const Baseline = "Baseline"

// Baseline kinds: what the file given as the baseline was.
const (
	BaselineResults  = "results"
	BaselineSnapshot = "snapshot"
)

// BaselineFacts is the decoded Baseline member.
type BaselineFacts struct {
	SHA256 string // of the file given as the baseline
	Kind   string // BaselineResults or BaselineSnapshot
	State  *State // the baseline's own state, without a baseline of its own
}

// baselineMember is the Baseline member as written.
type baselineMember struct {
	SHA256   string
	Kind     string
	Snapshot json.RawMessage
}

func decodeBaseline(raw json.RawMessage) (*BaselineFacts, error) {
	var v baselineMember
	if err := strictFields(raw, &v); err != nil {
		return nil, err
	}
	switch {
	case len(v.SHA256) != 64:
		return nil, errors.New("SHA256 is not a sha256 hex digest")
	case v.Kind != BaselineResults && v.Kind != BaselineSnapshot:
		return nil, fmt.Errorf("Kind %q is not %q or %q", v.Kind, BaselineResults, BaselineSnapshot)
	case len(v.Snapshot) == 0:
		return nil, errors.New("member Snapshot is missing")
	}
	// Refused before it is decoded: decoding a nested baseline would
	// decode its own, and so on, once per level of the file.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(v.Snapshot, &top); err == nil {
		if _, ok := top[Baseline]; ok {
			return nil, errors.New("Snapshot holds a baseline of its own: a baseline is one state, not a chain")
		}
		if why, ok := top[CollectionErrors]; ok && strings.Contains(string(why), `"`+Baseline+`"`) {
			return nil, errors.New("Snapshot holds a baseline of its own: a baseline is one state, not a chain")
		}
	}
	s, err := Decode(v.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("Snapshot: %w", err)
	}
	return &BaselineFacts{SHA256: v.SHA256, Kind: v.Kind, State: s}, nil
}

// BaselineMember makes the Baseline member from the baseline file's bytes
// and its decoded state. A state that itself carries a baseline (the
// results of an earlier drift run) is kept without it: every other member
// stays byte for byte.
func BaselineMember(file []byte, kind string, s *State) (json.RawMessage, error) {
	if s == nil {
		return nil, errors.New("baseline: no state")
	}
	own := *s
	own.Baseline = nil
	own.Raw = map[string]json.RawMessage{}
	for k, v := range s.Raw {
		if k != Baseline {
			own.Raw[k] = v
		}
	}
	own.Problems = map[string]string{}
	for k, v := range s.Problems {
		if k != Baseline {
			own.Problems[k] = v
		}
	}
	snap, err := own.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	sum := sha256.Sum256(file)
	var b bytes.Buffer
	b.WriteString(`{"SHA256": `)
	d, _ := json.Marshal(hex.EncodeToString(sum[:]))
	b.Write(d)
	b.WriteString(`, "Kind": `)
	k, _ := json.Marshal(kind)
	b.Write(k)
	b.WriteString(`, "Snapshot": `)
	b.Write(bytes.TrimSpace(snap))
	b.WriteString("}")
	return b.Bytes(), nil
}

// SetBaseline gives the state the baseline it is judged against (the
// member BaselineMember made). It refuses a member that does not read, a
// state that already holds a baseline, and a baseline of another key.
func (s *State) SetBaseline(raw json.RawMessage) error {
	if _, ok := s.Raw[Baseline]; ok || s.Baseline != nil {
		return errors.New("the state already holds a baseline")
	}
	b, err := decodeBaseline(raw)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if b.State.Key != nil && s.Key != nil && b.State.Key.Arn != s.Key.Arn {
		return fmt.Errorf("the baseline is of key %s, not of the key judged, %s", b.State.Key.Arn, s.Key.Arn)
	}
	if s.Raw == nil {
		s.Raw = map[string]json.RawMessage{}
	}
	s.Raw[Baseline] = raw
	s.Baseline = b
	return nil
}
