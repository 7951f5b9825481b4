package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// tri is a three-valued truth: a condition holds, fails, or depends on
// request properties no policy text settles.
type tri int8

const (
	no tri = iota
	maybe
	yes
)

func and(a, b tri) tri { return min(a, b) }
func or(a, b tri) tri  { return max(a, b) }
func not(a tri) tri    { return yes - a }

// ctxState says what is known of one request-context key for the principal
// asked about.
type ctxState int8

const (
	ctxUnknown         ctxState = iota // a request property: any value, or absent
	ctxAbsent                          // never in the request context
	ctxKnown                           // present with vals
	ctxUnnamed                         // present, but equal to no literal the policy names (an unnamed identity's ARN)
	ctxRolePath                        // arn:<partition>:iam::<account>:role/<unknown path><role>
	ctxAbsentOrUnnamed                 // absent, or ctxUnnamed: an answer must hold for both
)

type ctxValue struct {
	state ctxState
	vals  []string
	// account is the account field an unnamed or role ARN has ("" when unknown).
	account string
	// role and partition complete a ctxRolePath value.
	role, partition string
}

func known(v ...string) ctxValue { return ctxValue{state: ctxKnown, vals: v} }

var (
	unknownValue = ctxValue{state: ctxUnknown}
	absentValue  = ctxValue{state: ctxAbsent}
	// absentOrUnnamed: either absent or a value no policy literal names
	// (an anonymous caller's account: the IAM documentation has said both).
	absentOrUnnamed = ctxValue{state: ctxAbsentOrUnnamed}
)

// opFamily is the comparison an operator makes.
type opFamily int8

const (
	famString opFamily = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// operator is a parsed condition operator name.
type operator struct {
	fam     opFamily
	cmp     string // numeric and date: eq, lt, lte, gt, gte
	negated bool
	ifExist bool
	set     int8 // 0 none, 1 ForAnyValue, 2 ForAllValues
}

// baseOperators maps lower-cased operator names to what they compare.
// Names are matched case-insensitively: a policy KMS accepted under any
// spelling is read the same way, and an unknown one stays unknown.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
var baseOperators = map[string]operator{
	"stringequals":              {fam: famString},
	"stringnotequals":           {fam: famString, negated: true},
	"stringequalsignorecase":    {fam: famStringIgnoreCase},
	"stringnotequalsignorecase": {fam: famStringIgnoreCase, negated: true},
	"stringlike":                {fam: famStringLike},
	"stringnotlike":             {fam: famStringLike, negated: true},
	"numericequals":             {fam: famNumeric, cmp: "eq"},
	"numericnotequals":          {fam: famNumeric, cmp: "eq", negated: true},
	"numericlessthan":           {fam: famNumeric, cmp: "lt"},
	"numericlessthanequals":     {fam: famNumeric, cmp: "lte"},
	"numericgreaterthan":        {fam: famNumeric, cmp: "gt"},
	"numericgreaterthanequals":  {fam: famNumeric, cmp: "gte"},
	"dateequals":                {fam: famDate, cmp: "eq"},
	"datenotequals":             {fam: famDate, cmp: "eq", negated: true},
	"datelessthan":              {fam: famDate, cmp: "lt"},
	"datelessthanequals":        {fam: famDate, cmp: "lte"},
	"dategreaterthan":           {fam: famDate, cmp: "gt"},
	"dategreaterthanequals":     {fam: famDate, cmp: "gte"},
	"bool":                      {fam: famBool},
	"binaryequals":              {fam: famBinary},
	"ipaddress":                 {fam: famIP},
	"notipaddress":              {fam: famIP, negated: true},
	"arnequals":                 {fam: famARN},
	"arnlike":                   {fam: famARN},
	"arnnotequals":              {fam: famARN, negated: true},
	"arnnotlike":                {fam: famARN, negated: true},
	"null":                      {fam: famNull},
}

func parseOperator(name string) (operator, bool) {
	s := strings.ToLower(name)
	var set int8
	switch {
	case strings.HasPrefix(s, "foranyvalue:"):
		s, set = s[len("foranyvalue:"):], 1
	case strings.HasPrefix(s, "forallvalues:"):
		s, set = s[len("forallvalues:"):], 2
	}
	ifExist := false
	if strings.HasSuffix(s, "ifexists") {
		s, ifExist = strings.TrimSuffix(s, "ifexists"), true
	}
	op, ok := baseOperators[s]
	if !ok || (op.fam == famNull && (ifExist || set != 0)) {
		return operator{}, false
	}
	op.ifExist, op.set = ifExist, set
	return op, true
}

// varsAllowed: operator families whose values may hold policy variables.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func (op operator) varsAllowed() bool {
	switch op.fam {
	case famString, famStringIgnoreCase, famStringLike, famARN, famBool:
		return true
	}
	return false
}

// resolver gives the request-context value of a lower-cased key.
type resolver func(key string) ctxValue

// block is a condition block read once, when its policy is compiled: the
// operator parsed and the key lower-cased, so that evaluating it for each
// principal and action only compares values.
type block struct {
	Condition
	op  operator
	ok  bool   // the operator is one this package reads
	key string // Key, lower-cased
	// anyOrg: a block on an organisation key that pins no organisation.
	anyOrg bool
}

func compileCondition(c Condition) block {
	op, ok := parseOperator(c.Operator)
	key := strings.ToLower(c.Key)
	return block{Condition: c, op: op, ok: ok, key: key, anyOrg: orgKeys[key] && !pinsOrganisation(c)}
}

func compileConditions(cs []Condition) []block {
	out := make([]block, len(cs))
	for i, c := range cs {
		out[i] = compileCondition(c)
	}
	return out
}

// evalCondition evaluates one operator/key block. unres names what left it
// open (the key, or the operator or variable that could not be read). A
// block on the organisation keys that is open but pins no organisation
// is named "<key> (any organisation)", so that it never reads as a pin.
func evalCondition(c *block, get resolver) (tri, string) {
	r, u := evalBlock(c, get)
	if r == maybe && c.anyOrg && strings.EqualFold(u, c.Key) {
		u = c.Key + " (any organisation)"
	}
	return r, u
}

// pinsOrganisation: the block admits only organisations it names, so the
// accounts it admits are those organisations' accounts. Null, the negated
// operators, ...IfExists and a StringLike value whose organisation ID is a
// wildcard ("*", "o-*") admit any organisation: a principal * behind such
// a block is public (spec, "Which answer counts").
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
func pinsOrganisation(c Condition) bool {
	op, ok := parseOperator(c.Operator)
	if !ok || op.negated || op.ifExist || op.set == 2 || len(c.Values) == 0 {
		return false
	}
	switch op.fam {
	case famString, famStringIgnoreCase, famStringLike:
	default:
		return false
	}
	for _, v := range c.Values {
		org := v
		if i := strings.IndexByte(org, '/'); i >= 0 {
			org = org[:i] // aws:PrincipalOrgPaths: o-xxx/r-xxx/ou-...
		}
		if !strings.HasPrefix(org, "o-") || len(org) == len("o-") || strings.Contains(org, "${") ||
			(op.fam == famStringLike && strings.ContainsAny(org, "*?")) {
			return false
		}
	}
	return true
}

// evalBlock evaluates one operator/key block (see evalCondition).
func evalBlock(c *block, get resolver) (tri, string) {
	op := c.op
	if !c.ok {
		return maybe, "operator " + c.Operator
	}
	v := get(c.key)
	if v.state == ctxAbsentOrUnnamed {
		one := func(state ctxState) resolver {
			return func(k string) ctxValue {
				if k == c.key {
					return ctxValue{state: state}
				}
				return get(k)
			}
		}
		a, _ := evalBlock(c, one(ctxAbsent))
		b, _ := evalBlock(c, one(ctxUnnamed))
		if a == b {
			return a, ""
		}
		return maybe, c.Key
	}
	if op.fam == famNull {
		return evalNull(c.Values, v), c.Key
	}
	switch v.state {
	case ctxUnknown:
		return maybe, c.Key
	case ctxAbsent:
		// A missing key matches nothing, so negated operators hold, as do
		// ...IfExists and ForAllValues (vacuously); everything else fails.
		if op.ifExist || op.negated || op.set == 2 {
			return yes, ""
		}
		return no, ""
	}
	cvs := v.vals
	if v.state == ctxUnnamed || v.state == ctxRolePath {
		cvs = []string{""} // placeholder: matchOne sees state
	}
	result := yes
	if op.set != 2 {
		result = no
	}
	unres := ""
	for _, cv := range cvs {
		m := no
		for _, pv := range c.Values {
			r, u := matchValue(op, pv, cv, v, get)
			if u != "" && r == maybe {
				unres = u
			}
			m = or(m, r)
		}
		if op.negated {
			m = not(m)
		}
		if op.set == 2 {
			result = and(result, m)
		} else {
			result = or(result, m)
		}
	}
	if result == maybe && unres == "" {
		unres = c.Key
	}
	return result, unres
}

// evalNull: "true" asks the key to be absent, "false" present.
func evalNull(vals []string, v ctxValue) tri {
	out := no
	for _, pv := range vals {
		var want bool
		switch strings.ToLower(pv) {
		case "true":
			want = true
		case "false":
		default:
			return maybe
		}
		switch v.state {
		case ctxUnknown:
			out = or(out, maybe)
		case ctxAbsent:
			if want {
				out = yes
			}
		default:
			if !want {
				out = yes
			}
		}
	}
	return out
}

// matchValue compares one policy value with one context value (positive
// sense). The string returned names an unresolved policy variable.
func matchValue(op operator, pv, cv string, v ctxValue, get resolver) (tri, string) {
	if op.varsAllowed() && strings.Contains(pv, "${") {
		s, ok, unres := substitute(pv, op.fam == famStringLike || op.fam == famARN, get)
		if !ok {
			return maybe, unres
		}
		pv = s
	}
	switch v.state {
	case ctxUnnamed:
		return matchUnnamed(op, pv, v), ""
	case ctxRolePath:
		return matchRolePath(op, pv, v), ""
	}
	switch op.fam {
	case famString:
		return triOf(pv == cv), ""
	case famStringIgnoreCase:
		return triOf(strings.EqualFold(pv, cv)), ""
	case famStringLike:
		return triOf(globCase(pv, cv)), ""
	case famBool:
		return triOf(strings.EqualFold(pv, cv)), ""
	case famBinary:
		return triOf(pv == base64.StdEncoding.EncodeToString([]byte(cv))), ""
	case famARN:
		return triOf(matchARN(pv, cv)), ""
	case famNumeric:
		a, err1 := strconv.ParseFloat(pv, 64)
		b, err2 := strconv.ParseFloat(cv, 64)
		if err1 != nil || err2 != nil {
			return maybe, ""
		}
		return compare(op.cmp, b, a), ""
	case famDate:
		a, ok1 := parseDate(pv)
		b, ok2 := parseDate(cv)
		if !ok1 || !ok2 {
			return maybe, ""
		}
		return compare(op.cmp, float64(b.UnixNano()), float64(a.UnixNano())), ""
	case famIP:
		return matchIP(pv, cv), ""
	}
	return maybe, ""
}

// matchUnnamed: the context value is some identity no policy literal
// names, so a literal never equals it; a pattern might, unless its account
// field rules the identity's account out.
func matchUnnamed(op operator, pv string, v ctxValue) tri {
	switch op.fam {
	case famString, famStringIgnoreCase:
		return no
	case famStringLike:
		if !strings.ContainsAny(pv, "*?") || otherAccountField(pv, v, true) {
			return no
		}
	case famARN:
		f, ok := awsid.ARNFields(pv)
		if !ok || otherAccountField(pv, v, false) {
			return no
		}
		if v.account != "" && !globCase(f[4], v.account) {
			return no
		}
		if !strings.ContainsAny(pv, "*?") {
			return no
		}
	}
	return maybe
}

// otherAccountField: the pattern's account field is a fixed account ID that
// cannot be the unnamed identity's account. An unnamed identity with no
// account given is of an account the policy names nowhere, and this
// pattern names its account. The ARN operators compare the six
// colon-separated fields one by one. StringLike compares the whole string,
// so the account field is pinned only behind a prefix without wildcards
// (literal: the four fields before it hold no * or ?).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
func otherAccountField(pv string, v ctxValue, literal bool) bool {
	f, ok := awsid.ARNFields(pv)
	if !ok || !awsid.IsAccountID(f[4]) || f[4] == v.account {
		return false
	}
	return !literal || !strings.ContainsAny(strings.Join(f[:4], ":"), "*?")
}

// matchRolePath compares a pattern with a role ARN whose path is unknown:
// it holds when it holds for the empty path and for a path only wildcards
// can match, fails when it fails for every path, and is open otherwise.
func matchRolePath(op operator, pv string, v ctxValue) tri {
	prefix := "arn:" + v.partition + ":iam::" + v.account + ":role/"
	plain, odd := prefix+v.role, prefix+"\x01/"+v.role
	var match func(string) bool
	switch op.fam {
	case famString:
		match = func(s string) bool { return s == pv }
	case famStringIgnoreCase:
		match = func(s string) bool { return strings.EqualFold(s, pv) }
	case famStringLike:
		match = func(s string) bool { return globCase(pv, s) }
	case famARN:
		match = func(s string) bool { return matchARN(pv, s) }
	default:
		return maybe
	}
	if match(plain) && match(odd) {
		return yes
	}
	if strings.ContainsAny(pv, "*?") {
		// A pattern may match under some path unless its account or other
		// leading fields exclude the role.
		if f, ok := awsid.ARNFields(pv); op.fam == famARN && ok {
			r, _ := awsid.ARNFields(plain) // arn:<partition>:iam::<account>:role/...
			for i := 0; i < 5; i++ {
				if !globCase(f[i], r[i]) {
					return no
				}
			}
		}
		return maybe
	}
	// A literal names this role (under some path) only if it has the
	// prefix and ends in "/<role>".
	lit, pre, suf := pv, prefix, "/"+v.role
	if op.fam == famStringIgnoreCase {
		lit, pre, suf = strings.ToLower(lit), strings.ToLower(pre), strings.ToLower(suf)
	}
	if strings.HasPrefix(lit, pre) && strings.HasSuffix(lit, suf) {
		return maybe
	}
	return no
}

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// compare tests context value c against policy value p.
func compare(cmp string, c, p float64) tri {
	switch cmp {
	case "eq":
		return triOf(c == p)
	case "lt":
		return triOf(c < p)
	case "lte":
		return triOf(c <= p)
	case "gt":
		return triOf(c > p)
	case "gte":
		return triOf(c >= p)
	}
	return maybe
}

// parseDate reads the ISO 8601 forms and epoch seconds IAM accepts.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// matchIP: a CIDR, or an address meaning /32 (/128).
func matchIP(pv, cv string) tri {
	addr, err := netip.ParseAddr(cv)
	if err != nil {
		return maybe
	}
	if p, err := netip.ParsePrefix(pv); err == nil {
		return triOf(p.Masked().Contains(addr))
	}
	if a, err := netip.ParseAddr(pv); err == nil {
		return triOf(a == addr)
	}
	return maybe
}

// matchARN compares the six colon-separated fields one by one, each a
// case-sensitive glob; the resource field keeps any further colons.
func matchARN(pattern, value string) bool {
	p, okp := awsid.ARNFields(pattern)
	v, okv := awsid.ARNFields(value)
	if !okp || !okv {
		return false
	}
	for i := range p {
		if !globCase(p[i], v[i]) {
			return false
		}
	}
	return true
}

// globCase is a case-sensitive glob with * and ?.
func globCase(pattern, s string) bool { return glob(pattern, s, false) }

// substitute replaces policy variables: ${key} or ${key, 'default'}, and
// the escapes ${*}, ${?}, ${$}. ok is false when a variable has no known
// value (unres names it) or an escape would be taken for a wildcard.
func substitute(s string, wildcards bool, get resolver) (out string, ok bool, unres string) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true, ""
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true, ""
		}
		b.WriteString(s[:i])
		inner := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		switch inner {
		case "*", "?":
			if wildcards {
				return "", false, "${" + inner + "}"
			}
			b.WriteString(inner)
			continue
		case "$":
			b.WriteString("$")
			continue
		}
		name, def, hasDef := inner, "", false
		if k := strings.IndexByte(inner, ','); k >= 0 {
			name = strings.TrimSpace(inner[:k])
			d := strings.TrimSpace(inner[k+1:])
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
		}
		v := get(strings.ToLower(name))
		if v.state == ctxKnown && len(v.vals) == 1 {
			b.WriteString(v.vals[0])
		} else if v.state == ctxAbsent && hasDef {
			b.WriteString(def)
		} else {
			return "", false, name
		}
	}
}
