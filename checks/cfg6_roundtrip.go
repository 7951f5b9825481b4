package checks

import "github.com/aep-cmk/cmkcheck/keystate"

func init() {
	register(Check{
		ID: "CMK-CFG-6", Title: "Encrypt then Decrypt returns the plaintext", Severity: Required,
		Section:  "configure-key",
		Expected: "a live Encrypt followed by Decrypt returns the original plaintext",
		Remediation: Remediation{
			Console: "Check that the key is enabled, symmetric, and that the key policy lets the caller use it (Key users).",
			CLI:     "aws kms encrypt --key-id <key-id> --plaintext fileb://sample --query CiphertextBlob --output text | base64 -d > c && aws kms decrypt --ciphertext-blob fileb://c",
		},
		eval: func(e *env) outcome {
			if e.s.Live != nil && !e.p.Roundtrip {
				return skipped("roundtrip is not set in the profile")
			}
			return liveProbe(e, func(l *keystate.Live) keystate.Probe { return l.Roundtrip }, "evaluating a snapshot offline: a round trip needs the live key")
		},
	})
}
