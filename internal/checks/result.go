package checks

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Status is the outcome of one check.
type Status string

const (
	Pass  Status = "PASS"
	Fail  Status = "FAIL"  // a required check is not met
	Warn  Status = "WARN"  // a recommended check is not met
	Skip  Status = "SKIP"  // not applicable or not evaluable here; Observed says why
	Error Status = "ERROR" // evidence could not be gathered or parsed
)

// Statuses lists every status in report order.
var Statuses = []Status{Pass, Fail, Warn, Skip, Error}

// Severity says whether a check decides the verdict.
type Severity string

const (
	Required    Severity = "required"
	Recommended Severity = "recommended"
)

// Remediation is how to fix a check that is not met.
type Remediation struct {
	Console string `json:"console"`
	CLI     string `json:"cli"`
}

// Result is one evaluated requirement. Its JSON form is the contract of
// REQUIREMENTS.md ("Command-line contract").
type Result struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Severity    Severity    `json:"severity"`
	Status      Status      `json:"status"`
	Section     string      `json:"section"`
	Expected    string      `json:"expected"`
	Observed    string      `json:"observed"`
	Remediation Remediation `json:"remediation"`
	// Evidence names the snapshot members the result was judged on, each
	// once per value it points at (none: the whole member). The answers
	// themselves are in the snapshot, once per run.
	Evidence []EvidenceRef `json:"evidence"`
	// Drift is the drift check's judgement of a baseline, for the reports' drift
	// table; nil for every other check and without a baseline. It is not
	// part of the contract: it follows from the evidence, and judging the
	// evidence again (audit.Verify) gives it back.
	Drift *DriftReport `json:"-"`
}

// EvidenceRef names one snapshot member a result was judged on and, where
// it helps, a JSON pointer (RFC 6901) to the value within it.
type EvidenceRef struct {
	Member  string `json:"member"`
	Pointer string `json:"pointer,omitempty"`
}

// ResolvePointer is the value a JSON pointer (RFC 6901) names in raw, as
// compact JSON; ok is false when it names nothing. "" is the whole value.
func ResolvePointer(raw json.RawMessage, pointer string) (json.RawMessage, bool) {
	v, ok := decodeMember(raw)
	if !ok {
		return nil, false
	}
	if v, ok = resolvePointer(v, pointer); !ok {
		return nil, false
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimSpace(b.Bytes()), true
}

// decodeMember decodes a member's JSON for resolvePointer.
func decodeMember(raw json.RawMessage) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// resolvePointer walks a decoded value to what pointer names.
func resolvePointer(v any, pointer string) (any, bool) {
	if pointer == "" {
		return v, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) || strconv.Itoa(i) != tok {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Verdict values.
const (
	Ready    = "READY"
	NotReady = "NOT READY"
)

// Verdict is READY iff no required check is FAIL or ERROR.
func Verdict(results []Result) string {
	for _, r := range results {
		if r.Severity == Required && (r.Status == Fail || r.Status == Error) {
			return NotReady
		}
	}
	return Ready
}

// Omission is a required check that a verdict does not cover: it was SKIP.
type Omission struct {
	ID     string `json:"id"`
	Reason string `json:"reason"` // why, in short (ShortReason)
}

// NotEvaluated lists the required checks that were SKIP, in result order:
// what a READY does not cover (and, beside a NOT READY, what was not
// looked at either). Like Verdict it follows from the results alone, so a
// results file's list can be held to its results. Never nil: "none" is [].
func NotEvaluated(results []Result) []Omission {
	out := []Omission{}
	for _, r := range results {
		if r.Severity == Required && r.Status == Skip {
			out = append(out, Omission{ID: r.ID, Reason: ShortReason(r.Observed)})
		}
	}
	return out
}

// ShortReason is a SKIP's reason in short: its observed text up to the
// first ": " or "; ". Every SKIP opens with why it was not evaluated
// ("evaluating a snapshot offline", "no baseline given") and gives the
// detail after.
func ShortReason(observed string) string {
	short := observed
	for _, sep := range []string{": ", "; "} {
		if i := strings.Index(short, sep); i > 0 {
			short = short[:i]
		}
	}
	if short = strings.TrimSpace(short); short == "" {
		return "no reason given"
	}
	return short
}

// VerdictLine is the verdict as every report words it: a READY says what
// it does not cover ("READY — not evaluated: <ID> (<short reason>), ...");
// a NOT READY stands as it is, and the reports list its required SKIPs
// beside it.
func VerdictLine(verdict string, notEvaluated []Omission) string {
	if verdict != Ready || len(notEvaluated) == 0 {
		return verdict
	}
	return verdict + " — not evaluated: " + OmissionsText(notEvaluated)
}

// OmissionsText words a list of omissions: "<ID> (<reason>), ...";
// "none" for none.
func OmissionsText(l []Omission) string {
	if len(l) == 0 {
		return "none"
	}
	parts := make([]string, len(l))
	for i, o := range l {
		parts[i] = o.ID + " (" + o.Reason + ")"
	}
	return strings.Join(parts, ", ")
}
