package checks

import (
	"fmt"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

func init() {
	register(Check{
		ID: "CMK-CFG-6", Title: "Encrypt then Decrypt returns the plaintext", Severity: Required,
		Section:  "configure-key",
		Expected: "a live Encrypt followed by Decrypt returns the original plaintext",
		Remediation: Remediation{
			Console: "Check that the key is enabled, symmetric, and that the key policy lets the caller use it (Key users).",
			CLI:     "aws kms encrypt --key-id <key-id> --plaintext fileb://sample --query CiphertextBlob --output text | base64 -d > c && aws kms decrypt --ciphertext-blob fileb://c",
		},
		Uses: []string{keystate.RoundTrip},
		eval: evalRoundTrip,
	})
}

// keyFindings are KMS error codes that describe the key itself (disabled,
// pending deletion or import, not for encryption): the key fails the
// round trip. Any other error (access denied, throttling, network) means
// the round trip could not be judged.
var keyFindings = map[string]bool{
	"DisabledException": true, "KMSInvalidStateException": true, "InvalidKeyUsageException": true,
	"KeyUnavailableException": true, "IncorrectKeyException": true, "UnsupportedOperationException": true,
}

func evalRoundTrip(e *env) outcome {
	rt := e.s.RoundTrip
	if rt == nil && !e.s.Live() {
		return skipped(offline(e.s) + ": a round trip needs the live key")
	}
	if !e.p.Roundtrip {
		return skipped("roundtrip is not set in the profile")
	}
	if rt == nil {
		return notRecorded(keystate.RoundTrip, "no round trip was made")
	}
	if !rt.Requested {
		return skipped("roundtrip not requested in the profile")
	}
	if rt.NotRun != "" {
		return errored("not run: " + rt.NotRun)
	}
	if rt.Error != nil {
		if keyFindings[rt.Error.Code] {
			return notMet(fmt.Sprintf("%s was refused by KMS: %s: %s", rt.Error.Operation, rt.Error.Code, rt.Error.Message))
		}
		return errored(callFailed(rt.Error))
	}
	if rt.PlaintextMatches == nil || rt.Decrypt == nil {
		return errored("the round trip recorded neither its result nor why there is none")
	}
	if *rt.PlaintextMatches {
		return pass(fmt.Sprintf("Encrypt then Decrypt of %d random bytes returned the plaintext", rt.PlaintextBytes))
	}
	return notMet(fmt.Sprintf("Decrypt returned %d bytes that differ from the %d encrypted", rt.Decrypt.PlaintextBytes, rt.PlaintextBytes))
}
