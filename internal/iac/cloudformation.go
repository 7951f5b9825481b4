package iac

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// CloudFormation's resource types that this package reads.
const (
	cfnKey        = "AWS::KMS::Key"
	cfnReplicaKey = "AWS::KMS::ReplicaKey"
	cfnAlias      = "AWS::KMS::Alias"
)

// The properties CloudFormation documents for each type; any other is a
// template CloudFormation refuses.
var cfnProperties = map[string][]string{
	cfnKey: {"BypassPolicyLockoutSafetyCheck", "Description", "Enabled", "EnableKeyRotation", "KeyPolicy", "KeySpec",
		"KeyUsage", "MultiRegion", "Origin", "PendingWindowInDays", "RotationPeriodInDays", "Tags"},
	cfnReplicaKey: {"Description", "Enabled", "KeyPolicy", "PendingWindowInDays", "PrimaryKeyArn", "Tags"},
	cfnAlias:      {"AliasName", "TargetKeyId"},
}

var cfnSections = []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
	"Conditions", "Transform", "Resources", "Outputs", "Hooks"}

// Transforms whose processing leaves AWS::KMS resources as written.
var cfnTransforms = []string{"AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"}

const atDeployment = "known only at deployment"

// ReadCloudFormation reads a template (JSON or YAML, short-form tags
// included) and returns every AWS::KMS::Key (and AWS::KMS::ReplicaKey) it
// declares, in template order, each with its AWS::KMS::Alias resources.
// An error is a template CloudFormation would refuse, or one with no key.
func ReadCloudFormation(file string, data []byte, opts Options) ([]*Key, error) {
	account, region, err := opts.place("", "")
	if err != nil {
		return nil, err
	}
	opts.Account, opts.Region = account, region
	top, err := parseTemplate(data)
	if err != nil {
		return nil, err
	}
	for _, k := range top.keys {
		if !slices.Contains(cfnSections, k) {
			return nil, fmt.Errorf("unknown top-level section %q; CloudFormation's are %s", k, strings.Join(cfnSections, ", "))
		}
	}
	if err := checkTransforms(top); err != nil {
		return nil, err
	}
	t := &cfnTemplate{conds: map[string]any{}, busy: map[string]bool{}}
	var ok bool
	for name, dst := range map[string]**object{"Mappings": &t.mappings, "Conditions": &t.conditions, "Resources": &t.resources} {
		v, present := top.get(name)
		if !present {
			continue
		}
		if *dst, ok = v.(*object); !ok {
			return nil, fmt.Errorf("%s is %s, not a mapping", name, typeName(v))
		}
	}
	if t.resources == nil || len(t.resources.keys) == 0 {
		return nil, errors.New("the template has no Resources")
	}
	partition := awsid.PartitionOf(opts.Region)
	t.pseudo = map[string]any{
		"AWS::AccountId": opts.Account, "AWS::Region": opts.Region, "AWS::Partition": partition,
		"AWS::URLSuffix": urlSuffix(partition),
	}
	if t.params, err = cfnParameters(top, opts.Parameters); err != nil {
		return nil, err
	}

	if err := t.checkRules(top); err != nil {
		return nil, err
	}

	r := &cfnReader{t: t, file: file, opts: opts, partition: partition, decl: map[string]*declared{}}
	var types []string
	for _, id := range t.resources.keys {
		if strings.HasPrefix(id, "Fn::ForEach::") {
			return nil, fmt.Errorf("resource %s: Fn::ForEach is expanded by CloudFormation's AWS::LanguageExtensions transform, not by cmkcheck: evaluate the processed template (aws cloudformation get-template --template-stage Processed)", id)
		}
		res, ok := t.resources.vals[id].(*object)
		if !ok {
			return nil, fmt.Errorf("resource %s is %s, not a mapping", id, typeName(t.resources.vals[id]))
		}
		typ, ok := res.vals["Type"].(string)
		if !ok || typ == "" {
			return nil, fmt.Errorf("resource %s has no Type", id)
		}
		types = append(types, typ)
		if typ == cfnKey || typ == cfnReplicaKey {
			if err := r.key(id, typ, res); err != nil {
				return nil, fmt.Errorf("%s %s: %w", typ, id, err)
			}
		}
	}
	if len(r.order) == 0 && len(r.skipped) == 0 {
		slices.Sort(types)
		return nil, fmt.Errorf("the template declares no %s (its resources: %s)", cfnKey, strings.Join(slices.Compact(types), ", "))
	}
	for _, id := range t.resources.keys {
		res := t.resources.vals[id].(*object)
		if res.val("Type") == cfnAlias {
			if err := r.alias(id, res); err != nil {
				return nil, fmt.Errorf("%s %s: %w", cfnAlias, id, err)
			}
		}
	}
	if len(r.order) == 0 {
		return nil, fmt.Errorf("no key would be created with these parameters: %s", strings.Join(r.skipped, "; "))
	}
	keys := make([]*Key, 0, len(r.order))
	for _, id := range r.order {
		d := r.decl[id]
		notes := append([]string{fmt.Sprintf("judged as deployed in account %s, region %s (AWS::AccountId and AWS::Region)", opts.Account, opts.Region)}, r.notes[id]...)
		for _, s := range r.skipped {
			notes = append(notes, "not judged: "+s)
		}
		k := d.key(keystate.KindCloudFormation, file, id, notes)
		k.line, k.aliasLine = t.resources.line(id), r.aliasLines[id]
		if props, ok := t.resources.vals[id].(*object).val("Properties").(*object); ok {
			k.propLines = props.lines
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func urlSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func checkTransforms(top *object) error {
	v, ok := top.get("Transform")
	if !ok {
		return nil
	}
	var names []any
	switch x := v.(type) {
	case string:
		names = []any{x}
	case []any:
		names = x
	default:
		return fmt.Errorf("Transform is %s, not a name or a list of names", typeName(v))
	}
	for _, n := range names {
		s, _ := n.(string)
		if !slices.Contains(cfnTransforms, s) {
			return fmt.Errorf("the template uses the transform %v, which rewrites it at deployment: evaluate the processed template (aws cloudformation get-template --template-stage Processed)", n)
		}
	}
	return nil
}

// cfnParameters gives each parameter the value a deployment would: the
// value given, else its default, else unknown.
func cfnParameters(top *object, given map[string]string) (map[string]*cfnParam, error) {
	params := map[string]*cfnParam{}
	var section *object
	if v, ok := top.get("Parameters"); ok {
		if section, ok = v.(*object); !ok {
			return nil, fmt.Errorf("Parameters is %s, not a mapping", typeName(v))
		}
	}
	for name := range given {
		if _, ok := section.get(name); !ok {
			return nil, fmt.Errorf("--parameter %s: the template has no parameter %s", name, name)
		}
	}
	if section == nil {
		return params, nil
	}
	for _, name := range section.keys {
		def, ok := section.vals[name].(*object)
		if !ok {
			return nil, fmt.Errorf("parameter %s is %s, not a mapping", name, typeName(section.vals[name]))
		}
		typ, _ := def.vals["Type"].(string)
		if typ == "" {
			return nil, fmt.Errorf("parameter %s has no Type", name)
		}
		p := &cfnParam{typ: typ}
		params[name] = p
		raw, isGiven := given[name]
		if !isGiven {
			d, hasDefault := def.get("Default")
			if !hasDefault {
				p.value = unk("parameter "+name+", which has no default", "--parameter "+name+"=VALUE")
				continue
			}
			s, err := paramText(d)
			if err != nil {
				return nil, fmt.Errorf("parameter %s: Default %v", name, err)
			}
			raw = s
		}
		if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") {
			p.value = unk("parameter "+name+", which CloudFormation reads from the SSM parameter "+strconv.Quote(raw)+" at deployment", "")
			continue
		}
		if err := checkParamValue(name, typ, raw, def); err != nil {
			return nil, err
		}
		if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
			var list []any
			for _, e := range strings.Split(raw, ",") {
				list = append(list, e)
			}
			p.value = list
		} else {
			p.value = raw
		}
	}
	return params, nil
}

func paramText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any: // a list written as YAML, for a list parameter
		var parts []string
		for _, e := range x {
			s, err := paramText(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("is %s, not a value", typeName(v))
}

// checkParamValue refuses what CloudFormation would refuse to deploy.
func checkParamValue(name, typ, v string, def *object) error {
	if typ == "Number" {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("parameter %s is a Number, and %q is not one", name, v)
		}
	}
	if allowed, ok := def.vals["AllowedValues"].([]any); ok {
		found := false
		for _, a := range allowed {
			if s, err := paramText(a); err == nil && s == v {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("parameter %s: %q is not one of its AllowedValues", name, v)
		}
	}
	if pat, ok := def.vals["AllowedPattern"].(string); ok {
		// Java's syntax, which Go's covers for the usual patterns; a
		// pattern Go cannot read is left to CloudFormation.
		if re, err := regexp.Compile(`^(?:` + pat + `)$`); err == nil && !re.MatchString(v) {
			return fmt.Errorf("parameter %s: %q does not match its AllowedPattern %s", name, v, pat)
		}
	}
	return nil
}

// cfnReader builds the declarations of a template's keys.
type cfnReader struct {
	t         *cfnTemplate
	file      string
	opts      Options
	partition string
	order     []string // key logical IDs, in template order
	decl      map[string]*declared
	notes     map[string][]string
	skipped   []string
	// aliasLines is the line of the first alias resource of each key.
	aliasLines map[string]int
}

func (r *cfnReader) note(id, s string) {
	if r.notes == nil {
		r.notes = map[string][]string{}
	}
	r.notes[id] = append(r.notes[id], s)
}

// exists evaluates a resource's Condition: false means it is not created;
// unknown is returned for the caller to word.
func (r *cfnReader) exists(res *object) (bool, *unknown, string, error) {
	raw, ok := res.get("Condition")
	if !ok {
		return true, nil, "", nil
	}
	name, ok := raw.(string)
	if !ok {
		return false, nil, "", fmt.Errorf("Condition is %s, not a condition name", typeName(raw))
	}
	v, err := r.t.condition(name)
	if err != nil {
		return false, nil, name, err
	}
	switch x := v.(type) {
	case bool:
		return x, nil, name, nil
	case unknown:
		return true, &x, name, nil
	}
	return false, nil, name, fmt.Errorf("condition %s is not a condition", name)
}

func (r *cfnReader) properties(typ string, res *object) (*object, error) {
	raw, ok := res.get("Properties")
	if !ok {
		return newObject(), nil
	}
	props, ok := raw.(*object)
	if !ok {
		return nil, fmt.Errorf("Properties is %s, not a mapping", typeName(raw))
	}
	for _, k := range props.keys {
		if !slices.Contains(cfnProperties[typ], k) {
			return nil, fmt.Errorf("unknown property %s; %s has %s", k, typ, strings.Join(cfnProperties[typ], ", "))
		}
	}
	return props, nil
}

// prop resolves one property: absent (or AWS::NoValue) is ok=false.
func (r *cfnReader) prop(props *object, name string) (v any, ok bool, err error) {
	raw, present := props.get(name)
	if !present {
		return nil, false, nil
	}
	v, err = r.t.resolve(raw, 0)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	if _, gone := v.(noValue); gone {
		return nil, false, nil
	}
	return v, true, nil
}

func (r *cfnReader) key(id, typ string, res *object) error {
	exists, cond, cname, err := r.exists(res)
	if err != nil {
		return err
	}
	if !exists {
		r.skipped = append(r.skipped, fmt.Sprintf("%s %s is not created (its condition %s is false)", typ, id, cname))
		return nil
	}
	props, err := r.properties(typ, res)
	if err != nil {
		return err
	}
	d := newDeclared(r.partition, r.opts.Region, r.opts.Account)
	r.order = append(r.order, id)
	r.decl[id] = d
	if cond != nil {
		r.note(id, "judged as if created: its condition "+cname+" depends on "+strings.Join(cond.why, " and "))
	}

	// Each property feeds one member; an unknown one leaves the member out.
	field := func(name, member string, set func(v any) error) error {
		v, ok, err := r.prop(props, name)
		if err != nil || !ok {
			return err
		}
		if u, found := unknownIn(v); found {
			if member != "" { // "" feeds no member: it only has to be valid once known
				d.cannotKnow(member, u.explain(name, atDeployment))
			}
			return nil
		}
		if err := set(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	dk := keystate.DescribeKey
	steps := []error{
		field("Description", dk, func(v any) (err error) { d.description, err = str(v); return }),
		field("Enabled", dk, func(v any) (err error) { d.enabled, err = boolean(v); return }),
		field("Tags", keystate.ListResourceTags, func(v any) (err error) { d.tags, err = cfnTags(v); return }),
		field("PendingWindowInDays", "", func(v any) error { _, err := integer(v, 7, 30); return err }),
	}
	if typ == cfnReplicaKey {
		// A replica's key material, spec, usage and rotation are its
		// primary key's, which another stack (another region) makes.
		d.multiRegion = true
		steps = append(steps, field("PrimaryKeyArn", "", func(v any) error { _, err := str(v); return err }))
		d.cannotKnow(dk, "KeySpec, KeyUsage and Origin of a replica key are its primary key's (PrimaryKeyArn), which this template does not make")
		d.cannotKnow(keystate.GetKeyRotationStatus, "a replica key's rotation is its primary key's (PrimaryKeyArn), which this template does not make")
		r.note(id, "an AWS::KMS::ReplicaKey is a multi-Region key")
	} else {
		steps = append(steps,
			field("KeySpec", dk, func(v any) (err error) { d.keySpec, err = str(v); return }),
			field("KeyUsage", dk, func(v any) (err error) { d.keyUsage, err = str(v); return }),
			field("Origin", dk, func(v any) (err error) { d.origin, err = str(v); return }),
			field("MultiRegion", dk, func(v any) (err error) { d.multiRegion, err = boolean(v); return }),
			field("EnableKeyRotation", keystate.GetKeyRotationStatus, func(v any) (err error) { d.rotation, err = boolean(v); return }),
			field("RotationPeriodInDays", keystate.GetKeyRotationStatus, func(v any) (err error) {
				d.rotationPeriod, err = integer(v, 90, 2560)
				return
			}),
			field("BypassPolicyLockoutSafetyCheck", "", func(v any) error {
				bypass, err := boolean(v)
				if bypass {
					r.note(id, "BypassPolicyLockoutSafetyCheck is true: KMS will not refuse a policy that locks out the principal that deploys it")
				}
				return err
			}),
		)
	}
	if err := errors.Join(steps...); err != nil {
		return err
	}
	if d.rotation && d.rotationPeriod == 0 {
		d.rotationPeriod = 365 // CloudFormation's and KMS's default
	}
	if d.origin == "EXTERNAL" {
		// KMS makes a key for imported material without it: PendingImport
		// until material is imported, which CloudFormation does not do.
		d.keyState = "PendingImport"
		d.enabled = false
	}
	policy, ok, err := r.prop(props, "KeyPolicy")
	if err != nil {
		return err
	}
	switch {
	case !ok:
		d.policy = DefaultPolicy(r.partition, r.opts.Account)
		r.note(id, "no KeyPolicy: KMS gives the key its default policy (the account's root with kms:*)")
	default:
		if u, found := unknownIn(policy); found {
			d.cannotKnow(keystate.GetKeyPolicy, u.explain("KeyPolicy", atDeployment))
			break
		}
		text, err := policyText(policy)
		if err != nil {
			return fmt.Errorf("KeyPolicy: %w", err)
		}
		d.policy = text
	}
	return nil
}

// alias attaches an alias to the key it targets. A target the template
// cannot name before deployment could be any key, so every key's aliases
// are then unknown.
func (r *cfnReader) alias(id string, res *object) error {
	exists, cond, cname, err := r.exists(res)
	if err != nil {
		return err
	}
	if !exists {
		return nil
	}
	props, err := r.properties(cfnAlias, res)
	if err != nil {
		return err
	}
	rawTarget, ok := props.get("TargetKeyId")
	if !ok {
		return errors.New("TargetKeyId is missing")
	}
	name, ok, err := r.prop(props, "AliasName")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("AliasName is missing")
	}
	var targets []string
	logical, byName := keyRef(rawTarget)
	target, isResource := r.t.resources.get(logical)
	if byName && r.decl[logical] != nil {
		targets = []string{logical}
	} else if byName && isResource {
		if typ := target.(*object).val("Type"); typ != cfnKey && typ != cfnReplicaKey {
			return fmt.Errorf("TargetKeyId names %s, a %v, not a KMS key", logical, typ)
		}
		return nil // a key this stack does not create (its condition is false)
	} else {
		v, err := r.t.resolve(rawTarget, 0)
		if err != nil {
			return fmt.Errorf("TargetKeyId: %w", err)
		}
		u, found := unknownIn(v)
		if !found {
			return nil // an existing key of the account, not one this template makes
		}
		for _, k := range r.order {
			r.decl[k].cannotKnow(keystate.ListAliases, u.explain("the TargetKeyId of alias "+id, "which key it names is "+atDeployment))
		}
		return nil
	}
	for _, k := range targets {
		d := r.decl[k]
		if u, found := unknownIn(name); found {
			d.cannotKnow(keystate.ListAliases, u.explain("the AliasName of "+id, atDeployment))
			continue
		}
		s, err := str(name)
		if err != nil {
			return fmt.Errorf("AliasName: %w", err)
		}
		if !strings.HasPrefix(s, "alias/") {
			return fmt.Errorf("AliasName %q must begin with alias/", s)
		}
		if cond != nil {
			d.cannotKnow(keystate.ListAliases, "alias "+s+" exists only if its condition "+cname+" holds, which depends on "+strings.Join(cond.why, " and "))
			continue
		}
		d.aliases = append(d.aliases, s)
		if r.aliasLines == nil {
			r.aliasLines = map[string]int{}
		}
		if _, seen := r.aliasLines[k]; !seen {
			r.aliasLines[k] = r.t.resources.line(id)
		}
	}
	return nil
}

// keyRef is the logical ID a TargetKeyId names by structure: !Ref Key,
// !GetAtt Key.Arn, !GetAtt Key.KeyId, !Sub ${Key} or ${Key.Arn}.
func keyRef(v any) (string, bool) {
	o, ok := v.(*object)
	if !ok || len(o.keys) != 1 {
		return "", false
	}
	switch arg := o.vals[o.keys[0]]; o.keys[0] {
	case "Ref":
		s, ok := arg.(string)
		return s, ok
	case "Fn::GetAtt":
		list, ok := arg.([]any)
		if !ok || len(list) != 2 {
			return "", false
		}
		res, ok1 := list[0].(string)
		attr, ok2 := list[1].(string)
		return res, ok1 && ok2 && (attr == "Arn" || attr == "KeyId")
	case "Fn::Sub":
		s, ok := arg.(string)
		if !ok || !strings.HasPrefix(s, "${") || !strings.HasSuffix(s, "}") || strings.Count(s, "${") != 1 {
			return "", false
		}
		name := strings.TrimSuffix(strings.TrimSuffix(s[2:len(s)-1], ".Arn"), ".KeyId")
		return name, !strings.Contains(name, ".")
	}
	return "", false
}

func str(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	}
	return "", fmt.Errorf("want a string, got %s", typeName(v))
}

// boolean reads a Boolean property as CloudFormation does: true, false, or
// their text (YAML 1.1's yes/no/on/off too).
func boolean(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(x) {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		}
	}
	return false, fmt.Errorf("want true or false, got %v", v)
}

// integer reads an Integer property and holds it to the range KMS accepts.
func integer(v any, lo, hi int) (int, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, fmt.Errorf("want a whole number, got %s", typeName(v))
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("want a whole number, got %q", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return n, nil
}

func cfnTags(v any) ([]tag, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of Key and Value, got %s", typeName(v))
	}
	tags := []tag{}
	seen := map[string]bool{}
	for i, e := range list {
		o, ok := e.(*object)
		if !ok {
			return nil, fmt.Errorf("[%d] is %s, not Key and Value", i, typeName(e))
		}
		k, err1 := str(o.vals["Key"])
		val, err2 := str(o.vals["Value"])
		if err1 != nil || err2 != nil || len(o.keys) != 2 {
			return nil, fmt.Errorf("[%d] must hold exactly Key and Value, both strings", i)
		}
		if seen[k] {
			return nil, fmt.Errorf("tag %q is given twice", k)
		}
		seen[k] = true
		tags = append(tags, tag{k, val})
	}
	return tags, nil
}

// policyText is the key policy as KMS would store it: a JSON document. A
// string property holds the JSON itself.
func policyText(v any) (string, error) {
	if s, ok := v.(string); ok {
		var doc any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return "", fmt.Errorf("the policy string is not JSON: %v", err)
		}
		if _, ok := doc.(map[string]any); !ok {
			return "", errors.New("the policy is not a JSON object")
		}
		return s, nil
	}
	if _, ok := v.(*object); !ok {
		return "", fmt.Errorf("want a policy document, got %s", typeName(v))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// checkRules refuses, as CloudFormation would, a deployment whose Rules
// assert something false: the template's own statement that these values
// are wrong (a region other than the platform's, say). A rule that uses a
// function beyond the condition functions, or an unknown value, is left to
// CloudFormation.
func (t *cfnTemplate) checkRules(top *object) error {
	v, ok := top.get("Rules")
	if !ok {
		return nil
	}
	rules, ok := v.(*object)
	if !ok {
		return fmt.Errorf("Rules is %s, not a mapping", typeName(v))
	}
	for _, name := range rules.keys {
		rule, _ := rules.vals[name].(*object)
		if cond, ok := rule.get("RuleCondition"); ok {
			if holds, err := t.condExpr(cond, 0); err != nil || holds != true {
				continue
			}
		}
		asserts, _ := rule.val("Assertions").([]any)
		for _, a := range asserts {
			ao, _ := a.(*object)
			expr, ok := ao.get("Assert")
			if !ok {
				continue
			}
			if holds, err := t.condExpr(expr, 0); err == nil && holds == false {
				why, _ := ao.val("AssertDescription").(string)
				if why == "" {
					why = "its assertion is false"
				}
				return fmt.Errorf("rule %s refuses these values: %s", name, why)
			}
		}
	}
	return nil
}

// ReadParameters reads a parameters file as `aws cloudformation
// create-stack --parameters file://FILE` takes it
// ([{"ParameterKey": "K", "ParameterValue": "V"}]), or as a template
// configuration file ({"Parameters": {"K": "V"}}).
func ReadParameters(data []byte) (map[string]string, error) {
	out := map[string]string{}
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "{") {
		var conf struct {
			Parameters map[string]string
			Tags       map[string]string
		}
		dec := json.NewDecoder(strings.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&conf); err != nil {
			return nil, fmt.Errorf("not a template configuration file ({\"Parameters\": {\"Name\": \"value\"}}): %v", err)
		}
		return conf.Parameters, nil
	}
	var list []struct {
		ParameterKey     *string
		ParameterValue   *string
		UsePreviousValue bool
		ResolvedValue    string
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("not a parameters file ([{\"ParameterKey\": ..., \"ParameterValue\": ...}]): %v", err)
	}
	for i, p := range list {
		switch {
		case p.ParameterKey == nil || *p.ParameterKey == "":
			return nil, fmt.Errorf("[%d] has no ParameterKey", i)
		case p.UsePreviousValue:
			return nil, fmt.Errorf("%s: UsePreviousValue names a value a deployed stack holds; give the value itself", *p.ParameterKey)
		case p.ParameterValue == nil:
			return nil, fmt.Errorf("%s has no ParameterValue", *p.ParameterKey)
		}
		if _, dup := out[*p.ParameterKey]; dup {
			return nil, fmt.Errorf("%s is given twice", *p.ParameterKey)
		}
		out[*p.ParameterKey] = *p.ParameterValue
	}
	return out, nil
}
