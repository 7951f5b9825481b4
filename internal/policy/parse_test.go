package policy

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConsolePolicy(t *testing.T) {
	d, err := Parse(readTestdata(t, "console_adobe.json"))
	require.NoError(t, err)
	assert.Equal(t, "2012-10-17", d.Version)
	assert.Equal(t, "key-consolepolicy-3", d.ID)
	require.Len(t, d.Statements, 8)
	for i, st := range d.Statements {
		assert.Equal(t, i, st.Index)
		assert.Equal(t, "Allow", st.Effect)
		assert.Equal(t, []string{"*"}, st.Resources)
	}
	// The platform's first statement reuses the root statement's Sid.
	assert.Equal(t, d.Statements[0].Sid, d.Statements[4].Sid)
	assert.Equal(t, []string{"kms:*"}, d.Statements[0].Actions)
	assert.Equal(t, []Principal{aws(ownRoot)}, d.Statements[0].Principal.Principals)
	assert.Equal(t, []Condition{{"Bool", "kms:GrantIsForAWSResource", []string{"true"}}}, d.Statements[3].Conditions)
	assert.Equal(t, []Condition{{"StringEquals", "aws:PrincipalAccount", []string{adobe}}}, d.Statements[4].Conditions)
}

func TestParseStatementForms(t *testing.T) {
	stmt := `{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt"}`
	single := mustParse(t, `{"Statement":`+stmt+`}`)
	list := mustParse(t, `{"Statement":[`+stmt+`]}`)
	assert.Equal(t, list, single, "one object is a list of one")
	assert.Equal(t, "", single.Version)

	d := mustParse(t, `{"Version":"2008-10-17","Statement":[]}`)
	assert.Empty(t, d.Statements, "an empty policy parses; the checks fail it")
}

func TestParsePrincipalSets(t *testing.T) {
	tests := []struct {
		name, principal string
		want            PrincipalSet
	}{
		{"star", `"*"`, PrincipalSet{Wildcard: true}},
		{"aws star", `{"AWS":"*"}`, PrincipalSet{Wildcard: true}},
		{"aws star in list", `{"AWS":["*","111122223333"]}`, PrincipalSet{Wildcard: true, Principals: []Principal{aws(own)}}},
		{"string", `{"AWS":"111122223333"}`, PrincipalSet{Principals: []Principal{aws(own)}}},
		{"list", `{"AWS":["arn:aws:iam::111122223333:role/KeyAdmin","arn:aws:iam::111122223333:user/bob"]}`,
			PrincipalSet{Principals: []Principal{aws(ownAdmin), aws(ownUser)}}},
		{"types in written order", `{"Service":["logs.amazonaws.com"],"AWS":"111122223333","Federated":"cognito-identity.amazonaws.com"}`,
			PrincipalSet{Principals: []Principal{
				ParsePrincipal("Service", "logs.amazonaws.com"), aws(own), ParsePrincipal("Federated", "cognito-identity.amazonaws.com"),
			}}},
		{"unknown kept", `{"AWS":"AROAEXAMPLEID1234567"}`, PrincipalSet{Principals: []Principal{aws("AROAEXAMPLEID1234567")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, doc(`{"Effect":"Allow","Principal":`+tt.principal+`,"Action":"kms:*"}`))
			assert.Equal(t, &tt.want, d.Statements[0].Principal)
			assert.Nil(t, d.Statements[0].NotPrincipal)

			d = mustParse(t, doc(`{"Effect":"Deny","NotPrincipal":`+tt.principal+`,"NotAction":"kms:*"}`))
			assert.Equal(t, &tt.want, d.Statements[0].NotPrincipal)
			assert.Nil(t, d.Statements[0].Principal)
			assert.Equal(t, []string{"kms:*"}, d.Statements[0].NotActions)
			assert.Nil(t, d.Statements[0].Actions)
		})
	}
}

func TestParseConditions(t *testing.T) {
	d := mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","NotResource":"arn:x","Condition":{
		"StringEquals":{"b":"1","a":["x","y"]},
		"Bool":{"kms:GrantIsForAWSResource":true},
		"NumericLessThan":{"n":[5, 1.50, -2e3]},
		"Null":{"z":false}}}`))
	st := d.Statements[0]
	assert.Equal(t, []string{"arn:x"}, st.NotResources)
	assert.Equal(t, []Condition{
		{"Bool", "kms:GrantIsForAWSResource", []string{"true"}},
		{"Null", "z", []string{"false"}},
		{"NumericLessThan", "n", []string{"5", "1.50", "-2e3"}},
		{"StringEquals", "a", []string{"x", "y"}},
		{"StringEquals", "b", []string{"1"}},
	}, st.Conditions)

	d = mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{}}`))
	assert.Empty(t, d.Statements[0].Conditions, "an empty Condition is no condition")
}

func TestParseErrors(t *testing.T) {
	allow := func(extra string) string {
		return doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*"` + extra + `}`)
	}
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct{ name, in, want string }{
		{"empty input", ``, "unexpected EOF"},
		{"not json", `Version: 1`, "invalid JSON"},
		{"truncated", `{"Statement":[`, "unexpected EOF"},
		{"trailing data", doc() + `{}`, "data after"},
		{"top-level list", `[]`, "must be a JSON object"},
		{"top-level string", `"policy"`, "must be a JSON object"},
		{"unknown top-level field", `{"Statement":[],"Statements":[]}`, `unknown field "Statements"`},
		{"lower-case field", `{"statement":[]}`, `unknown field "statement"`},
		{"missing Statement", `{"Version":"2012-10-17"}`, "Statement: missing"},
		{"null Statement", `{"Statement":null}`, "Statement: must be an object or a list, got null"},
		{"string Statement", `{"Statement":"x"}`, "Statement: must be an object or a list"},
		{"bad Version", `{"Version":"2012-10-18","Statement":[]}`, "Version: must be"},
		{"number Version", `{"Version":2012,"Statement":[]}`, "Version: must be"},
		{"number Id", `{"Id":1,"Statement":[]}`, "Id: must be a string"},
		{"duplicate key", `{"Statement":[],"Statement":[]}`, `duplicate key "Statement"`},
		{"duplicate Effect", doc(`{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"kms:*"}`), `duplicate key "Effect"`},
		{"statement not object", doc(`"x"`), "Statement[0]: must be an object"},
		{"bad Effect", doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*"}`, `{"Effect":"allow","Principal":"*","Action":"kms:*"}`), `Statement[1].Effect: must be "Allow" or "Deny", got "allow"`},
		{"number Effect", doc(`{"Effect":1,"Principal":"*","Action":"kms:*"}`), `Statement[0].Effect: must be "Allow" or "Deny", got number 1`},
		{"missing Effect", doc(`{"Principal":"*","Action":"kms:*"}`), "Statement[0].Effect: missing"},
		{"unknown statement field", allow(`,"Actions":["kms:*"]`), `Statement[0]: unknown field "Actions"`},
		{"Action and NotAction", allow(`,"NotAction":"kms:Decrypt"`), "Statement[0]: has both Action and NotAction"},
		{"no Action", doc(`{"Effect":"Allow","Principal":"*"}`), "Statement[0]: has neither Action nor NotAction"},
		{"Principal and NotPrincipal", allow(`,"NotPrincipal":"*"`), "Statement[0]: has both Principal and NotPrincipal"},
		{"no Principal", doc(`{"Effect":"Allow","Action":"kms:*"}`), "Statement[0]: has neither Principal nor NotPrincipal"},
		{"Resource and NotResource", allow(`,"Resource":"*","NotResource":"*"`), "has both Resource and NotResource"},
		{"number Sid", allow(`,"Sid":1`), "Statement[0].Sid: must be a string"},
		{"number Action", doc(`{"Effect":"Allow","Principal":"*","Action":1}`), "Statement[0].Action: must be a string or a list of strings, got number 1"},
		{"null Action", doc(`{"Effect":"Allow","Principal":"*","Action":null}`), "Statement[0].Action: must be a string or a list of strings, got null"},
		{"number in Action list", doc(`{"Effect":"Allow","Principal":"*","Action":["kms:Encrypt",2]}`), "Statement[0].Action[1]: must be a string"},
		{"empty Action list", doc(`{"Effect":"Allow","Principal":"*","Action":[]}`), "Statement[0].Action: must not be an empty list"},
		{"empty Action", doc(`{"Effect":"Allow","Principal":"*","Action":""}`), "Statement[0].Action: must not be empty"},
		{"object Resource", allow(`,"Resource":{}`), "Statement[0].Resource: must be a string or a list"},
		{"Principal ARN string", doc(`{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"kms:*"}`), `Statement[0].Principal: must be "*" or an object`},
		{"Principal list", doc(`{"Effect":"Allow","Principal":["*"],"Action":"kms:*"}`), `Statement[0].Principal: must be "*" or an object, got a list`},
		{"Principal empty object", doc(`{"Effect":"Allow","Principal":{},"Action":"kms:*"}`), "Statement[0].Principal: names no principal"},
		{"Principal unknown type", doc(`{"Effect":"Allow","Principal":{"aws":"*"},"Action":"kms:*"}`), `Statement[0].Principal: unknown principal type "aws"`},
		{"Principal number", doc(`{"Effect":"Allow","Principal":{"AWS":5},"Action":"kms:*"}`), "Statement[0].Principal.AWS: must be a string or a list"},
		{"Principal empty list", doc(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"kms:*"}`), "Statement[0].Principal.AWS: must not be an empty list"},
		{"NotPrincipal nested list", doc(`{"Effect":"Deny","NotPrincipal":{"AWS":[["x"]]},"Action":"kms:*"}`), "Statement[0].NotPrincipal.AWS[0]: must be a string, got a list"},
		{"Condition list", allow(`,"Condition":[]`), "Statement[0].Condition: must be an object"},
		{"Condition operator string", allow(`,"Condition":{"StringEquals":"x"}`), "Statement[0].Condition.StringEquals: must be an object"},
		{"Condition operator empty", allow(`,"Condition":{"StringEquals":{}}`), "Statement[0].Condition.StringEquals: names no condition key"},
		{"Condition null value", allow(`,"Condition":{"StringEquals":{"k":null}}`), "Statement[0].Condition.StringEquals.k: must be a string, bool, number or a list of those, got null"},
		{"Condition object value", allow(`,"Condition":{"StringEquals":{"k":{}}}`), "Statement[0].Condition.StringEquals.k: must be"},
		{"Condition nested list", allow(`,"Condition":{"StringEquals":{"k":["a",["b"]]}}`), "Statement[0].Condition.StringEquals.k[1]: must be a string, bool or number"},
		{"Condition empty list", allow(`,"Condition":{"StringEquals":{"k":[]}}`), "Statement[0].Condition.StringEquals.k: must not be an empty list"},
		{"Condition empty operator", allow(`,"Condition":{"":{"k":"v"}}`), "empty operator"},
		{"Condition empty key", allow(`,"Condition":{"StringEquals":{"":"v"}}`), "empty condition key"},
		{"deep nesting", `{"Statement":` + deep + `}`, "nested deeper than"},
		{"deep nesting in Condition", allow(`,"Condition":{"StringEquals":{"k":[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]}}`), "nested deeper than"},
		{"too large", doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Sid":"` + strings.Repeat("a", MaxSize) + `"}`), "over the 32768-byte limit"},
		{"invalid UTF-8", doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Sid":"` + "\xff\xfe" + `"}`), "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, d)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "key policy: "), err.Error())
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	base := doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Sid":""}`)
	pad := MaxSize - len(base)
	exact := doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Sid":"` + strings.Repeat("a", pad) + `"}`)
	require.Len(t, exact, MaxSize)
	_, err := Parse([]byte(exact))
	assert.NoError(t, err, "exactly MaxSize bytes is allowed")
	_, err = Parse([]byte(exact + " "))
	assert.Error(t, err)
}

func TestParseWrapsDecoderErrors(t *testing.T) {
	_, err := Parse([]byte(`{"Statement":[`))
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
}
