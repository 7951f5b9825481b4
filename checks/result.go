package checks

import "encoding/json"

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
	ID          string                     `json:"id"`
	Title       string                     `json:"title"`
	Severity    Severity                   `json:"severity"`
	Status      Status                     `json:"status"`
	Section     string                     `json:"section"`
	Expected    string                     `json:"expected"`
	Observed    string                     `json:"observed"`
	Remediation Remediation                `json:"remediation"`
	Evidence    map[string]json.RawMessage `json:"evidence"`
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
