package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// MaxSize is the KMS key policy size limit in bytes.
const MaxSize = 32768

// maxDepth bounds JSON nesting. A valid key policy needs 7 levels
// (policy, Statement list, statement, Condition, operator, key, value list).
const maxDepth = 16

// Document is a parsed key policy.
type Document struct {
	Version, ID string
	Statements  []Statement
}

// Statement is one policy statement.
type Statement struct {
	Index                   int    // position in the policy, 0-based; statements are never identified by Sid
	Sid, Effect             string // Effect is exactly "Allow" or "Deny"
	Principal, NotPrincipal *PrincipalSet
	Actions, NotActions     []string
	Resources, NotResources []string
	Conditions              []Condition // sorted by Operator then Key
}

// PrincipalSet is the value of a Principal or NotPrincipal element.
type PrincipalSet struct {
	Wildcard   bool // "*" or {"AWS": "*"} (also "*" inside an AWS list)
	Principals []Principal
}

// Condition is one key of one condition operator. Bool and number values
// are rendered as strings, as written.
type Condition struct {
	Operator, Key string
	Values        []string
}

// Parse parses a key policy strictly: anything KMS would not accept in a
// key policy, or that this package could misread, is an error that names
// the field (Statement[i].Field). Statement indexes in errors are 0-based,
// like Statement.Index.
func Parse(doc []byte) (*Document, error) {
	return parseDocument(doc, "key policy", MaxSize, parseStatement)
}

// parseDocument reads the frame a key policy and an IAM policy share
// (Version, Id, Statement as one object or a list), with what names the
// kind of policy in errors and statement parsing the statements.
func parseDocument(doc []byte, what string, max int, statement func(i int, v any) (Statement, error)) (*Document, error) {
	if len(doc) > max {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit", what, len(doc), max)
	}
	if !utf8.Valid(doc) {
		return nil, fmt.Errorf("%s: not valid UTF-8", what)
	}
	v, err := decodeJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	root, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("%s: must be a JSON object", what)
	}
	d := &Document{}
	var stmts any
	hasStmts := false
	for _, k := range root.keys {
		val := root.vals[k]
		switch k {
		case "Version":
			s, ok := val.(string)
			if !ok || (s != "2012-10-17" && s != "2008-10-17") {
				return nil, fmt.Errorf(`%s: Version: must be "2012-10-17" or "2008-10-17", got %s`, what, describe(val))
			}
			d.Version = s
		case "Id":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%s: Id: must be a string, got %s", what, describe(val))
			}
			d.ID = s
		case "Statement":
			stmts, hasStmts = val, true
		default:
			return nil, fmt.Errorf("%s: unknown field %q", what, k)
		}
	}
	if !hasStmts {
		return nil, fmt.Errorf("%s: Statement: missing", what)
	}
	var list []any
	switch s := stmts.(type) {
	case *object:
		list = []any{s}
	case []any:
		list = s
	default:
		return nil, fmt.Errorf("%s: Statement: must be an object or a list, got %s", what, describe(stmts))
	}
	d.Statements = make([]Statement, 0, len(list))
	for i, sv := range list {
		st, err := statement(i, sv)
		if err != nil {
			return nil, fmt.Errorf("%s: Statement[%d]%w", what, i, err)
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

// fieldError is a parse error inside a statement; Parse prefixes the
// statement index.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string {
	if e.field == "" {
		return ": " + e.msg
	}
	return "." + e.field + ": " + e.msg
}

func errField(field, format string, args ...any) error {
	return &fieldError{field, fmt.Sprintf(format, args...)}
}

func parseStatement(i int, v any) (Statement, error) { return parseStatementAs(i, v, false) }

// parseStatementAs reads one statement of a key policy, or of an
// identity-based policy (identity), whose statements name no principal and
// must say Resource or NotResource.
func parseStatementAs(i int, v any, identity bool) (Statement, error) {
	st := Statement{Index: i}
	obj, ok := v.(*object)
	if !ok {
		return st, errField("", "must be an object, got %s", describe(v))
	}
	var err error
	for _, k := range obj.keys {
		val := obj.vals[k]
		switch k {
		case "Sid":
			s, ok := val.(string)
			if !ok {
				return st, errField(k, "must be a string, got %s", describe(val))
			}
			st.Sid = s
		case "Effect":
			s, ok := val.(string)
			if !ok || (s != "Allow" && s != "Deny") {
				return st, errField(k, `must be "Allow" or "Deny", got %s`, describe(val))
			}
			st.Effect = s
		case "Principal", "NotPrincipal":
			if identity {
				return st, errField(k, "an identity-based policy names no principal")
			}
			if k == "Principal" {
				st.Principal, err = parsePrincipalSet(k, val)
			} else {
				st.NotPrincipal, err = parsePrincipalSet(k, val)
			}
		case "Action":
			st.Actions, err = stringList(k, val)
		case "NotAction":
			st.NotActions, err = stringList(k, val)
		case "Resource":
			st.Resources, err = stringList(k, val)
		case "NotResource":
			st.NotResources, err = stringList(k, val)
		case "Condition":
			st.Conditions, err = parseConditions(val)
		default:
			return st, errField("", "unknown field %q", k)
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case st.Effect == "":
		return st, errField("Effect", "missing")
	case !identity && st.Principal != nil && st.NotPrincipal != nil:
		return st, errField("", "has both Principal and NotPrincipal")
	case !identity && st.Principal == nil && st.NotPrincipal == nil:
		return st, errField("", "has neither Principal nor NotPrincipal")
	case st.Actions != nil && st.NotActions != nil:
		return st, errField("", "has both Action and NotAction")
	case st.Actions == nil && st.NotActions == nil:
		return st, errField("", "has neither Action nor NotAction")
	case st.Resources != nil && st.NotResources != nil:
		return st, errField("", "has both Resource and NotResource")
	case identity && st.Resources == nil && st.NotResources == nil:
		return st, errField("", "has neither Resource nor NotResource")
	}
	return st, nil
}

// principalTypes are the keys a Principal object may have.
var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

func parsePrincipalSet(field string, v any) (*PrincipalSet, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, errField(field, `must be "*" or an object, got %q`, s)
		}
		return &PrincipalSet{Wildcard: true}, nil
	}
	obj, ok := v.(*object)
	if !ok {
		return nil, errField(field, `must be "*" or an object, got %s`, describe(v))
	}
	if len(obj.keys) == 0 {
		return nil, errField(field, "names no principal")
	}
	ps := &PrincipalSet{}
	for _, typ := range obj.keys {
		if !principalTypes[typ] {
			return nil, errField(field, "unknown principal type %q (want AWS, Service, Federated or CanonicalUser)", typ)
		}
		vals, err := stringList(field+"."+typ, obj.vals[typ])
		if err != nil {
			return nil, err
		}
		for _, s := range vals {
			if typ == "AWS" && s == "*" {
				ps.Wildcard = true
				continue
			}
			ps.Principals = append(ps.Principals, ParsePrincipal(typ, s))
		}
	}
	return ps, nil
}

// stringList reads a value that is a non-empty string or a non-empty list
// of non-empty strings.
func stringList(field string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil, errField(field, "must not be empty")
		}
		return []string{t}, nil
	case []any:
		if len(t) == 0 {
			return nil, errField(field, "must not be an empty list")
		}
		out := make([]string, 0, len(t))
		for j, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, errField(fmt.Sprintf("%s[%d]", field, j), "must be a string, got %s", describe(e))
			}
			if s == "" {
				return nil, errField(fmt.Sprintf("%s[%d]", field, j), "must not be empty")
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, errField(field, "must be a string or a list of strings, got %s", describe(v))
	}
}

func parseConditions(v any) ([]Condition, error) {
	ops, ok := v.(*object)
	if !ok {
		return nil, errField("Condition", "must be an object, got %s", describe(v))
	}
	var out []Condition
	for _, op := range ops.keys {
		field := "Condition." + op
		if op == "" {
			return nil, errField("Condition", "empty operator")
		}
		keys, ok := ops.vals[op].(*object)
		if !ok {
			return nil, errField(field, "must be an object, got %s", describe(ops.vals[op]))
		}
		if len(keys.keys) == 0 {
			return nil, errField(field, "names no condition key")
		}
		for _, k := range keys.keys {
			if k == "" {
				return nil, errField(field, "empty condition key")
			}
			vals, err := conditionValues(field+"."+k, keys.vals[k])
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: op, Key: k, Values: vals})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

func conditionValues(field string, v any) ([]string, error) {
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return nil, errField(field, "must not be an empty list")
		}
		out := make([]string, 0, len(list))
		for j, e := range list {
			s, ok := scalar(e)
			if !ok {
				return nil, errField(fmt.Sprintf("%s[%d]", field, j), "must be a string, bool or number, got %s", describe(e))
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalar(v)
	if !ok {
		return nil, errField(field, "must be a string, bool, number or a list of those, got %s", describe(v))
	}
	return []string{s}, nil
}

func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		if t {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// describe names a decoded JSON value for error messages.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if len(t) > 64 {
			return fmt.Sprintf("%q...", t[:64])
		}
		return fmt.Sprintf("%q", t)
	case json.Number:
		return "number " + t.String()
	case bool:
		return fmt.Sprintf("%t", t)
	case []any:
		return "a list"
	case *object:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// object is a decoded JSON object that keeps its key order, so errors
// name the first offending field as written.
type object struct {
	keys []string
	vals map[string]any
}

// decodeJSON decodes exactly one JSON value into string, json.Number, bool,
// nil, []any and *object. Unlike encoding/json into a struct it rejects
// duplicate keys (a second "Effect" must not silently win) and bounds
// nesting explicitly. doc is valid UTF-8 (parseDocument checks).
//
// It reads the bytes itself: encoding/json's Token API, which keeps key
// order, decodes each value through Decode, and that cost a third of the
// allocations of judging a key. Escaped strings are still unquoted by
// encoding/json.
func decodeJSON(doc []byte) (any, error) {
	r := jsonReader{doc: doc}
	v, err := r.value(0)
	if err != nil {
		return nil, err
	}
	if r.skipSpace(); r.i < len(doc) {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	return v, nil
}

type jsonReader struct {
	doc []byte
	i   int
}

func (r *jsonReader) skipSpace() {
	for r.i < len(r.doc) && (r.doc[r.i] == ' ' || r.doc[r.i] == '\t' || r.doc[r.i] == '\n' || r.doc[r.i] == '\r') {
		r.i++
	}
}

// next skips white space and returns the next byte; ok is false at the end.
func (r *jsonReader) next() (byte, bool) {
	r.skipSpace()
	if r.i >= len(r.doc) {
		return 0, false
	}
	return r.doc[r.i], true
}

// syntax is the error for the byte at r.i (or the end of the input) where
// what was wanted.
func (r *jsonReader) syntax(what string) error {
	if r.i >= len(r.doc) {
		return unexpectedEnd()
	}
	c, _ := utf8.DecodeRune(r.doc[r.i:])
	return fmt.Errorf("invalid JSON: invalid character %q at offset %d %s", c, r.i, what)
}

func (r *jsonReader) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("invalid JSON: nested deeper than %d levels", maxDepth)
	}
	c, ok := r.next()
	switch {
	case !ok:
		return nil, unexpectedEnd()
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.list(depth)
	case c == '"':
		return r.str()
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	}
	for _, lit := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if bytes.HasPrefix(r.doc[r.i:], []byte(lit.text)) {
			r.i += len(lit.text)
			return lit.v, nil
		}
	}
	return nil, r.syntax("looking for the beginning of a value")
}

func (r *jsonReader) object(depth int) (any, error) {
	r.i++                                                              // {
	obj := &object{keys: make([]string, 0, 8), vals: map[string]any{}} // room for a statement's keys
	if c, ok := r.next(); ok && c == '}' {
		r.i++
		return obj, nil
	}
	for {
		if c, ok := r.next(); !ok || c != '"' {
			return nil, r.syntax("looking for an object key")
		}
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		if _, dup := obj.vals[k]; dup {
			return nil, fmt.Errorf("invalid JSON: duplicate key %q", k)
		}
		if c, ok := r.next(); !ok || c != ':' {
			return nil, r.syntax("after an object key")
		}
		r.i++
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj.keys = append(obj.keys, k)
		obj.vals[k] = v
		if done, err := r.more('}'); done || err != nil {
			return obj, err
		}
	}
}

func (r *jsonReader) list(depth int) (any, error) {
	r.i++ // [
	list := []any{}
	if c, ok := r.next(); ok && c == ']' {
		r.i++
		return list, nil
	}
	for {
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		if done, err := r.more(']'); done || err != nil {
			return list, err
		}
	}
}

// more reads what follows a member or element: a comma (another follows)
// or the closing delimiter (done).
func (r *jsonReader) more(closing byte) (done bool, err error) {
	c, ok := r.next()
	if ok && (c == ',' || c == closing) {
		r.i++
		return c == closing, nil
	}
	return false, r.syntax("after a member or element")
}

// str reads a string; one with escapes is unquoted by encoding/json.
func (r *jsonReader) str() (string, error) {
	start, escaped := r.i, false
	for r.i++; r.i < len(r.doc); r.i++ {
		switch c := r.doc[r.i]; {
		case c == '"':
			r.i++
			if !escaped {
				return string(r.doc[start+1 : r.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(r.doc[start:r.i], &s); err != nil {
				return "", fmt.Errorf("invalid JSON: string at offset %d: %w", start, err)
			}
			return s, nil
		case c == '\\':
			escaped = true
			r.i++
		case c < ' ':
			return "", r.syntax("in a string")
		}
	}
	return "", unexpectedEnd()
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, as written.
func (r *jsonReader) number() (any, error) {
	start := r.i
	digits := func() int {
		n := 0
		for r.i < len(r.doc) && r.doc[r.i] >= '0' && r.doc[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.doc[r.i] == '-' {
		r.i++
	}
	if r.i < len(r.doc) && r.doc[r.i] == '0' {
		r.i++
	} else if digits() == 0 {
		return nil, r.syntax("in a number")
	}
	if r.i < len(r.doc) && r.doc[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return nil, r.syntax("in a number")
		}
	}
	if r.i < len(r.doc) && (r.doc[r.i] == 'e' || r.doc[r.i] == 'E') {
		r.i++
		if r.i < len(r.doc) && (r.doc[r.i] == '+' || r.doc[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return nil, r.syntax("in a number")
		}
	}
	return json.Number(r.doc[start:r.i]), nil
}

// unexpectedEnd: the input ends inside a value.
func unexpectedEnd() error { return fmt.Errorf("invalid JSON: %w", io.ErrUnexpectedEOF) }
