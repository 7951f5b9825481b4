package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plain turns what decodeJSON gives into what encoding/json gives.
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := map[string]any{}
		for _, k := range t.keys {
			m[k] = plain(t.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// decodeJSON reads what encoding/json reads, as it reads it, but for
// duplicate keys and nesting deeper than maxDepth, which it refuses.
// FuzzParseAnalyze asks the same of every input it makes.
func TestDecodeJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range []string{
		``, ` `, `{}`, `[]`, `{"a":1}`, `{"a":[1,2,{"b":null}]}`, `"x"`, `"\u00e9\ud83d\ude00\n\"\\\/"`, `"\ud800"`, `"\x"`,
		`-0`, `-`, `01`, `1.`, `1.5e+10`, `1E-2`, `-1.0e3`, `1e`, `truex`, `true`, `false`, `null`, `nul`,
		`{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, `{"a":1}{}`, `{"a":1} `, "\t[\r\n]", `[`, `{"a"`, "\"a\tb\"",
		`{"a":1,"a":2}`, `{"Statement":[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]}`, `{"a":"` + "\x7f" + `"}`,
		string(readTestdata(t, "console_adobe.json")),
	} {
		agreesWithEncodingJSON(t, []byte(s))
	}
}

func agreesWithEncodingJSON(t *testing.T, data []byte) {
	t.Helper()
	if !utf8.Valid(data) {
		return // parseDocument refuses it first
	}
	got, err := decodeJSON(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var want any
	wantErr := dec.Decode(&want)
	if wantErr == nil {
		if _, e := dec.Token(); e != io.EOF {
			wantErr = errors.New("data after the value")
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "duplicate key") || strings.Contains(err.Error(), "nested deeper") {
			return
		}
		require.Error(t, wantErr, "decodeJSON refused %q: %v", data, err)
		return
	}
	require.NoError(t, wantErr, "decodeJSON read %q", data)
	assert.Equal(t, want, plain(got), "%q", data)
}

// The reader's errors say what is wrong and where.
func TestDecodeJSONErrors(t *testing.T) {
	for in, want := range map[string]string{
		``:                     "invalid JSON: unexpected EOF",
		`{"a":`:                "invalid JSON: unexpected EOF",
		`"abc`:                 "invalid JSON: unexpected EOF",
		`[1 2]`:                `invalid JSON: invalid character '2' at offset 3 after a member or element`,
		`{1:2}`:                `invalid JSON: invalid character '1' at offset 1 looking for an object key`,
		`{"a" 1}`:              `invalid JSON: invalid character '1' at offset 5 after an object key`,
		`[x]`:                  `invalid JSON: invalid character 'x' at offset 1 looking for the beginning of a value`,
		`[-]`:                  `invalid JSON: invalid character ']' at offset 2 in a number`,
		`[1.]`:                 `invalid JSON: invalid character ']' at offset 3 in a number`,
		`[1e]`:                 `invalid JSON: invalid character ']' at offset 3 in a number`,
		"\"a\tb\"":             `invalid JSON: invalid character '\t' at offset 2 in a string`,
		`"\x"`:                 `invalid JSON: string at offset 0: invalid character 'x' in string escape code`,
		`{} {}`:                "invalid JSON: data after the top-level value",
		`{"a":1,"a":2}`:        `invalid JSON: duplicate key "a"`,
		`{"a\u0062":1,"ab":2}`: `invalid JSON: duplicate key "ab"`,
	} {
		_, err := decodeJSON([]byte(in))
		assert.EqualError(t, err, want, in)
	}
}
