package eventmatch

import (
	"bytes"
	"encoding/json"
	"math/big"
	"sort"
	"strings"
)

// EventPattern is a parsed EventBridge event pattern.
type EventPattern struct{ root map[string]any }

// ParseEventPattern reads an EventBridge event pattern (a JSON object whose
// leaves are arrays of values or filters) and checks its form, so that a
// pattern EventBridge would refuse is an error here, not a non-match.
func ParseEventPattern(text string) (*EventPattern, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, errorf("event pattern is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, errorf("event pattern has data after its JSON object")
	}
	if len(root) == 0 {
		return nil, errorf("event pattern is empty")
	}
	if err := checkObject(root, ""); err != nil {
		return nil, err
	}
	return &EventPattern{root: root}, nil
}

func checkObject(obj map[string]any, at string) error {
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		where := join(at, k)
		switch k {
		case "$or":
			list, ok := v.([]any)
			if !ok || len(list) < 2 {
				return errorf("event pattern: %s must be a list of at least two patterns", where)
			}
			for i, sub := range list {
				o, ok := sub.(map[string]any)
				if !ok || len(o) == 0 {
					return errorf("event pattern: %s[%d] is not a pattern object", where, i)
				}
				if err := checkObject(o, at); err != nil {
					return err
				}
			}
			continue
		}
		switch c := v.(type) {
		case map[string]any:
			if len(c) == 0 {
				return errorf("event pattern: %s is an empty object", where)
			}
			if err := checkObject(c, where); err != nil {
				return err
			}
		case []any:
			for i, m := range c {
				if err := checkMatcher(m); err != nil {
					return errorf("event pattern: %s[%d]: %v", where, i, err)
				}
			}
		default:
			return errorf("event pattern: %s must be a list of values or filters, or an object", where)
		}
	}
	return nil
}

func checkMatcher(m any) error {
	obj, ok := m.(map[string]any)
	if !ok {
		return nil // a literal
	}
	if len(obj) != 1 {
		return errorf("a filter object has exactly one operator")
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix":
			if _, ok := arg.(string); ok {
				return nil
			}
			if inner, ok := arg.(map[string]any); ok {
				if s, ok := inner["equals-ignore-case"].(string); ok && len(inner) == 1 && s != "" {
					return nil
				}
			}
			return errorf("%s takes a string", op)
		case "equals-ignore-case", "wildcard":
			if _, ok := arg.(string); !ok {
				return errorf("%s takes a string", op)
			}
		case "exists":
			if _, ok := arg.(bool); !ok {
				return errorf("exists takes true or false")
			}
		case "numeric":
			if _, err := numericRange(arg); err != nil {
				return err
			}
		case "anything-but":
			switch a := arg.(type) {
			case string, json.Number:
			case []any:
				for _, x := range a {
					switch x.(type) {
					case string, json.Number:
					default:
						return errorf("anything-but lists strings or numbers")
					}
				}
			case map[string]any:
				if len(a) != 1 {
					return errorf("anything-but takes one filter")
				}
				for k := range a {
					switch k {
					case "prefix", "suffix", "equals-ignore-case", "wildcard":
					default:
						return errorf("anything-but does not take %s", k)
					}
				}
			default:
				return errorf("anything-but takes a value, a list or a filter")
			}
		case "cidr":
		default:
			return errorf("unknown filter %q", op)
		}
	}
	return nil
}

// Matches says whether the pattern matches the EventBridge event of the
// call, on every way the caller may make it.
func (p *EventPattern) Matches(c Call) Answer {
	return over(c.variants(true), func(event map[string]any) Answer { return matchObject(p.root, event, nil) })
}

func matchObject(obj map[string]any, event map[string]any, at []string) Answer {
	result := Yes
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		var a Answer
		if k == "$or" {
			a = No
			for _, sub := range v.([]any) {
				a = or(a, matchObject(sub.(map[string]any), event, at))
			}
		} else {
			path := append(append([]string{}, at...), k)
			switch c := v.(type) {
			case map[string]any:
				a = matchObject(c, event, path)
			case []any:
				a = matchLeaf(c, event, path)
			}
		}
		result = and(result, a)
	}
	return result
}

func matchLeaf(matchers []any, event map[string]any, path []string) Answer {
	values, absent, unknown := lookup(event, path)
	if unknown {
		return Unknown
	}
	result := No
	for _, m := range matchers {
		result = or(result, matchOne(m, values, absent))
	}
	return result
}

// matchOne is one value or filter against the field's values (any may
// match) or its absence.
func matchOne(m any, values []any, absent bool) Answer {
	some := func(f func(v any) bool) Answer {
		for _, v := range values {
			if f(v) {
				return Yes
			}
		}
		return No
	}
	obj, isFilter := m.(map[string]any)
	if !isFilter {
		return some(func(v any) bool { return equalLiteral(m, v) })
	}
	for op, arg := range obj {
		switch op {
		case "exists":
			if arg.(bool) != absent {
				return Yes
			}
			return No
		case "prefix", "suffix", "equals-ignore-case", "wildcard":
			return some(func(v any) bool { return stringFilter(op, arg, v) })
		case "numeric":
			r, _ := numericRange(arg)
			return some(func(v any) bool { return r.holds(v) })
		case "anything-but":
			return some(func(v any) bool { return !anythingButExcludes(arg, v) })
		}
	}
	return Unknown // cidr: no field of the model is an IP address
}

func equalLiteral(lit, v any) bool {
	switch l := lit.(type) {
	case nil:
		return v == nil
	case string:
		s, ok := v.(string)
		return ok && s == l
	case bool:
		b, ok := v.(bool)
		return ok && b == l
	case json.Number:
		return numberEqual(l, v)
	}
	return false
}

func stringFilter(op string, arg, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	want, fold := "", false
	switch a := arg.(type) {
	case string:
		want = a
	case map[string]any:
		want, fold = a["equals-ignore-case"].(string), true
	}
	if fold || op == "equals-ignore-case" {
		s, want = strings.ToLower(s), strings.ToLower(want)
	}
	switch op {
	case "prefix":
		return strings.HasPrefix(s, want)
	case "suffix":
		return strings.HasSuffix(s, want)
	case "equals-ignore-case":
		return s == want
	case "wildcard":
		return globMatch(want, s, false)
	}
	return false
}

// anythingButExcludes says whether anything-but's argument names v.
func anythingButExcludes(arg, v any) bool {
	switch a := arg.(type) {
	case []any:
		for _, x := range a {
			if equalLiteral(x, v) {
				return true
			}
		}
		return false
	case map[string]any:
		for op, inner := range a {
			if op == "equals-ignore-case" {
				if list, ok := inner.([]any); ok {
					for _, x := range list {
						if stringFilter(op, x, v) {
							return true
						}
					}
					return false
				}
			}
			if op == "wildcard" {
				if list, ok := inner.([]any); ok {
					for _, x := range list {
						if stringFilter(op, x, v) {
							return true
						}
					}
					return false
				}
			}
			return stringFilter(op, inner, v)
		}
	}
	return equalLiteral(arg, v)
}

type numericBound struct {
	op string
	n  *big.Float
}

type numericRangeT []numericBound

func numericRange(arg any) (numericRangeT, error) {
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return nil, errorf("numeric takes one or two comparisons: [\">\", 0] or [\">\", 0, \"<=\", 5]")
	}
	var r numericRangeT
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		n, isNum := list[i+1].(json.Number)
		switch {
		case !ok || !isNum:
			return nil, errorf("numeric takes an operator and a number")
		case op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=":
			return nil, errorf("numeric operator %q is not one of = < <= > >=", op)
		}
		f, _, err := big.ParseFloat(string(n), 10, 64, big.ToNearestEven)
		if err != nil {
			return nil, errorf("numeric: %v", err)
		}
		r = append(r, numericBound{op, f})
	}
	return r, nil
}

func (r numericRangeT) holds(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, _, err := big.ParseFloat(string(n), 10, 64, big.ToNearestEven)
	if err != nil {
		return false
	}
	for _, b := range r {
		c := f.Cmp(b.n)
		ok := map[string]bool{"=": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[b.op]
		if !ok {
			return false
		}
	}
	return true
}

func numberEqual(l json.Number, v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	a, _, err1 := big.ParseFloat(string(l), 10, 64, big.ToNearestEven)
	b, _, err2 := big.ParseFloat(string(n), 10, 64, big.ToNearestEven)
	return err1 == nil && err2 == nil && a.Cmp(b) == 0
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

// Compact renders a pattern's JSON on one line, for the reports.
func Compact(text string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(text)) != nil {
		return text
	}
	return b.String()
}
