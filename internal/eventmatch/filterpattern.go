package eventmatch

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
)

// FilterPattern is a parsed CloudWatch Logs metric filter pattern for JSON
// log events (CloudTrail's records): { ($.eventName = DisableKey) || ... }.
// A pattern of plain terms ("DisableKey") is read too; the space-delimited
// form ([a, b, ...]) and regular expressions (%...%) cannot be decided and
// answer Unknown.
type FilterPattern struct {
	expr  node     // the JSON selector form, nil otherwise
	terms []string // the plain-term form: every term must occur
	other string   // why the pattern cannot be decided, "" when it can
}

type node interface {
	eval(record map[string]any) Answer
}

type (
	orNode  struct{ l, r node }
	andNode struct{ l, r node }
	cmpNode struct {
		path  []string // keys and "[n]" indexes
		op    string   // = != < <= > >= "IS NULL" "NOT EXISTS" "IS TRUE" "IS FALSE" "EXISTS"
		value string
		num   *float64 // the value as a number, when it is one
		regex bool
	}
)

func (n orNode) eval(r map[string]any) Answer  { return or(n.l.eval(r), n.r.eval(r)) }
func (n andNode) eval(r map[string]any) Answer { return and(n.l.eval(r), n.r.eval(r)) }

// ParseFilterPattern reads a metric filter pattern. An error means the
// pattern is malformed (CloudWatch Logs would have refused it).
func ParseFilterPattern(text string) (*FilterPattern, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "" || t == `""`:
		return &FilterPattern{}, nil // matches every log event
	case strings.HasPrefix(t, "{"):
		if !strings.HasSuffix(t, "}") {
			return nil, errorf("filter pattern %q opens { but does not close it", text)
		}
		p := &parser{toks: nil}
		toks, err := tokenize(t[1 : len(t)-1])
		if err != nil {
			return nil, errorf("filter pattern %q: %v", text, err)
		}
		p.toks = toks
		expr, err := p.or()
		if err != nil {
			return nil, errorf("filter pattern %q: %v", text, err)
		}
		if p.i != len(p.toks) {
			return nil, errorf("filter pattern %q: unexpected %q", text, p.toks[p.i])
		}
		return &FilterPattern{expr: expr}, nil
	case strings.HasPrefix(t, "["):
		return &FilterPattern{other: "a space-delimited pattern, which CloudTrail's JSON records are not"}, nil
	case strings.HasPrefix(t, "%"):
		return &FilterPattern{other: "a regular expression"}, nil
	}
	var terms []string
	for _, f := range splitTerms(t) {
		if strings.HasPrefix(f, "-") || strings.HasPrefix(f, "?") {
			return &FilterPattern{other: "a term pattern with optional or excluded terms"}, nil
		}
		terms = append(terms, strings.Trim(f, `"`))
	}
	return &FilterPattern{terms: terms}, nil
}

// Matches says whether the pattern matches the CloudTrail record of the call.
func (p *FilterPattern) Matches(c Call) Answer {
	switch {
	case p.other != "":
		return Unknown
	case p.expr != nil:
		return over(c.variants(false), p.expr.eval)
	case len(p.terms) == 0:
		return Yes
	}
	return over(c.variants(false), func(record map[string]any) Answer {
		// The known text of the record; the rest is the caller's.
		known := []string{c.EventName, "kms.amazonaws.com", c.KeyARN, c.Account, c.Region, "AwsApiCall"}
		if ref, ok := record["requestParameters"].(map[string]any)["keyId"].(string); ok {
			known = append(known, ref)
		}
		result := Yes
		for _, term := range p.terms {
			found := false
			for _, k := range known {
				if strings.Contains(k, term) {
					found = true
				}
			}
			if !found {
				result = and(result, Unknown)
			}
		}
		return result
	})
}

// Undecidable says why the pattern cannot be decided at all, "" if it can.
func (p *FilterPattern) Undecidable() string { return p.other }

func (n cmpNode) eval(record map[string]any) Answer {
	v, absent, unknown := resolve(record, n.path)
	if unknown {
		return Unknown
	}
	switch n.op {
	case "NOT EXISTS":
		return yesIf(absent)
	case "EXISTS":
		return yesIf(!absent)
	case "IS NULL":
		return yesIf(!absent && v == nil)
	case "IS TRUE", "IS FALSE":
		b, ok := v.(bool)
		return yesIf(!absent && ok && b == (n.op == "IS TRUE"))
	}
	if absent {
		return No
	}
	if n.regex {
		return Unknown
	}
	switch n.op {
	case "=", "!=":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = string(x)
		case bool:
			s = strconv.FormatBool(x)
		default:
			return No
		}
		eq := globMatch(n.value, s, false)
		if n.num != nil {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				eq = f == *n.num
			}
		}
		return yesIf(eq == (n.op == "="))
	}
	// <, <=, >, >= compare numbers only.
	num, ok := v.(json.Number)
	if !ok || n.num == nil {
		return No
	}
	f, err := num.Float64()
	if err != nil {
		return No
	}
	switch n.op {
	case "<":
		return yesIf(f < *n.num)
	case "<=":
		return yesIf(f <= *n.num)
	case ">":
		return yesIf(f > *n.num)
	}
	return yesIf(f >= *n.num)
}

func yesIf(b bool) Answer {
	if b {
		return Yes
	}
	return No
}

// resolve follows a selector path ($.a.b[0].c) through a record.
func resolve(record map[string]any, path []string) (v any, absent, unknown bool) {
	var cur any = record
	for _, key := range path {
		if strings.HasPrefix(key, "[") {
			i, _ := strconv.Atoi(key[1 : len(key)-1])
			list, ok := cur.([]any)
			if !ok || i >= len(list) {
				return nil, true, false
			}
			cur = list[i]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, true, false
		}
		child, ok := obj[key]
		if !ok {
			return nil, false, true
		}
		switch child.(type) {
		case unknownValue:
			return nil, false, true
		case absentValue:
			return nil, true, false
		}
		cur = child
	}
	return cur, false, false
}

// tokenize splits the inside of { ... } into selectors, operators,
// parentheses and values.
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||") ||
			strings.HasPrefix(s[i:], "!=") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">="):
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '=' || c == '<' || c == '>':
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, errorf("unterminated string")
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		case c == '%':
			j := strings.IndexByte(s[i+1:], '%')
			if j < 0 {
				return nil, errorf("unterminated regular expression")
			}
			toks = append(toks, s[i:i+j+2])
			i += j + 2
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("()=!<>&|\"", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, errorf("unexpected %q", string(c))
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []string
	i    int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	p.i++
	return t
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek() == "||" {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek() == "&&" {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	if p.peek() == "(" {
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, errorf("a ( is not closed")
		}
		return n, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (node, error) {
	sel := p.next()
	path, err := selector(sel)
	if err != nil {
		return nil, err
	}
	n := cmpNode{path: path}
	op := p.next()
	switch strings.ToUpper(op) {
	case "=", "!=", "<", "<=", ">", ">=":
		n.op = op
	case "IS":
		what := strings.ToUpper(p.next())
		if what != "NULL" && what != "TRUE" && what != "FALSE" {
			return nil, errorf("IS takes NULL, TRUE or FALSE, not %q", what)
		}
		n.op = "IS " + what
		return n, nil
	case "NOT":
		if strings.ToUpper(p.next()) != "EXISTS" {
			return nil, errorf("NOT takes EXISTS")
		}
		n.op = "NOT EXISTS"
		return n, nil
	default:
		return nil, errorf("after %s, want a comparison (=, !=, <, <=, >, >=, IS, NOT EXISTS), not %q", sel, op)
	}
	val := p.next()
	switch {
	case val == "" || val == ")" || val == "&&" || val == "||":
		return nil, errorf("%s %s has no value", sel, op)
	case strings.HasPrefix(val, `"`):
		unq, err := strconv.Unquote(val)
		if err != nil {
			unq = strings.Trim(val, `"`)
		}
		n.value = unq
	case strings.HasPrefix(val, "%"):
		n.regex, n.value = true, val
	default:
		n.value = val
		if f, err := strconv.ParseFloat(val, 64); err == nil {
			n.num = &f
		}
	}
	if n.op != "=" && n.op != "!=" && n.num == nil && !n.regex {
		return nil, errorf("%s %s takes a number, not %q", sel, op, val)
	}
	return n, nil
}

// selector reads $.a.b[0].c into its keys and indexes.
func selector(s string) ([]string, error) {
	if !strings.HasPrefix(s, "$.") || len(s) < 3 {
		return nil, errorf("want a selector $.field, not %q", s)
	}
	var path []string
	for _, part := range strings.Split(s[2:], ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" && rest == "" {
			return nil, errorf("selector %q has an empty field", s)
		}
		if name != "" {
			path = append(path, name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if _, err := strconv.Atoi(idx); !ok || err != nil {
				return nil, errorf("selector %q has a bad index", s)
			}
			path = append(path, "["+idx+"]")
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return path, nil
}

// splitTerms splits a term pattern on spaces, keeping quoted terms whole.
func splitTerms(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case unicode.IsSpace(r) && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
