package iac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// A parsed template is plain values: *object (mappings, in the template's
// order), []any, string, json.Number, bool and nil. The short forms of the
// intrinsic functions (!Ref, !Sub, ...) become their long forms ({"Ref": x},
// {"Fn::Sub": x}), as CloudFormation reads them.

// object is a mapping that keeps its keys' order, so a key policy reaches
// the evidence in the order the template wrote it.
type object struct {
	keys []string
	vals map[string]any
	// lines are the template lines the keys are written on (1-based; a
	// mapping built in evaluation has none): SARIF points a result at them.
	lines map[string]int
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// setAt is set for a key read from the template's line.
func (o *object) setAt(k string, v any, line int) {
	o.set(k, v)
	if o.lines == nil {
		o.lines = map[string]int{}
	}
	o.lines[k] = line
}

// line is the template line k is written on, 0 when not known.
func (o *object) line(k string) int {
	if o == nil {
		return 0
	}
	return o.lines[k]
}

// val is the value of k, nil when absent or when o itself is nil (a
// section or resource that is not a mapping).
func (o *object) val(k string) any {
	v, _ := o.get(k)
	return v
}

func (o *object) get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[k]
	return v, ok
}

// MarshalJSON writes the keys in order.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MaxTemplateSize bounds a template: CloudFormation takes 1 MB from S3
// (51,200 bytes inline).
const MaxTemplateSize = 1 << 20

// shortForms are CloudFormation's YAML tags and the functions they name.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt",
	"!Sub": "Fn::Sub", "!Join": "Fn::Join", "!If": "Fn::If", "!Select": "Fn::Select", "!Split": "Fn::Split",
	"!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue", "!Base64": "Fn::Base64",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!GetAZs": "Fn::GetAZs",
	"!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform", "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

// parseTemplate reads a JSON or YAML template into plain values.
func parseTemplate(data []byte) (*object, error) {
	if len(data) > MaxTemplateSize {
		return nil, fmt.Errorf("the template is %d bytes, more than CloudFormation's %d", len(data), MaxTemplateSize)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("the template is not valid UTF-8")
	}
	var v any
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the template is empty")
	}
	if trimmed[0] == '{' {
		// JSON first: its errors name the JSON problem, and YAML would
		// refuse tab indentation that JSON allows.
		jv, jerr := parseJSON(data)
		if jerr == nil {
			v = jv
		} else if yv, yerr := parseYAML(data); yerr == nil {
			v = yv
		} else {
			return nil, fmt.Errorf("the template is neither JSON (%v) nor YAML (%v)", jerr, yerr)
		}
	} else {
		yv, err := parseYAML(data)
		if err != nil {
			return nil, err
		}
		v = yv
	}
	o, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("the template is not a mapping of sections (got %s)", typeName(v))
	}
	return o, nil
}

func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	j := &jsonReader{dec: dec}
	for i, c := range data {
		if c == '\n' {
			j.newlines = append(j.newlines, int64(i))
		}
	}
	v, err := j.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// maxDepth bounds nesting in templates and in their evaluation.
const maxDepth = 64

// jsonReader reads a JSON template, noting the line of each key.
type jsonReader struct {
	dec      *json.Decoder
	newlines []int64 // offsets of the template's newlines
}

// line is the line of the byte at offset off.
func (j *jsonReader) line(off int64) int {
	n, _ := slices.BinarySearch(j.newlines, off)
	return n + 1
}

func (j *jsonReader) value(depth int) (any, error) {
	dec := j.dec
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := o.vals[k]; dup {
					return nil, fmt.Errorf("key %q appears twice in one object", k)
				}
				line := j.line(dec.InputOffset() - 1) // the key's closing quote
				v, err := j.value(depth + 1)
				if err != nil {
					return nil, err
				}
				o.setAt(k, v, line)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := j.value(depth + 1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil // string, json.Number, bool or nil
}

func parseYAML(data []byte) (any, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the template is not readable YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errors.New("the template holds more than one YAML document")
	}
	c := &yamlConverter{budget: 1 << 20}
	return c.value(&doc, 0)
}

// yamlConverter turns nodes into values. Aliases are expanded within a
// budget, so a few anchors cannot make the template billions of nodes.
type yamlConverter struct{ budget int }

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested more than %d levels deep", n.Line, maxDepth)
	}
	if c.budget--; c.budget < 0 {
		return nil, errors.New("the template expands to too many values (YAML aliases)")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, errors.New("the template is empty")
		}
		return c.value(n.Content[0], depth)
	case yaml.AliasNode:
		return c.value(n.Alias, depth+1)
	}
	v, err := c.plain(n, depth)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	fn, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s (CloudFormation's are !Ref, !Sub, !GetAtt, !Join, !If, ...)", n.Line, n.Tag)
	}
	if fn == "Fn::GetAtt" {
		// !GetAtt Resource.Attribute is the list [Resource, Attribute].
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %s: want Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
	}
	o := newObject()
	o.set(fn, v)
	return o, nil
}

// plain converts a node without its CloudFormation tag.
func (c *yamlConverter) plain(n *yaml.Node, depth int) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		o := newObject()
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a plain string", kn.Line)
			}
			if kn.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: YAML merge keys (<<) are not part of CloudFormation templates", kn.Line)
			}
			if _, dup := o.vals[kn.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice in one mapping", kn.Line, kn.Value)
			}
			v, err := c.value(vn, depth+1)
			if err != nil {
				return nil, err
			}
			o.setAt(kn.Value, v, kn.Line)
		}
		return o, nil
	case yaml.SequenceNode:
		list := []any{}
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		return scalar(n), nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// scalar keeps a scalar's text, typed as JSON would type it. A timestamp
// such as an unquoted 2012-10-17 stays the text CloudFormation reads, and
// the argument of a short form (!Ref Name) is its text.
func scalar(n *yaml.Node) any {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return n.Value
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			return json.Number(n.Value)
		}
	}
	return n.Value
}

func typeName(v any) string {
	switch v.(type) {
	case *object:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case unknown:
		return "a value known only at deployment"
	}
	return fmt.Sprintf("%T", v)
}
