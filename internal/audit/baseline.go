package audit

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// ErrBaselineNotVerified marks a results file given as the baseline whose
// claims its own evidence does not bear out: drift judged against it would
// be judged against a claim, so it is refused, never silently accepted.
var ErrBaselineNotVerified = errors.New("the baseline results file does not verify")

// LoadBaseline reads the file given as the baseline (--baseline FILE): the
// results file of an earlier run, which must verify (Verify: every digest
// and claim borne out by its own evidence, judged by the one judge), or a snapshot, decoded as
// cmkcheck evaluate --snapshot does. It returns the keystate.Baseline
// member: the baseline's evidence and the file's sha256.
func LoadBaseline(data []byte) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("the baseline is neither a results file nor a snapshot: not a JSON object")
	}
	_, hasResults := top["results"]
	_, hasVerdict := top["verdict"]
	if hasResults || hasVerdict {
		run, err := Verify(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBaselineNotVerified, err)
		}
		state, err := keystate.Decode(run.Snapshot)
		if err != nil {
			return nil, fmt.Errorf("the baseline results file's evidence: %w", err)
		}
		return keystate.BaselineMember(data, keystate.BaselineResults, state)
	}
	state, err := keystate.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("the baseline snapshot: %w", err)
	}
	if err := state.SameKey(""); err != nil {
		return nil, fmt.Errorf("the baseline snapshot: %w", err)
	}
	return keystate.BaselineMember(data, keystate.BaselineSnapshot, state)
}
