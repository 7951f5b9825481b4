package eventmatch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	keyID  = "1234abcd-12ab-34cd-56ef-1234567890ab"
	keyARN = "arn:aws:kms:us-east-1:111122223333:key/" + keyID
)

func call(name string) Call {
	return Call{EventName: name, KeyID: keyID, KeyARN: keyARN, Account: "111122223333", Region: "us-east-1"}
}

func TestEventPatterns(t *testing.T) {
	for _, tc := range []struct {
		name, pattern, event string
		want                 Answer
	}{
		{"names listed", `{"source":["aws.kms"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["kms.amazonaws.com"],"eventName":["DisableKey","ScheduleKeyDeletion","PutKeyPolicy"]}}`, "DisableKey", Yes},
		{"only EnableKey", `{"source":["aws.kms"],"detail":{"eventName":["EnableKey"]}}`, "DisableKey", No},
		{"other source", `{"source":["aws.s3"],"detail":{"eventName":["DisableKey"]}}`, "DisableKey", No},
		{"any kms event", `{"source":["aws.kms"]}`, "PutKeyPolicy", Yes},
		{"prefix", `{"source":[{"prefix":"aws."}],"detail":{"eventName":[{"prefix":"Disable"}]}}`, "DisableKey", Yes},
		{"prefix ignoring case", `{"detail":{"eventName":[{"prefix":{"equals-ignore-case":"disable"}}]},"source":["aws.kms"]}`, "DisableKey", Yes},
		{"suffix", `{"source":["aws.kms"],"detail":{"eventName":[{"suffix":"Key"}]}}`, "ScheduleKeyDeletion", No},
		{"anything-but", `{"source":["aws.kms"],"detail":{"eventName":[{"anything-but":["Encrypt","Decrypt"]}]}}`, "DisableKey", Yes},
		{"anything-but names it", `{"source":["aws.kms"],"detail":{"eventName":[{"anything-but":"DisableKey"}]}}`, "DisableKey", No},
		{"anything-but prefix", `{"source":["aws.kms"],"detail":{"eventName":[{"anything-but":{"prefix":"Disable"}}]}}`, "DisableKey", No},
		{"equals-ignore-case", `{"source":["aws.kms"],"detail":{"eventName":[{"equals-ignore-case":"putkeypolicy"}]}}`, "PutKeyPolicy", Yes},
		{"wildcard", `{"source":["aws.kms"],"detail":{"eventName":[{"wildcard":"*Key*"}]}}`, "ScheduleKeyDeletion", Yes},
		{"exists", `{"source":["aws.kms"],"detail":{"eventName":[{"exists":true}],"errorCode":[{"exists":false}]}}`, "DisableKey", Yes},
		{"or", `{"$or":[{"source":["aws.s3"]},{"detail":{"eventName":["DisableKey"]}}]}`, "DisableKey", Yes},
		{"resource in detail", `{"source":["aws.kms"],"detail":{"resources":{"ARN":["` + keyARN + `"]}}}`, "DisableKey", Yes},
		{"another key's resource", `{"source":["aws.kms"],"detail":{"resources":{"ARN":["arn:aws:kms:us-east-1:111122223333:key/other"]}}}`, "DisableKey", No},
		{"key named by ID only", `{"source":["aws.kms"],"detail":{"requestParameters":{"keyId":["` + keyID + `"]}}}`, "DisableKey", Unknown},
		{"key by ID or ARN", `{"source":["aws.kms"],"detail":{"requestParameters":{"keyId":["` + keyID + `","` + keyARN + `"]}}}`, "DisableKey", Yes},
		{"top-level resources", `{"source":["aws.kms"],"resources":["` + keyARN + `"]}`, "DisableKey", Unknown},
		{"caller's field", `{"source":["aws.kms"],"detail":{"userIdentity":{"type":["Root"]}}}`, "DisableKey", Unknown},
		{"unknown field but source wrong", `{"source":["aws.ec2"],"detail":{"userIdentity":{"type":["Root"]}}}`, "DisableKey", No},
		{"numeric on a string", `{"source":["aws.kms"],"detail":{"eventName":[{"numeric":[">",0]}]}}`, "DisableKey", No},
		{"cidr", `{"source":["aws.kms"],"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/8"}]}}`, "DisableKey", Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseEventPattern(tc.pattern)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Matches(call(tc.event)))
		})
	}
}

func TestBadEventPatterns(t *testing.T) {
	for _, bad := range []string{``, `[]`, `{}`, `{"source":"aws.kms"}`, `{"source":[{"prefix":1}]}`, `{"source":[{"bogus":"x"}]}`,
		`{"$or":[{"source":["a"]}]}`, `{"detail":{}}`, `{"source":["x"]} trailing`, `{"source":[{"numeric":[">"]}]}`} {
		_, err := ParseEventPattern(bad)
		assert.Error(t, err, bad)
	}
}

func TestFilterPatterns(t *testing.T) {
	for _, tc := range []struct {
		name, pattern, event string
		want                 Answer
	}{
		{"CIS 3.7", `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}`, "ScheduleKeyDeletion", Yes},
		{"CIS 3.7 does not cover PutKeyPolicy", `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}`, "PutKeyPolicy", No},
		{"quoted", `{ ($.eventName = "PutKeyPolicy") }`, "PutKeyPolicy", Yes},
		{"wildcard", `{ $.eventName = Disable* }`, "DisableKey", Yes},
		{"not equal", `{ $.eventName != EnableKey }`, "DisableKey", Yes},
		{"only EnableKey", `{ $.eventName = EnableKey }`, "DisableKey", No},
		{"key ARN in resources", `{ ($.eventName = DisableKey) && ($.resources[0].ARN = "` + keyARN + `") }`, "DisableKey", Yes},
		{"errorCode absent", `{ ($.eventName = DisableKey) && ($.errorCode NOT EXISTS) }`, "DisableKey", Yes},
		{"errorCode any", `{ ($.eventName = DisableKey) && ($.errorCode = "*") }`, "DisableKey", No},
		{"user identity", `{ ($.eventName = DisableKey) && ($.userIdentity.type = Root) }`, "DisableKey", Unknown},
		{"precedence", `{ $.eventName = EnableKey && $.eventSource = x || $.eventName = DisableKey }`, "DisableKey", Yes},
		{"term", `DisableKey`, "DisableKey", Yes},
		{"term of the caller", `AccessDenied`, "DisableKey", Unknown},
		{"everything", ``, "DisableKey", Yes},
		{"space-delimited", `[version, account]`, "DisableKey", Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseFilterPattern(tc.pattern)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Matches(call(tc.event)))
		})
	}
}

func TestBadFilterPatterns(t *testing.T) {
	for _, bad := range []string{`{ $.eventName = }`, `{ ($.eventName = DisableKey }`, `{ eventName = x }`, `{ $.eventName ~ x }`,
		`{ $.eventName = "x }`, `{ $.a = 1 ) }`, `{ $.a > x }`, `{ $.a = 1`} {
		_, err := ParseFilterPattern(bad)
		assert.Error(t, err, bad)
	}
}
