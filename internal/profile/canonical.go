package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Canonical is the validated profile in one textual form: YAML holding the
// fields that are set (a list or map that is set but empty stays, since an
// empty key_administrators says something an absent one does not), sorted
// by name, defaults filled in, every string double-quoted. Parse gives back
// a Valid whose Canonical is the same bytes. A results file carries it so
// the key can be judged again against exactly what it was judged against:
// the file the user wrote cannot say that alone (environment variables may
// have changed fields).
func (v Valid) Canonical() ([]byte, error) {
	p := v.Profile()
	set := p.setFields()
	doc := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		val, err := canonicalNode(set[name])
		if err != nil {
			return nil, fmt.Errorf("profile: canonical form of field %q: %w", name, err)
		}
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, val)
	}
	if len(doc.Content) == 0 {
		doc.Style = yaml.FlowStyle // {}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("profile: canonical form: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("profile: canonical form: %w", err)
	}
	return b.Bytes(), nil
}

// canonicalNode writes one value. Strings are double-quoted: that style
// escapes every character YAML cannot hold as it is, where the plain and
// block styles yaml.v3 would pick lose some (a leading line break).
func canonicalNode(v any) (*yaml.Node, error) {
	str := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	}
	switch v := v.(type) {
	case string:
		return str(v), nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}, nil
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle // []
		}
		for _, s := range v {
			n.Content = append(n.Content, str(s))
		}
		return n, nil
	case map[string]string:
		n := &yaml.Node{Kind: yaml.MappingNode}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle // {}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			n.Content = append(n.Content, str(k), str(v[k]))
		}
		return n, nil
	}
	return nil, fmt.Errorf("no canonical form for a %T", v)
}

// setFields maps each field that is set to its value.
func (p *Profile) setFields() map[string]any {
	out := map[string]any{}
	for name, ptr := range p.fields() {
		v := reflect.ValueOf(ptr).Elem()
		switch v.Kind() {
		case reflect.Slice, reflect.Map:
			if v.IsNil() {
				continue
			}
		case reflect.Pointer:
			if v.IsNil() {
				continue
			}
			v = v.Elem()
		default:
			if v.IsZero() {
				continue
			}
		}
		out[name] = v.Interface()
	}
	return out
}

// Derived checks that v is what Load made of a profile file's content with
// the named environment variables overriding fields: every field that no
// override names has the value the content gives it. The error names each
// field that differs. Without the variables' values (a results file does
// not keep the environment) the overridden fields themselves cannot be
// checked; they are v's.
func Derived(content []byte, overrides []string, v Valid) error {
	p, err := decode(content)
	if err != nil {
		return fmt.Errorf("the profile file does not read: %w", err)
	}
	judged := v.Profile()
	byEnv := map[string]string{}
	for _, name := range FieldNames() {
		byEnv[EnvName(name)] = name
	}
	for _, env := range overrides {
		name, ok := byEnv[env]
		if !ok {
			return fmt.Errorf("%q overrides no profile field", env)
		}
		reflect.ValueOf(p.fields()[name]).Elem().Set(reflect.ValueOf(judged.fields()[name]).Elem())
	}
	fromFile, err := p.Validate()
	if err != nil {
		return fmt.Errorf("the profile file is not valid: %w", err)
	}
	want, got := fromFile.Profile().setFields(), judged.setFields()
	var diffs []string
	for _, name := range FieldNames() {
		w, inFile := want[name]
		g, inJudged := got[name]
		if inFile == inJudged && reflect.DeepEqual(w, g) {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("field %q: the file gives %s, the profile judged has %s", name, shownValue(w, inFile), shownValue(g, inJudged)))
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("the profile judged is not the profile file's content: %s", strings.Join(diffs, "; "))
	}
	return nil
}

func shownValue(v any, set bool) string {
	if !set {
		return "nothing (not set)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
