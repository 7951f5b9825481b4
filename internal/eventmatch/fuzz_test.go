package eventmatch

import "testing"

// Any pattern text parses or is refused, and a parsed pattern answers for
// every call: never a panic, never an answer outside the three.
func FuzzPatterns(f *testing.F) {
	for _, s := range []string{
		`{"source":["aws.kms"],"detail":{"eventName":["DisableKey"]}}`,
		`{"$or":[{"source":["a"]},{"detail":{"x":[{"anything-but":{"prefix":"y"}}]}}]}`,
		`{"a":[{"numeric":[">",0,"<=",5]},{"exists":false},{"wildcard":"*\\**"}]}`,
		`{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}`,
		`{ $.resources[0].ARN = "arn:*" && $.x NOT EXISTS }`,
		`DisableKey "quoted term"`, `[a, b]`, `%regex%`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := call("DisableKey")
		if p, err := ParseEventPattern(text); err == nil {
			if a := p.Matches(c); a < No || a > Yes {
				t.Fatalf("answer %d", a)
			}
		}
		if p, err := ParseFilterPattern(text); err == nil {
			if a := p.Matches(c); a < No || a > Yes {
				t.Fatalf("answer %d", a)
			}
		}
	})
}
