package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// ctxOf resolves keys from a fixed request context; keys not in it are
// absent, except "unknown:*" ones.
func ctxOf(values map[string]ctxValue) resolver {
	return func(key string) ctxValue {
		if v, ok := values[key]; ok {
			return v
		}
		return absentValue
	}
}

func TestConditionOperators(t *testing.T) {
	ctx := ctxOf(map[string]ctxValue{
		"k":       known("Value"),
		"n":       known("10"),
		"d":       known("2024-06-01T12:00:00Z"),
		"b":       known("true"),
		"ip":      known("203.0.113.7"),
		"arn":     known("arn:aws:iam::111122223333:role/team/R"),
		"multi":   known("a", "b"),
		"unknown": unknownValue,
		"unnamed": {state: ctxUnnamed, account: "111122223333"},
		// An identity of an account the policy names nowhere.
		"stranger": {state: ctxUnnamed},
		"acct":     known("111122223333"),
		"empty":    known(""),
		"":         absentValue,
	})
	tests := []struct {
		doc, op, key string
		vals         []string
		want         tri
	}{
		// String: exact and case-sensitive; IgnoreCase; Like with * and ?.
		{docOperators, "StringEquals", "k", []string{"Value"}, yes},
		{docOperators, "StringEquals", "k", []string{"value"}, no},
		{docOperators, "StringEquals", "k", []string{"x", "Value"}, yes}, // OR across values
		{docOperators, "StringNotEquals", "k", []string{"x", "Value"}, no},
		{docOperators, "StringNotEquals", "k", []string{"x"}, yes},
		{docOperators, "StringEqualsIgnoreCase", "k", []string{"VALUE"}, yes},
		{docOperators, "StringNotEqualsIgnoreCase", "k", []string{"VALUE"}, no},
		{docOperators, "StringLike", "k", []string{"V*e"}, yes},
		{docOperators, "StringLike", "k", []string{"v*"}, no},
		{docOperators, "StringLike", "k", []string{"Valu?"}, yes},
		{docOperators, "StringNotLike", "k", []string{"V*"}, no},
		{docOperators, "StringEquals", "k", []string{"V*"}, no}, // no wildcards in Equals
		// Operator names and key names are read case-insensitively.
		{docCondition, "stringequals", "K", []string{"Value"}, yes},
		// Numeric.
		{docOperators, "NumericEquals", "n", []string{"10"}, yes},
		{docOperators, "NumericEquals", "n", []string{"10.0"}, yes},
		{docOperators, "NumericNotEquals", "n", []string{"10"}, no},
		{docOperators, "NumericLessThan", "n", []string{"11"}, yes},
		{docOperators, "NumericLessThan", "n", []string{"10"}, no},
		{docOperators, "NumericLessThanEquals", "n", []string{"10"}, yes},
		{docOperators, "NumericGreaterThan", "n", []string{"9"}, yes},
		{docOperators, "NumericGreaterThan", "n", []string{"10"}, no},
		{docOperators, "NumericGreaterThanEquals", "n", []string{"10"}, yes},
		{docOperators, "NumericGreaterThanEquals", "n", []string{"11"}, no},
		{docOperators, "NumericEquals", "n", []string{"ten"}, maybe},
		{docOperators, "NumericEquals", "k", []string{"1"}, maybe},
		// Date: ISO 8601 or epoch seconds.
		{docOperators, "DateEquals", "d", []string{"2024-06-01T12:00:00Z"}, yes},
		{docOperators, "DateEquals", "d", []string{"1717243200"}, yes},
		{docOperators, "DateNotEquals", "d", []string{"2024-06-01T12:00:00Z"}, no},
		{docOperators, "DateLessThan", "d", []string{"2025-01-01"}, yes},
		{docOperators, "DateLessThanEquals", "d", []string{"2024-06-01T12:00:00Z"}, yes},
		{docOperators, "DateGreaterThan", "d", []string{"2024-06-01T12:00:00Z"}, no},
		{docOperators, "DateGreaterThanEquals", "d", []string{"2024-06-01T12:00:00Z"}, yes},
		{docOperators, "DateEquals", "d", []string{"June"}, maybe},
		{docOperators, "DateGreaterThan", "d", []string{"2024-06-01T11:00+00:00"}, yes},
		// Bool compares "true"/"false".
		{docOperators, "Bool", "b", []string{"true"}, yes},
		{docOperators, "Bool", "b", []string{"TRUE"}, yes},
		{docOperators, "Bool", "b", []string{"false"}, no},
		// BinaryEquals compares against base64.
		{docOperators, "BinaryEquals", "k", []string{"VmFsdWU="}, yes},
		{docOperators, "BinaryEquals", "k", []string{"VmFsdWV="}, no},
		// IP: CIDR, or an address meaning /32.
		{docOperators, "IpAddress", "ip", []string{"203.0.113.0/24"}, yes},
		{docOperators, "IpAddress", "ip", []string{"203.0.113.7"}, yes},
		{docOperators, "IpAddress", "ip", []string{"198.51.100.0/24"}, no},
		{docOperators, "NotIpAddress", "ip", []string{"203.0.113.0/24"}, no},
		{docOperators, "IpAddress", "ip", []string{"not-an-ip"}, maybe},
		{docOperators, "IpAddress", "k", []string{"203.0.113.0/24"}, maybe},
		// ARN: field by field, each a case-sensitive glob; Equals = Like.
		{docOperators, "ArnEquals", "arn", []string{"arn:aws:iam::111122223333:role/team/R"}, yes},
		{docOperators, "ArnLike", "arn", []string{"arn:aws:iam::*:role/*"}, yes},
		{docOperators, "ArnEquals", "arn", []string{"arn:aws:iam::*:role/*"}, yes},
		{docOperators, "ArnLike", "arn", []string{"arn:aws:iam::111122223333:role/team/r"}, no},
		{docOperators, "ArnLike", "arn", []string{"arn:*:111122223333:role/team/R"}, no}, // * stays in its field
		{docOperators, "ArnNotEquals", "arn", []string{"arn:aws:iam::111122223333:role/team/R"}, no},
		{docOperators, "ArnNotLike", "arn", []string{"arn:aws:iam::222233334444:*"}, yes},
		{docOperators, "ArnLike", "k", []string{"arn:aws:iam::*:*"}, no},
		// A key not in the request context: positive operators fail,
		// negated ones and ...IfExists hold.
		{docOperators, "StringEquals", "absent", []string{"x"}, no},
		{docOperators, "StringNotEquals", "absent", []string{"x"}, yes},
		{docOperators, "StringNotLike", "absent", []string{"x"}, yes},
		{docOperators, "ArnNotLike", "absent", []string{"x"}, yes},
		{docOperators, "ArnLike", "absent", []string{"*"}, no},
		{docOperators, "StringEqualsIfExists", "absent", []string{"x"}, yes},
		{docOperators, "StringEqualsIfExists", "k", []string{"x"}, no},
		{docOperators, "StringEqualsIfExists", "k", []string{"Value"}, yes},
		{docOperators, "Bool", "absent", []string{"false"}, no},
		// Null: true asks the key to be absent.
		{docOperators, "Null", "absent", []string{"true"}, yes},
		{docOperators, "Null", "absent", []string{"false"}, no},
		{docOperators, "Null", "k", []string{"true"}, no},
		{docOperators, "Null", "k", []string{"false"}, yes},
		{docOperators, "Null", "unknown", []string{"true"}, maybe},
		{docOperators, "Null", "k", []string{"maybe"}, maybe},
		{docOperators, "NullIfExists", "k", []string{"true"}, maybe},
		// Set operators: ForAnyValue needs one context value to match,
		// ForAllValues every one; an absent key makes ForAllValues true
		// and ForAnyValue false.
		{docMultiValue, "ForAnyValue:StringEquals", "multi", []string{"b"}, yes},
		{docMultiValue, "ForAnyValue:StringEquals", "multi", []string{"c"}, no},
		{docMultiValue, "ForAllValues:StringEquals", "multi", []string{"a", "b"}, yes},
		{docMultiValue, "ForAllValues:StringEquals", "multi", []string{"a"}, no},
		{docMultiValue, "ForAllValues:StringNotEquals", "multi", []string{"c"}, yes},
		{docMultiValue, "ForAnyValue:StringNotEquals", "multi", []string{"a"}, yes},
		{docMultiValue, "ForAllValues:StringEquals", "absent", []string{"a"}, yes},
		{docMultiValue, "ForAnyValue:StringEquals", "absent", []string{"a"}, no},
		{docMultiValue, "ForAnyValue:StringEqualsIfExists", "absent", []string{"a"}, yes},
		// Unknown request properties, operators: open.
		{docCondition, "StringEquals", "unknown", []string{"x"}, maybe},
		{docCondition, "StringNotEqualsIfExists", "unknown", []string{"x"}, maybe},
		{docCondition, "StringEqualz", "k", []string{"Value"}, maybe},
		{docCondition, "ForSomeValues:StringEquals", "k", []string{"Value"}, maybe},
		// An identity no statement names: a literal never equals it.
		{docGlobalKeys, "StringEquals", "unnamed", []string{"arn:aws:iam::111122223333:user/x"}, no},
		{docGlobalKeys, "StringEqualsIgnoreCase", "unnamed", []string{"x"}, no},
		{docGlobalKeys, "StringNotEquals", "unnamed", []string{"arn:aws:iam::111122223333:user/x"}, yes},
		{docGlobalKeys, "StringLike", "unnamed", []string{"x"}, no},
		{docGlobalKeys, "StringLike", "unnamed", []string{"arn:*"}, maybe},
		{docGlobalKeys, "ArnEquals", "unnamed", []string{"arn:aws:iam::111122223333:role/R"}, no},
		{docGlobalKeys, "ArnLike", "unnamed", []string{"arn:aws:iam::111122223333:role/*"}, maybe},
		{docGlobalKeys, "ArnLike", "unnamed", []string{"arn:aws:iam::222233334444:role/*"}, no},
		{docGlobalKeys, "ArnNotLike", "unnamed", []string{"arn:aws:iam::222233334444:*"}, yes},
		{docGlobalKeys, "ArnLike", "unnamed", []string{"not-an-arn"}, no},
		{docGlobalKeys, "NumericEquals", "unnamed", []string{"1"}, maybe},
		// An identity of an account named nowhere never has an ARN in an
		// account the policy names: the ARN operators compare the account
		// field on its own (docARNOperators), and aws:PrincipalArn is the
		// caller's ARN, account included (docPrincipalArn). The negated
		// operators then hold.
		{docARNOperators, "ArnLike", "stranger", []string{"arn:aws:iam::111122223333:role/*AEPKeyUser"}, no},
		{docARNOperators, "ArnEquals", "stranger", []string{"arn:aws:iam::111122223333:role/*"}, no},
		{docARNOperators, "ArnLike", "stranger", []string{"arn:*:iam::111122223333:role/*"}, no},
		{docARNOperators, "ArnLike", "stranger", []string{"arn:aws:iam::*:role/AEPKeyUser"}, maybe},
		{docARNOperators, "ArnLike", "stranger", []string{"arn:aws:iam::1111*:role/*"}, maybe},
		{docARNOperators, "ArnNotLike", "stranger", []string{"arn:aws:iam::111122223333:role/*"}, yes},
		{docARNOperators, "ArnNotEquals", "stranger", []string{"arn:aws:iam::111122223333:role/*"}, yes},
		{docPrincipalArn, "StringLike", "stranger", []string{"arn:aws:iam::111122223333:role/*AEPKeyUser"}, no},
		{docPrincipalArn, "StringEquals", "stranger", []string{"arn:aws:iam::111122223333:role/AEPKeyUser"}, no},
		{docPrincipalArn, "StringNotLike", "stranger", []string{"arn:aws:iam::111122223333:role/*"}, yes},
		{docPrincipalArn, "StringLike", "stranger", []string{"arn:aws:iam::*:role/*"}, maybe},
		// A wildcard before the account field may shift it: not settled.
		{docPrincipalArn, "StringLike", "stranger", []string{"arn:*:iam::111122223333:role/*"}, maybe},
		{docPrincipalArn, "StringLike", "stranger", []string{"*:111122223333:*"}, maybe},
		// A named account's unnamed identity: another account's pattern
		// misses it, its own may match.
		{docPrincipalArn, "StringLike", "unnamed", []string{"arn:aws:iam::222233334444:role/*"}, no},
		{docPrincipalArn, "StringLike", "unnamed", []string{"arn:aws:iam::111122223333:role/*"}, maybe},
		{docPrincipalArn, "StringNotLike", "unnamed", []string{"arn:aws:iam::222233334444:role/*"}, yes},
		{docARNOperators, "ArnLike", "unnamed", []string{"arn:aws:iam::2222*:role/*"}, no},
		{docARNOperators, "ArnLike", "unnamed", []string{"arn:aws:iam::1111*:role/*"}, maybe},
		// Policy variables are resolved where their key is known.
		{docVariables, "StringEquals", "acct", []string{"${acct}"}, yes},
		{docVariables, "StringEquals", "k", []string{"${acct}"}, no},
		{docVariables, "StringEquals", "k", []string{"${unknown}"}, maybe},
		{docVariables, "StringEquals", "k", []string{"${absent, 'Value'}"}, yes},
		{docVariables, "StringEquals", "k", []string{"${absent}"}, maybe},
		{docVariables, "StringEquals", "empty", []string{"${absent, ''}"}, yes},
		{docVariables, "StringEquals", "k", []string{"${, 'Value'}"}, yes},
		{docVariables, "StringEquals", "k", []string{"${absent, Value}"}, maybe},
		{docVariables, "StringEquals", "k", []string{"Val${$}ue"}, no},
		{docVariables, "StringEquals", "k", []string{"Val${ue"}, no},
		{docVariables, "StringLike", "k", []string{"V${*}"}, maybe},
		{docVariables, "StringEquals", "k", []string{"V${?}"}, no},
		{docVariables, "ArnLike", "arn", []string{"arn:aws:iam::${acct}:role/*"}, yes},
		{docVariables, "NumericEquals", "n", []string{"${n}"}, maybe}, // no variables in Numeric
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.key+"/"+tt.vals[0], func(t *testing.T) {
			got, unres := evalOne(Condition{Operator: tt.op, Key: tt.key, Values: tt.vals}, ctx)
			assert.Equal(t, tt.want, got, tt.doc)
			if got == maybe {
				assert.NotEmpty(t, unres, "an open condition says why")
			}
		})
	}
}

func TestConditionUnresolvedNames(t *testing.T) {
	ctx := ctxOf(map[string]ctxValue{"k": known("v"), "u": unknownValue})
	_, u := evalOne(Condition{Operator: "Nope", Key: "k", Values: []string{"v"}}, ctx)
	assert.Equal(t, "operator Nope", u)
	_, u = evalOne(Condition{Operator: "StringEquals", Key: "k", Values: []string{"${aws:PrincipalTag/team}"}}, ctx)
	assert.Equal(t, "aws:PrincipalTag/team", u, "the variable, not the resolved key")
	_, u = evalOne(Condition{Operator: "StringEquals", Key: "U", Values: []string{"v"}}, ctx)
	assert.Equal(t, "U", u, "the key as written")
	_, u = evalOne(Condition{Operator: "NumericEquals", Key: "k", Values: []string{"1"}}, ctx)
	assert.Equal(t, "k", u)
}

func TestThreeValuedLogic(t *testing.T) {
	assert.Equal(t, no, and(yes, no))
	assert.Equal(t, maybe, and(yes, maybe))
	assert.Equal(t, no, and(maybe, no))
	assert.Equal(t, yes, or(no, yes))
	assert.Equal(t, maybe, or(no, maybe))
	assert.Equal(t, yes, not(no))
	assert.Equal(t, maybe, not(maybe))
	assert.Equal(t, maybe, compare("nope", 1, 1))
	assert.Equal(t, no, compare("lte", 2, 1))
}

// evalOne compiles and evaluates one block, as a model does.
func evalOne(c Condition, get resolver) (tri, string) {
	b := compileCondition(c)
	return evalCondition(&b, get)
}
