package iac

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// unknown is a value that cannot be known before deployment, with what it
// depends on. It travels through every function that uses it, so a
// !Join over one unknown parameter is unknown for that parameter's reason,
// never an empty string.
type unknown struct {
	why   []string // noun phrases: "parameter AdminRoleArn, which has no default"
	hints []string // how to make it known: "--parameter AdminRoleArn=VALUE"
}

func unk(why, hint string) unknown {
	u := unknown{why: []string{why}}
	if hint != "" {
		u.hints = []string{hint}
	}
	return u
}

func (u unknown) merge(o unknown) unknown {
	for _, w := range o.why {
		if !slices.Contains(u.why, w) {
			u.why = append(u.why, w)
		}
	}
	for _, h := range o.hints {
		if !slices.Contains(u.hints, h) {
			u.hints = append(u.hints, h)
		}
	}
	return u
}

// unknownIn gathers every unknown inside a resolved value.
func unknownIn(v any) (unknown, bool) {
	var u unknown
	found := false
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case unknown:
			u, found = u.merge(t), true
		case *object:
			for _, k := range t.keys {
				walk(t.vals[k])
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	return u, found
}

// explain words an unknown for a problem: "KeyPolicy uses parameter X,
// which has no default: known only at deployment (give ...)".
func (u unknown) explain(property, when string) string {
	s := property + " uses " + strings.Join(u.why, "; ") + ": " + when
	if len(u.hints) > 0 {
		s += " (give " + strings.Join(u.hints, ", ") + ")"
	}
	return s
}

// noValue is AWS::NoValue: the property or list element it is in goes.
type noValue struct{}

// cfnParam is a parameter as a deployment would see it.
type cfnParam struct {
	typ   string
	value any // string, []any of strings, or unknown
}

// cfnTemplate evaluates a template's intrinsic functions as far as they
// can be evaluated before deployment.
type cfnTemplate struct {
	params     map[string]*cfnParam
	mappings   *object
	conditions *object
	resources  *object
	pseudo     map[string]any
	conds      map[string]any // condition name -> bool or unknown
	busy       map[string]bool
	naming     map[string]bool // IAM resources whose names are being evaluated
	steps      int
}

// errTemplate is the template being wrong, as CloudFormation would refuse it.
func errTemplate(format string, a ...any) error { return fmt.Errorf(format, a...) }

// maxSteps bounds the evaluation of a template, a backstop behind the
// parser's bound on values: Fn::If over an unknown condition evaluates both
// branches, and an IAM name is evaluated at every reference to it.
const maxSteps = 1 << 20

func (t *cfnTemplate) resolve(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTemplate("intrinsic functions nested more than %d levels deep", maxDepth)
	}
	if t.steps++; t.steps > maxSteps {
		return nil, errTemplate("the template's functions take more than %d steps to evaluate", maxSteps)
	}
	switch x := v.(type) {
	case *object:
		if len(x.keys) == 1 {
			name := x.keys[0]
			if name == "Ref" || strings.HasPrefix(name, "Fn::") {
				return t.intrinsic(name, x.vals[name], depth+1)
			}
		}
		out := newObject()
		for _, k := range x.keys {
			r, err := t.resolve(x.vals[k], depth+1)
			if err != nil {
				return nil, err
			}
			if _, gone := r.(noValue); !gone {
				out.set(k, r)
			}
		}
		return out, nil
	case []any:
		out := []any{}
		for _, e := range x {
			r, err := t.resolve(e, depth+1)
			if err != nil {
				return nil, err
			}
			if _, gone := r.(noValue); !gone {
				out = append(out, r)
			}
		}
		return out, nil
	case string:
		if i := strings.Index(x, "{{resolve:"); i >= 0 {
			ref := x[i:]
			if j := strings.Index(ref, "}}"); j >= 0 {
				ref = ref[:j+2]
			}
			return unk("the dynamic reference "+ref+", which CloudFormation resolves at deployment", ""), nil
		}
	}
	return v, nil
}

func (t *cfnTemplate) intrinsic(name string, arg any, depth int) (any, error) {
	switch name {
	case "Ref":
		s, ok := arg.(string)
		if !ok {
			return nil, errTemplate("Ref takes a name, not %s", typeName(arg))
		}
		return t.ref(s)
	case "Fn::GetAtt":
		return t.getAtt(arg, depth)
	case "Fn::Sub":
		return t.sub(arg, depth)
	case "Fn::Join":
		args, err := t.args(name, arg, 2, depth)
		if err != nil {
			return nil, err
		}
		delim, ok := args[0].(string)
		if !ok {
			return nil, errTemplate("Fn::Join: the delimiter is %s, not a string", typeName(args[0]))
		}
		if u, ok := args[1].(unknown); ok {
			return u, nil
		}
		list, ok := args[1].([]any)
		if !ok {
			return nil, errTemplate("Fn::Join: the values are %s, not a list", typeName(args[1]))
		}
		parts := make([]string, 0, len(list))
		for _, e := range list {
			s, err := text(name, e)
			if err != nil {
				return nil, err
			}
			parts = append(parts, s)
		}
		if u, found := unknownIn(list); found {
			return u, nil
		}
		return strings.Join(parts, delim), nil
	case "Fn::Select":
		args, err := t.args(name, arg, 2, depth)
		if err != nil {
			return nil, err
		}
		if u, found := unknownIn(args[0]); found {
			return u, nil
		}
		idx, err := strconv.Atoi(fmt.Sprint(args[0]))
		if err != nil {
			return nil, errTemplate("Fn::Select: the index %v is not a number", args[0])
		}
		if u, ok := args[1].(unknown); ok {
			return u, nil
		}
		list, ok := args[1].([]any)
		if !ok {
			return nil, errTemplate("Fn::Select: the values are %s, not a list", typeName(args[1]))
		}
		if idx < 0 || idx >= len(list) {
			return nil, errTemplate("Fn::Select: index %d is outside a list of %d", idx, len(list))
		}
		return list[idx], nil
	case "Fn::Split":
		args, err := t.args(name, arg, 2, depth)
		if err != nil {
			return nil, err
		}
		if u, found := unknownIn(args[1]); found {
			return u, nil
		}
		delim, ok1 := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok1 || !ok2 || delim == "" {
			return nil, errTemplate("Fn::Split takes a delimiter and a string")
		}
		var out []any
		for _, p := range strings.Split(s, delim) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::FindInMap":
		args, err := t.args(name, arg, 3, depth)
		if err != nil {
			return nil, err
		}
		if u, found := unknownIn(args); found {
			return u, nil
		}
		m, ok := t.mappings.get(fmt.Sprint(args[0]))
		top, _ := m.(*object)
		if !ok || top == nil {
			return nil, errTemplate("Fn::FindInMap: no mapping %v", args[0])
		}
		second, _ := top.vals[fmt.Sprint(args[1])].(*object)
		if second == nil {
			return nil, errTemplate("Fn::FindInMap: mapping %v has no key %v", args[0], args[1])
		}
		v, ok := second.get(fmt.Sprint(args[2]))
		if !ok {
			return nil, errTemplate("Fn::FindInMap: mapping %v, key %v has no key %v", args[0], args[1], args[2])
		}
		return v, nil
	case "Fn::If":
		list, ok := arg.([]any)
		if !ok || len(list) != 3 {
			return nil, errTemplate("Fn::If takes [condition, value if true, value if false]")
		}
		cname, ok := list[0].(string)
		if !ok {
			return nil, errTemplate("Fn::If: the condition is %s, not a condition name", typeName(list[0]))
		}
		c, err := t.condition(cname)
		if err != nil {
			return nil, err
		}
		switch c := c.(type) {
		case bool:
			if c {
				return t.resolve(list[1], depth)
			}
			return t.resolve(list[2], depth)
		case unknown:
			a, err := t.resolve(list[1], depth)
			if err != nil {
				return nil, err
			}
			b, err := t.resolve(list[2], depth)
			if err != nil {
				return nil, err
			}
			if same(a, b) {
				return a, nil
			}
			u := unk("condition "+cname+", which depends on "+strings.Join(c.why, " and "), "")
			u.hints = c.hints
			return u, nil
		}
	case "Fn::Base64":
		v, err := t.resolve(arg, depth)
		if err != nil {
			return nil, err
		}
		if u, ok := v.(unknown); ok {
			return u, nil
		}
		s, err := text(name, v)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::Length":
		v, err := t.resolve(arg, depth)
		if err != nil {
			return nil, err
		}
		if u, ok := v.(unknown); ok {
			return u, nil
		}
		list, ok := v.([]any)
		if !ok {
			return nil, errTemplate("Fn::Length takes a list, not %s", typeName(v))
		}
		return json.Number(strconv.Itoa(len(list))), nil
	case "Fn::ToJsonString":
		v, err := t.resolve(arg, depth)
		if err != nil {
			return nil, err
		}
		if u, found := unknownIn(v); found {
			return u, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, errTemplate("Fn::ToJsonString: %v", err)
		}
		return string(b), nil
	case "Fn::ImportValue":
		v, err := t.resolve(arg, depth)
		if err != nil {
			return nil, err
		}
		what := "a value"
		if s, ok := v.(string); ok {
			what = "the value " + s
		}
		return unk(what+" imported from another stack (Fn::ImportValue)", ""), nil
	case "Fn::GetAZs":
		return unk("the Availability Zones of the region (Fn::GetAZs)", ""), nil
	case "Fn::Cidr":
		return unk("Fn::Cidr, which cmkcheck does not evaluate", ""), nil
	case "Fn::Transform":
		return unk("a macro (Fn::Transform), which CloudFormation runs at deployment", ""), nil
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return nil, errTemplate("%s belongs in Conditions (or Fn::If's condition), not in a property", name)
	}
	return nil, errTemplate("unknown intrinsic function %s", name)
}

// args resolves a function's list of n arguments; a whole-list unknown is
// an error only where a list is required.
func (t *cfnTemplate) args(name string, arg any, n int, depth int) ([]any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) != n {
		return nil, errTemplate("%s takes a list of %d arguments", name, n)
	}
	out := make([]any, n)
	for i, a := range list {
		r, err := t.resolve(a, depth)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[i] = r
	}
	return out, nil
}

// text is a value used inside a string: strings and numbers as written; an
// unknown stays unknown (the caller looks for it).
func text(fn string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case unknown:
		return "", nil
	}
	return "", errTemplate("%s: %s cannot be part of a string", fn, typeName(v))
}

func same(a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	_, ua := unknownIn(a)
	_, ub := unknownIn(b)
	return err1 == nil && err2 == nil && !ua && !ub && string(ab) == string(bb)
}

// ref is Ref: a parameter, a pseudo parameter, or a resource.
func (t *cfnTemplate) ref(name string) (any, error) {
	if p, ok := t.params[name]; ok {
		return p.value, nil
	}
	if name == "AWS::NoValue" {
		return noValue{}, nil
	}
	if v, ok := t.pseudo[name]; ok {
		return v, nil
	}
	if strings.HasPrefix(name, "AWS::") {
		return unk("the pseudo parameter "+name+", known only at deployment", ""), nil
	}
	res, ok := t.resources.get(name)
	if !ok {
		return nil, errTemplate("Ref %s: no parameter or resource of that name", name)
	}
	if n, ok, err := t.iamName(name, res); err != nil {
		return nil, err
	} else if ok {
		return n.name, nil
	}
	return unk("the physical ID of "+name+", known only once the stack creates it", ""), nil
}

// getAtt is Fn::GetAtt. An IAM role or user the template names has a
// known ARN; every other attribute exists only once the stack runs.
func (t *cfnTemplate) getAtt(arg any, depth int) (any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) != 2 {
		return nil, errTemplate("Fn::GetAtt takes [Resource, Attribute]")
	}
	res, ok := list[0].(string)
	if !ok {
		return nil, errTemplate("Fn::GetAtt: the resource is %s, not a logical ID", typeName(list[0]))
	}
	attrV, err := t.resolve(list[1], depth)
	if err != nil {
		return nil, err
	}
	attr, ok := attrV.(string)
	if !ok {
		return nil, errTemplate("Fn::GetAtt %s: the attribute is %s, not a name", res, typeName(attrV))
	}
	r, ok := t.resources.get(res)
	if !ok {
		return nil, errTemplate("Fn::GetAtt %s.%s: no resource %s", res, attr, res)
	}
	if n, ok, err := t.iamName(res, r); err != nil {
		return nil, err
	} else if ok && attr == "Arn" {
		return n.arn, nil
	}
	return unk(res+"."+attr+", which exists only once the stack creates "+res, ""), nil
}

type iamName struct{ name, arn any }

// iamName is the name and ARN of an AWS::IAM::Role or AWS::IAM::User whose
// name the template sets: those are known before the stack runs. A name
// that refers to its own resource is a circular dependency.
func (t *cfnTemplate) iamName(id string, res any) (iamName, bool, error) {
	r, _ := res.(*object)
	typ, _ := r.val("Type").(string)
	kind, field := "", ""
	switch typ {
	case "AWS::IAM::Role":
		kind, field = "role", "RoleName"
	case "AWS::IAM::User":
		kind, field = "user", "UserName"
	default:
		return iamName{}, false, nil
	}
	props, _ := r.val("Properties").(*object)
	raw, ok := props.get(field)
	if !ok {
		return iamName{}, false, nil
	}
	if t.naming[id] {
		return iamName{}, false, errTemplate("the %s of %s refers to %s itself: a circular dependency", field, id, id)
	}
	if t.naming == nil {
		t.naming = map[string]bool{}
	}
	t.naming[id] = true
	defer delete(t.naming, id)
	name, err := t.resolve(raw, 1)
	if err != nil {
		return iamName{}, false, err
	}
	path := any("/")
	if p, ok := props.get("Path"); ok {
		if path, err = t.resolve(p, 1); err != nil {
			return iamName{}, false, err
		}
	}
	ns, ok1 := name.(string)
	ps, ok2 := path.(string)
	if !ok1 || !ok2 {
		u, found := unknownIn([]any{name, path})
		if !found {
			return iamName{}, false, errTemplate("the %s of %s is %s, not a name", field, id, typeName(name))
		}
		return iamName{name: u, arn: u}, true, nil
	}
	return iamName{name: ns, arn: fmt.Sprintf("arn:%s:iam::%s:%s%s%s", t.pseudo["AWS::Partition"], t.pseudo["AWS::AccountId"], kind, ps, ns)}, true, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub is Fn::Sub: ${Name} and ${Resource.Attribute}, from its own
// variables first; ${!Literal} is the text ${Literal}.
func (t *cfnTemplate) sub(arg any, depth int) (any, error) {
	var tmpl string
	vars := newObject()
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, errTemplate("Fn::Sub takes a string, or [string, variables]")
		}
		s, ok1 := a[0].(string)
		m, ok2 := a[1].(*object)
		if !ok1 || !ok2 {
			return nil, errTemplate("Fn::Sub takes a string, or [string, variables]")
		}
		tmpl, vars = s, m
	default:
		return nil, errTemplate("Fn::Sub takes a string, or [string, variables], not %s", typeName(arg))
	}
	var u unknown
	found := false
	var err error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if err != nil {
			return ""
		}
		var v any
		if raw, ok := vars.get(name); ok {
			v, err = t.resolve(raw, depth)
		} else if res, attr, dotted := strings.Cut(name, "."); dotted && !strings.HasPrefix(name, "AWS::") {
			v, err = t.getAtt([]any{res, attr}, depth)
		} else {
			v, err = t.ref(name)
		}
		if err != nil {
			err = fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
			return ""
		}
		if x, ok := v.(unknown); ok {
			u, found = u.merge(x), true
			return ""
		}
		s, terr := text("Fn::Sub", v)
		if terr != nil {
			err = fmt.Errorf("Fn::Sub ${%s}: %w", name, terr)
		}
		return s
	})
	if err != nil {
		return nil, err
	}
	if found {
		return u, nil
	}
	return out, nil
}

// condition evaluates a named condition once: true, false, or unknown.
func (t *cfnTemplate) condition(name string) (any, error) {
	if v, ok := t.conds[name]; ok {
		return v, nil
	}
	raw, ok := t.conditions.get(name)
	if !ok {
		return nil, errTemplate("no condition %s", name)
	}
	if t.busy[name] {
		return nil, errTemplate("condition %s refers to itself", name)
	}
	t.busy[name] = true
	v, err := t.condExpr(raw, 0)
	delete(t.busy, name)
	if err != nil {
		return nil, fmt.Errorf("condition %s: %w", name, err)
	}
	t.conds[name] = v
	return v, nil
}

func (t *cfnTemplate) condExpr(raw any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTemplate("nested more than %d levels deep", maxDepth)
	}
	o, ok := raw.(*object)
	if !ok || len(o.keys) != 1 {
		return nil, errTemplate("a condition is one of Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition")
	}
	fn, arg := o.keys[0], o.vals[o.keys[0]]
	switch fn {
	case "Condition":
		s, ok := arg.(string)
		if !ok {
			return nil, errTemplate("Condition takes a condition name")
		}
		return t.condition(s)
	case "Fn::Equals":
		list, ok := arg.([]any)
		if !ok || len(list) != 2 {
			return nil, errTemplate("Fn::Equals takes two values")
		}
		a, err := t.resolve(list[0], depth+1)
		if err != nil {
			return nil, err
		}
		b, err := t.resolve(list[1], depth+1)
		if err != nil {
			return nil, err
		}
		ua, fa := unknownIn(a)
		ub, fb := unknownIn(b)
		if fa || fb {
			return ua.merge(ub), nil
		}
		as, _ := text("Fn::Equals", a)
		bs, _ := text("Fn::Equals", b)
		if _, isList := a.([]any); isList {
			return same(a, b), nil
		}
		return as == bs, nil
	case "Fn::Not":
		list, ok := arg.([]any)
		if !ok || len(list) != 1 {
			return nil, errTemplate("Fn::Not takes one condition")
		}
		v, err := t.condExpr(list[0], depth+1)
		if err != nil {
			return nil, err
		}
		if b, ok := v.(bool); ok {
			return !b, nil
		}
		return v, nil
	case "Fn::And", "Fn::Or":
		list, ok := arg.([]any)
		if !ok || len(list) < 2 || len(list) > 10 {
			return nil, errTemplate("%s takes 2 to 10 conditions", fn)
		}
		decisive := fn == "Fn::Or" // a true decides Or, a false decides And
		var u unknown
		undecided := false
		for _, c := range list {
			v, err := t.condExpr(c, depth+1)
			if err != nil {
				return nil, err
			}
			switch x := v.(type) {
			case bool:
				if x == decisive {
					return decisive, nil
				}
			case unknown:
				u, undecided = u.merge(x), true
			}
		}
		if undecided {
			return u, nil
		}
		return !decisive, nil
	}
	return nil, errTemplate("a condition cannot use %s", fn)
}
