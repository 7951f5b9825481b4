package iac

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// MaxPlanSize bounds a plan file.
const MaxPlanSize = 64 << 20

// The AWS provider's key resources, and the ones that attach to a key.
const (
	tfKey         = "aws_kms_key"
	tfReplicaKey  = "aws_kms_replica_key"
	tfExternalKey = "aws_kms_external_key"
	tfAlias       = "aws_kms_alias"
	tfKeyPolicy   = "aws_kms_key_policy"
	tfGrant       = "aws_kms_grant"
)

var tfKeyTypes = []string{tfKey, tfReplicaKey, tfExternalKey}

const afterApply = "known after apply"

// ReadTerraformPlan reads a plan as `terraform show -json PLANFILE` prints
// it, with HashiCorp's terraform-json, and returns every key the plan
// leaves (aws_kms_key, aws_kms_replica_key, aws_kms_external_key) with the
// aws_kms_alias, aws_kms_key_policy and aws_kms_grant resources that name
// it, in the plan's order. An error is a file that is not such a plan, or
// one with no key.
func ReadTerraformPlan(file string, data []byte, opts Options) ([]*Key, error) {
	if len(data) > MaxPlanSize {
		return nil, fmt.Errorf("the plan is %d bytes, more than the %d read", len(data), MaxPlanSize)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("the plan is not valid UTF-8")
	}
	var head struct {
		FormatVersion   *string         `json:"format_version"`
		PlannedValues   json.RawMessage `json:"planned_values"`
		ResourceChanges json.RawMessage `json:"resource_changes"`
		Values          json.RawMessage `json:"values"`
		Errored         bool            `json:"errored"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("the plan is not a JSON object (terraform show -json PLANFILE): %v", err)
	}
	switch {
	case head.FormatVersion == nil:
		return nil, errors.New("the file has no format_version: it is not the output of terraform show -json")
	case head.PlannedValues == nil && head.ResourceChanges == nil && head.Values != nil:
		return nil, errors.New("the file is a state (terraform show -json of a state), not a plan: run terraform plan -out=PLANFILE, then terraform show -json PLANFILE")
	case head.Errored:
		return nil, errors.New("the plan is marked errored: Terraform could not plan it (see terraform plan's output), so it says nothing reliable")
	}
	var plan tfjson.Plan
	plan.UseJSONNumber(true)
	if err := json.Unmarshal(data, &plan); err != nil {
		// terraform-json holds the format version to the range it reads.
		return nil, fmt.Errorf("format_version %q: %v (terraform show -json writes 1.x; cmkcheck reads what terraform-json reads, %s)",
			*head.FormatVersion, err, tfjson.PlanFormatVersionConstraints)
	}
	p := &tfPlan{plan: &plan, file: file, opts: opts}
	return p.keys()
}

type tfPlan struct {
	plan *tfjson.Plan
	file string
	opts Options

	kept    []*tfKeyRes // the keys the plan makes or keeps: what the checks are given
	notes   []string
	account string // the plan's own, when it tells
}

// tfRes is one resource instance of the plan: its planned values, which of
// them are unknown, and its configuration (for what it references).
type tfRes struct {
	rc      *tfjson.ResourceChange
	after   map[string]any
	unknown map[string]any
	config  *tfjson.ConfigResource
	modPath []string // the module calls it is in, without instance keys
	plan    *tfPlan
}

type tfKeyRes struct {
	*tfRes
	d *declared
}

func (p *tfPlan) keys() ([]*Key, error) {
	var found []string
	for _, rc := range p.plan.ResourceChanges {
		if rc == nil || rc.Mode != tfjson.ManagedResourceMode || !strings.HasPrefix(rc.Type, "aws_kms_") {
			continue
		}
		found = append(found, rc.Address)
	}
	var deferred []*tfjson.ResourceChange
	for _, dc := range p.plan.DeferredChanges {
		if dc != nil && dc.ResourceChange != nil && slices.Contains(tfKeyTypes, dc.ResourceChange.Type) {
			deferred = append(deferred, dc.ResourceChange)
		}
	}
	if err := p.findAccount(); err != nil {
		return nil, err
	}
	var attach []*tfRes
	for _, rc := range p.plan.ResourceChanges {
		if rc == nil || rc.Mode != tfjson.ManagedResourceMode || rc.Change == nil {
			continue
		}
		isKey := slices.Contains(tfKeyTypes, rc.Type)
		if !isKey && rc.Type != tfAlias && rc.Type != tfKeyPolicy && rc.Type != tfGrant {
			continue
		}
		acts := rc.Change.Actions
		if acts.Delete() || acts.Forget() {
			if isKey {
				p.notes = append(p.notes, fmt.Sprintf("not judged: %s, which the plan %s", rc.Address, map[bool]string{true: "destroys", false: "forgets"}[acts.Delete()]))
			}
			continue
		}
		r, err := p.res(rc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rc.Address, err)
		}
		if isKey {
			k, err := p.key(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rc.Address, err)
			}
			p.kept = append(p.kept, k)
		} else {
			attach = append(attach, r)
		}
	}
	for _, rc := range deferred {
		r := &tfRes{rc: rc, modPath: modulePath(rc.ModuleAddress)}
		k := &tfKeyRes{tfRes: r, d: newDeclared("aws", "", "")}
		if err := p.place(k); err != nil {
			return nil, fmt.Errorf("%s: %w", rc.Address, err)
		}
		for _, m := range keystate.Members {
			k.d.cannotKnow(m, "Terraform deferred "+rc.Address+": it could not plan it yet, so nothing of it is known")
		}
		p.kept = append(p.kept, k)
	}
	if len(p.kept) == 0 {
		what := "no aws_kms_ resources at all"
		if len(found) > 0 {
			what = "only " + strings.Join(found, ", ")
		}
		if len(p.notes) > 0 {
			what += "; " + strings.Join(p.notes, "; ")
		}
		return nil, fmt.Errorf("the plan leaves no %s (nor %s, %s): %s", tfKey, tfReplicaKey, tfExternalKey, what)
	}
	for _, r := range attach {
		if err := p.attach(r); err != nil {
			return nil, fmt.Errorf("%s: %w", r.rc.Address, err)
		}
	}
	if p.plan.Complete != nil && !*p.plan.Complete {
		p.notes = append(p.notes, "the plan is not complete (-target, or changes Terraform deferred): what it leaves out is not judged")
	}
	keys := make([]*Key, 0, len(p.kept))
	for _, k := range p.kept {
		notes := append([]string{fmt.Sprintf("judged in account %s, region %s", k.d.account, k.d.region)}, p.notes...)
		keys = append(keys, k.d.key(keystate.KindTerraformPlan, p.file, k.rc.Address, notes))
	}
	return keys, nil
}

// findAccount is the account the plan itself names: the caller identity
// Terraform read while planning, or the ARN of a key that exists.
func (p *tfPlan) findAccount() error {
	seen := map[string]string{}
	if ps := p.plan.PriorState; ps != nil && ps.Values != nil {
		walkModules(ps.Values.RootModule, func(r *tfjson.StateResource) {
			if r.Mode == tfjson.DataResourceMode && r.Type == "aws_caller_identity" {
				if a, ok := r.AttributeValues["account_id"].(string); ok && awsid.IsAccountID(a) {
					seen[a] = "data." + strings.TrimPrefix(r.Address, "data.")
				}
			}
		})
	}
	for _, rc := range p.plan.ResourceChanges {
		if rc == nil || rc.Change == nil || !slices.Contains(tfKeyTypes, rc.Type) {
			continue
		}
		for _, v := range []any{rc.Change.Before, rc.Change.After} {
			m, _ := v.(map[string]any)
			if arn, ok := m["arn"].(string); ok {
				if a, err := awsid.ParseARN(arn); err == nil && awsid.IsAccountID(a.Account) {
					seen[a.Account] = rc.Address + ".arn"
				}
			}
		}
	}
	var all []string
	for a, where := range seen {
		all = append(all, a+" ("+where+")")
	}
	sort.Strings(all)
	switch {
	case len(seen) == 0:
	case p.opts.Account != "":
		if _, ok := seen[p.opts.Account]; !ok && len(seen) == 1 {
			return fmt.Errorf("the account given (%s) is not the plan's: %s", p.opts.Account, strings.Join(all, ", "))
		}
		p.account = p.opts.Account
	case len(seen) == 1:
		for a := range seen {
			p.account = a
		}
	default:
		return fmt.Errorf("the plan names more than one account: %s; give the one its new keys are made in (--account)", strings.Join(all, ", "))
	}
	return nil
}

func walkModules(m *tfjson.StateModule, f func(*tfjson.StateResource)) {
	if m == nil {
		return
	}
	for _, r := range m.Resources {
		if r != nil {
			f(r)
		}
	}
	for _, c := range m.ChildModules {
		walkModules(c, f)
	}
}

func (p *tfPlan) res(rc *tfjson.ResourceChange) (*tfRes, error) {
	after, ok := rc.Change.After.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("change.after is %T, not an object", rc.Change.After)
	}
	unknown, _ := rc.Change.AfterUnknown.(map[string]any)
	if unknown == nil {
		unknown = map[string]any{}
	}
	r := &tfRes{rc: rc, after: after, unknown: unknown, modPath: modulePath(rc.ModuleAddress), plan: p}
	r.config = p.configResource(r.modPath, rc.Type+"."+rc.Name)
	return r, nil
}

// configModule finds a module's configuration by its call path.
func (p *tfPlan) configModule(path []string) *tfjson.ConfigModule {
	if p.plan.Config == nil {
		return nil
	}
	m := p.plan.Config.RootModule
	for _, name := range path {
		if m == nil || m.ModuleCalls[name] == nil {
			return nil
		}
		m = m.ModuleCalls[name].Module
	}
	return m
}

func (p *tfPlan) configResource(path []string, addr string) *tfjson.ConfigResource {
	m := p.configModule(path)
	if m == nil {
		return nil
	}
	for _, r := range m.Resources {
		if r != nil && r.Address == addr && r.Mode == tfjson.ManagedResourceMode {
			return r
		}
	}
	return nil
}

// modulePath splits module.a["x"].module.b into [a b]: the calls, without
// the instance keys that configuration does not have.
func modulePath(addr string) []string {
	var path []string
	for addr != "" {
		if !strings.HasPrefix(addr, "module.") {
			break
		}
		addr = addr[len("module."):]
		end := strings.IndexAny(addr, ".[")
		if end < 0 {
			path = append(path, addr)
			break
		}
		path = append(path, addr[:end])
		addr = addr[end:]
		if strings.HasPrefix(addr, "[") {
			addr = skipIndex(addr)
		}
		addr = strings.TrimPrefix(addr, ".")
	}
	return path
}

// skipIndex skips one [key] (a number or a quoted string) at the start.
func skipIndex(s string) string {
	if !strings.HasPrefix(s, "[") {
		return s
	}
	if strings.HasPrefix(s, `["`) {
		for i := 2; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return strings.TrimPrefix(s[i+1:], "]")
			}
		}
		return ""
	}
	if i := strings.Index(s, "]"); i >= 0 {
		return s[i+1:]
	}
	return ""
}

// attrState is what the plan says of one attribute.
type attrState int

const (
	attrKnown   attrState = iota
	attrUnset             // computed, not in the configuration: the provider sends nothing, AWS's default applies
	attrUnknown           // configured, and known only after apply
)

// attr is an attribute's planned value, or why it is not known yet.
func (r *tfRes) attr(name string) (any, attrState, string) {
	if u, ok := r.unknown[name]; ok && holdsTrue(u) {
		if u == true && r.config != nil && !configured(r.config, name) {
			return nil, attrUnset, ""
		}
		why := name + " is " + afterApply
		refs := r.references(name)
		if r.plan != nil {
			// Name what is unknown, not the data Terraform already read.
			var open []string
			for _, ref := range refs {
				if !r.plan.knownRef(r.modPath, ref) {
					open = append(open, ref)
				}
			}
			if len(open) > 0 {
				refs = open
			}
		}
		if len(refs) > 0 {
			why += " (it uses " + strings.Join(refs, ", ") + ")"
		}
		return nil, attrUnknown, why
	}
	return r.after[name], attrKnown, ""
}

func holdsTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		for _, e := range x {
			if holdsTrue(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsTrue(e) {
				return true
			}
		}
	}
	return false
}

// configured says whether the configuration sets an attribute. Set to
// null is not set: Terraform leaves a computed attribute to the provider.
func configured(c *tfjson.ConfigResource, name string) bool {
	e, ok := c.Expressions[name]
	if !ok || e == nil {
		return false
	}
	return e.ConstantValue != nil || len(e.References) > 0 || len(e.NestedBlocks) > 0
}

// references are what an attribute's expression refers to, most specific
// first ("aws_iam_role.admin.arn", not also "aws_iam_role.admin").
func (r *tfRes) references(name string) []string {
	if r.config == nil || r.config.Expressions[name] == nil {
		return nil
	}
	refs := r.config.Expressions[name].References
	var out []string
	for _, ref := range refs {
		redundant := false
		for _, other := range refs {
			if other != ref && (strings.HasPrefix(other, ref+".") || strings.HasPrefix(other, ref+"[")) {
				redundant = true
			}
		}
		if !redundant && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// place fills the key's account and region: the caller's, else what the
// resource or plan says, else the defaults.
func (p *tfPlan) place(k *tfKeyRes) error {
	region := ""
	if k.after != nil {
		// AWS provider 6 has a region attribute on every resource.
		if s, ok := k.after["region"].(string); ok {
			region = s
		}
	}
	if region == "" {
		region = p.providerRegion(k.tfRes)
	}
	account := p.account
	explicit := Options{Account: p.opts.Account, Region: p.opts.Region, DefaultAccount: p.opts.DefaultAccount, DefaultRegion: p.opts.DefaultRegion}
	if arn, ok := k.after["arn"].(string); ok {
		// A key that exists is where its ARN says, whatever is given.
		if a, err := awsid.ParseARN(arn); err == nil {
			if p.opts.Account != "" && p.opts.Account != a.Account {
				return fmt.Errorf("the account given (%s) is not the key's: its arn is %s", p.opts.Account, arn)
			}
			account, region = a.Account, a.Region
			explicit.Account = ""
		}
	}
	if p.opts.Region != "" && region != "" && p.opts.Region != region {
		return fmt.Errorf("the region given (%s) is not the plan's: the key is planned in %s", p.opts.Region, region)
	}
	acct, reg, err := explicit.place(account, region)
	if err != nil {
		return err
	}
	k.d.account, k.d.region, k.d.partition = acct, reg, awsid.PartitionOf(reg)
	return nil
}

// providerRegion is the region of the provider configuration a resource
// uses, when it is a constant or a root variable.
func (p *tfPlan) providerRegion(r *tfRes) string {
	if p.plan.Config == nil || r.config == nil {
		return ""
	}
	pc := p.plan.Config.ProviderConfigs[r.config.ProviderConfigKey]
	if pc == nil {
		// A module's resources name the root's provider by its local key.
		for _, c := range p.plan.Config.ProviderConfigs {
			if c != nil && c.Name == "aws" && c.Alias == "" && c.ModuleAddress == "" {
				pc = c
			}
		}
	}
	if pc == nil || pc.Expressions["region"] == nil {
		return ""
	}
	e := pc.Expressions["region"]
	if s, ok := e.ConstantValue.(string); ok {
		return s
	}
	if len(e.References) > 0 && strings.HasPrefix(e.References[0], "var.") && pc.ModuleAddress == "" {
		if v := p.plan.Variables[strings.TrimPrefix(e.References[0], "var.")]; v != nil {
			if s, ok := v.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// key reads one key resource.
func (p *tfPlan) key(r *tfRes) (*tfKeyRes, error) {
	k := &tfKeyRes{tfRes: r, d: newDeclared("aws", "", "")}
	if err := p.place(k); err != nil {
		return nil, err
	}
	d := k.d
	dk := keystate.DescribeKey
	var errs []error
	// get reads an attribute into a member: unknown makes the member
	// unknown; unset keeps the default already in d.
	get := func(name, member string, set func(v any) error) {
		v, st, why := r.attr(name)
		switch st {
		case attrUnknown:
			d.cannotKnow(member, why)
		case attrKnown:
			if v == nil {
				return // null: not set, the default applies
			}
			if err := set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	setStr := func(dst *string) func(any) error { return func(v any) (err error) { *dst, err = str(v); return } }
	setBool := func(dst *bool) func(any) error { return func(v any) (err error) { *dst, err = boolean(v); return } }

	if id, ok := r.after["key_id"].(string); ok && id != "" {
		d.keyID = id
	}
	if arn, ok := r.after["arn"].(string); ok && arn != "" {
		d.arn = arn
	}
	get("description", dk, setStr(&d.description))
	get("multi_region", dk, setBool(&d.multiRegion))
	switch r.rc.Type {
	case tfKey:
		get("customer_master_key_spec", dk, setStr(&d.keySpec))
		get("key_usage", dk, setStr(&d.keyUsage))
		get("is_enabled", dk, setBool(&d.enabled))
		var store, xks string
		get("custom_key_store_id", dk, setStr(&store))
		get("xks_key_id", dk, setStr(&xks))
		switch {
		case xks != "":
			d.origin = "EXTERNAL_KEY_STORE"
		case store != "":
			d.origin = "AWS_CLOUDHSM"
		}
		get("enable_key_rotation", keystate.GetKeyRotationStatus, setBool(&d.rotation))
		get("rotation_period_in_days", keystate.GetKeyRotationStatus, func(v any) (err error) {
			d.rotationPeriod, err = integer(v, 90, 2560)
			return
		})
	case tfReplicaKey:
		// The replica's spec, usage and rotation are its primary's: known
		// in the plan only once the replica exists.
		d.multiRegion = true
		get("enabled", dk, setBool(&d.enabled))
		for _, name := range []string{"key_spec", "key_usage"} {
			if _, st, _ := r.attr(name); st != attrKnown {
				d.cannotKnow(dk, name+" is "+afterApply+": a replica key's is its primary key's (primary_key_arn)")
			}
		}
		get("key_spec", dk, setStr(&d.keySpec))
		get("key_usage", dk, setStr(&d.keyUsage))
		if _, st, _ := r.attr("key_rotation_enabled"); st != attrKnown {
			d.cannotKnow(keystate.GetKeyRotationStatus, "key_rotation_enabled is "+afterApply+": a replica key's rotation is its primary key's (primary_key_arn)")
		}
		get("key_rotation_enabled", keystate.GetKeyRotationStatus, setBool(&d.rotation))
	case tfExternalKey:
		d.origin = "EXTERNAL"
		get("key_spec", dk, setStr(&d.keySpec))
		get("key_usage", dk, setStr(&d.keyUsage))
		get("enabled", dk, setBool(&d.enabled))
		if v, st, _ := r.attr("key_material_base64"); st == attrKnown && v == nil {
			d.keyState, d.enabled = "PendingImport", false // no material: KMS waits for its import
		}
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	if d.rotation && d.rotationPeriod == 0 {
		d.rotationPeriod = 365 // KMS's default
	}
	if d.multiRegion && d.keyID != "" && !strings.HasPrefix(d.keyID, "mrk-") {
		return nil, fmt.Errorf("multi_region is true, but the key ID %s is not a multi-Region key's", d.keyID)
	}

	switch v, st, why := r.attr("policy"); st {
	case attrUnknown:
		d.cannotKnow(keystate.GetKeyPolicy, why)
	case attrUnset:
		d.policy = DefaultPolicy(d.partition, d.account)
	case attrKnown:
		s, ok := v.(string)
		if !ok || s == "" {
			d.policy = DefaultPolicy(d.partition, d.account)
			break
		}
		if _, err := policyText(s); err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		d.policy = s
	}
	// tags_all is what AWS gets: the resource's tags and the provider's
	// default_tags. Without it (an older plan), the tags.
	tagAttr := "tags_all"
	if _, ok := r.after[tagAttr]; !ok && r.unknown[tagAttr] == nil {
		tagAttr = "tags"
	}
	switch v, st, why := r.attr(tagAttr); st {
	case attrUnknown:
		d.cannotKnow(keystate.ListResourceTags, why)
	case attrUnset:
		d.cannotKnow(keystate.ListResourceTags, tagAttr+" is "+afterApply)
	case attrKnown:
		tags, err := tfTags(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tagAttr, err)
		}
		d.tags = tags
	}
	return k, nil
}

func tfTags(v any) ([]tag, error) {
	if v == nil {
		return []tag{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a map of strings, got %T", v)
	}
	tags := []tag{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, ok := m[k].(string)
		if !ok {
			return nil, fmt.Errorf("tag %q is %T, not a string", k, m[k])
		}
		tags = append(tags, tag{k, s})
	}
	return tags, nil
}

// attach gives an alias, key policy or grant to the key it names.
func (p *tfPlan) attach(r *tfRes) error {
	keyAttr := "key_id"
	if r.rc.Type == tfAlias {
		keyAttr = "target_key_id"
	}
	member := map[string]string{tfAlias: keystate.ListAliases, tfKeyPolicy: keystate.GetKeyPolicy, tfGrant: keystate.ListGrants}[r.rc.Type]
	targets, why := p.targets(r, keyAttr)
	if why != "" {
		// Which key it names is not known: it could be any of these.
		for _, k := range targets {
			k.d.cannotKnow(member, r.rc.Address+"'s "+keyAttr+" is "+afterApply+" and could name this key ("+why+")")
		}
		return nil
	}
	for _, k := range targets {
		if err := p.give(r, k); err != nil {
			return err
		}
	}
	return nil
}

// targets are the keys of the plan an attribute names: by value when it is
// known, else by what the configuration refers to. A non-empty why means
// the target is not certain and every key returned might be it.
func (p *tfPlan) targets(r *tfRes, attr string) ([]*tfKeyRes, string) {
	v, st, why := r.attr(attr)
	if st == attrKnown {
		s, _ := v.(string)
		var out []*tfKeyRes
		for _, k := range p.kept {
			if s != "" && (s == k.d.keyID || s == k.d.arn) {
				out = append(out, k)
			}
		}
		return out, "" // no key of the plan: an existing key elsewhere
	}
	var cands []*tfKeyRes
	seen := map[string]bool{}
	for _, ref := range r.references(attr) {
		for _, addr := range p.resolveRef(r.modPath, ref, 0) {
			for _, k := range p.kept {
				if k.config != nil && slices.Equal(k.modPath, addr.path) && k.rc.Type+"."+k.rc.Name == addr.res && !seen[k.rc.Address] {
					seen[k.rc.Address] = true
					cands = append(cands, k)
				}
			}
		}
	}
	if len(cands) > 1 {
		// One instance per instance: aws_kms_alias.x["a"] names
		// aws_kms_key.y["a"] when both repeat over the same keys.
		var same []*tfKeyRes
		for _, k := range cands {
			if k.rc.ModuleAddress == r.rc.ModuleAddress && fmt.Sprint(k.rc.Index) == fmt.Sprint(r.rc.Index) {
				same = append(same, k)
			}
		}
		if len(same) == 1 {
			return same, ""
		}
	}
	switch len(cands) {
	case 1:
		return cands, ""
	case 0:
		return p.kept, why + "; the configuration does not say which key"
	}
	return cands, why + "; it refers to " + cands[0].rc.Type + "." + cands[0].rc.Name + ", which has several instances"
}

type configAddr struct {
	path []string
	res  string // type.name
}

// resolveRef follows a reference to the key resources it can stand for:
// directly, through a module's output, or through a module's variable.
func (p *tfPlan) resolveRef(path []string, ref string, depth int) []configAddr {
	if depth > maxDepth {
		return nil
	}
	parts := splitRef(ref)
	switch {
	case len(parts) >= 2 && slices.Contains(tfKeyTypes, parts[0]):
		return []configAddr{{path: path, res: parts[0] + "." + parts[1]}}
	case len(parts) >= 3 && parts[0] == "module":
		m := p.configModule(path)
		if m == nil || m.ModuleCalls[parts[1]] == nil || m.ModuleCalls[parts[1]].Module == nil {
			return nil
		}
		out := m.ModuleCalls[parts[1]].Module.Outputs[parts[2]]
		if out == nil || out.Expression == nil {
			return nil
		}
		var addrs []configAddr
		child := append(slices.Clone(path), parts[1])
		for _, r := range out.Expression.References {
			addrs = append(addrs, p.resolveRef(child, r, depth+1)...)
		}
		return addrs
	case len(parts) >= 2 && parts[0] == "var" && len(path) > 0:
		parent := p.configModule(path[:len(path)-1])
		if parent == nil || parent.ModuleCalls[path[len(path)-1]] == nil {
			return nil
		}
		e := parent.ModuleCalls[path[len(path)-1]].Expressions[parts[1]]
		if e == nil {
			return nil
		}
		var addrs []configAddr
		for _, r := range e.References {
			addrs = append(addrs, p.resolveRef(path[:len(path)-1], r, depth+1)...)
		}
		return addrs
	}
	return nil
}

// splitRef splits a reference on its dots, dropping instance keys:
// module.kms["a"].key_arn is [module kms key_arn].
func splitRef(ref string) []string {
	var parts []string
	for ref != "" {
		end := strings.IndexAny(ref, ".[")
		if end < 0 {
			parts = append(parts, ref)
			break
		}
		parts = append(parts, ref[:end])
		ref = ref[end:]
		if strings.HasPrefix(ref, "[") {
			ref = skipIndex(ref)
		}
		ref = strings.TrimPrefix(ref, ".")
	}
	return parts
}

// give adds what an alias, key policy or grant contributes to a key.
func (p *tfPlan) give(r *tfRes, k *tfKeyRes) error {
	d := k.d
	switch r.rc.Type {
	case tfAlias:
		v, st, why := r.attr("name")
		switch {
		case st == attrUnknown || st == attrUnset:
			if why == "" {
				why = "name is " + afterApply
			}
			if prefix, ok := r.after["name_prefix"].(string); ok && prefix != "" {
				why += " (name_prefix " + prefix + ")"
			}
			d.cannotKnow(keystate.ListAliases, r.rc.Address+": "+why)
		default:
			s, err := str(v)
			if err != nil || !strings.HasPrefix(s, "alias/") {
				return fmt.Errorf("name %v is not an alias name (alias/...)", v)
			}
			d.aliases = append(d.aliases, s)
		}
	case tfKeyPolicy:
		v, st, why := r.attr("policy")
		if st != attrKnown {
			if why == "" {
				why = "policy is " + afterApply
			}
			d.cannotKnow(keystate.GetKeyPolicy, r.rc.Address+": "+why)
			return nil
		}
		s, err := str(v)
		if err == nil {
			_, err = policyText(s)
		}
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		if k.config != nil && configured(k.config, "policy") {
			p.notes = append(p.notes, fmt.Sprintf("%s sets the policy of %s, which sets one too: the provider warns that they overwrite each other; judged: %s's", r.rc.Address, k.rc.Address, r.rc.Address))
		}
		delete(d.unknown, keystate.GetKeyPolicy) // the key's own policy attribute is replaced
		d.policy = s
	case tfGrant:
		g := grant{}
		for _, f := range []struct {
			name string
			dst  *string
		}{{"grantee_principal", &g.grantee}, {"retiring_principal", &g.retiring}, {"name", &g.name}, {"grant_id", &g.id}} {
			v, st, why := r.attr(f.name)
			if st == attrUnknown && f.name != "grant_id" {
				d.cannotKnow(keystate.ListGrants, r.rc.Address+": "+why)
				return nil
			}
			if s, ok := v.(string); ok {
				*f.dst = s
			}
		}
		v, st, why := r.attr("operations")
		if st != attrKnown {
			d.cannotKnow(keystate.ListGrants, r.rc.Address+": "+why)
			return nil
		}
		ops, _ := v.([]any)
		for _, o := range ops {
			if s, ok := o.(string); ok {
				g.operations = append(g.operations, s)
			}
		}
		if g.grantee == "" || len(g.operations) == 0 {
			return errors.New("a grant needs grantee_principal and operations")
		}
		cv, st, why := r.attr("constraints")
		if st == attrUnknown {
			d.cannotKnow(keystate.ListGrants, r.rc.Address+": "+why)
			return nil
		}
		cs, _ := cv.([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			g.equals = strMap(cm["encryption_context_equals"])
			g.subset = strMap(cm["encryption_context_subset"])
		}
		d.grants = append(d.grants, g)
	}
	return nil
}

func strMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, e := range m {
		out[k] = fmt.Sprint(e)
	}
	return out
}

// knownRef says whether a reference is surely known when planning: a root
// variable, a data source Terraform read while planning, or an attribute
// the plan has a value for.
func (p *tfPlan) knownRef(path []string, ref string) bool {
	parts := splitRef(ref)
	switch {
	case len(parts) >= 2 && parts[0] == "var":
		return len(path) == 0
	case len(parts) >= 3 && parts[0] == "data":
		addr := strings.Join(append(modulePrefix(path), "data", parts[1], parts[2]), ".")
		found := false
		if ps := p.plan.PriorState; ps != nil && ps.Values != nil {
			walkModules(ps.Values.RootModule, func(r *tfjson.StateResource) {
				if r.Address == addr || strings.HasPrefix(r.Address, addr+"[") {
					found = true
				}
			})
		}
		return found
	case len(parts) >= 3 && !strings.Contains(parts[0], "module") && parts[0] != "local" && parts[0] != "each" && parts[0] != "count":
		addr := strings.Join(append(modulePrefix(path), parts[0], parts[1]), ".")
		for _, rc := range p.plan.ResourceChanges {
			if rc == nil || rc.Change == nil || (rc.Address != addr && !strings.HasPrefix(rc.Address, addr+"[")) {
				continue
			}
			u, _ := rc.Change.AfterUnknown.(map[string]any)
			if holdsTrue(u[parts[2]]) {
				return false
			}
			return true
		}
	}
	return false
}

// modulePrefix is module.a.module.b for the path [a b] (instance keys
// aside: a reference inside a module names its own instance).
func modulePrefix(path []string) []string {
	var out []string
	for _, m := range path {
		out = append(out, "module", m)
	}
	return out
}
