// Package profile loads what the customer expects of a key: a strict YAML
// file, with CMK_* environment variables overriding its fields.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aep-cmk/cmkcheck/internal/awsid"

	"gopkg.in/yaml.v3"
)

// Shield values.
const (
	ShieldPrivacySecurity = "privacy-security"
	ShieldHealthcare      = "healthcare"
)

// Rotation period limits of KMS, and the default maximum.
const (
	MinRotationDays     = 90
	MaxRotationDays     = 2560
	DefaultRotationDays = 365
)

// Profile is the customer's expectation. Unset optional lists are nil.
type Profile struct {
	Key                     string            `yaml:"key"`
	Region                  string            `yaml:"region"`
	KeyAdministrators       []string          `yaml:"key_administrators"`
	KeyUsers                []string          `yaml:"key_users"`
	AllowKeyDeletion        *bool             `yaml:"allow_key_deletion"`
	AdobePrincipals         []string          `yaml:"adobe_principals"`
	AllowedExternalAccounts []string          `yaml:"allowed_external_accounts"`
	RequiredTags            map[string]string `yaml:"required_tags"`
	AliasPattern            string            `yaml:"alias_pattern"`
	RotationRequired        bool              `yaml:"rotation_required"`
	MaxRotationPeriodDays   int               `yaml:"max_rotation_period_days"`
	Roundtrip               bool              `yaml:"roundtrip"`
	Shield                  string            `yaml:"shield"`
	// MonitoringRequired makes CMK-MON-1 (alerting on the key's disabling
	// and deletion) required.
	MonitoringRequired bool `yaml:"monitoring_required"`
	// BreakGlass lists the account's emergency IAM users and roles, allowed
	// to hold key-admin rights beyond the administrators (CMK-ADM-4).
	BreakGlass []string `yaml:"break_glass"`

	// Source is the file it came from ("" when none) and Content its bytes,
	// kept so reports can record exactly what was evaluated against.
	Source  string `yaml:"-"`
	Content []byte `yaml:"-"`
	// Overrides lists the environment variables that changed a field.
	Overrides []string `yaml:"-"`
}

// Valid is a profile that passed Validate: the only form the checks accept.
// Its field is unexported, so it comes only from Load, Parse, Default or
// Validate, and a profile that skipped validation (an alias_pattern never
// compiled, a rotation maximum of 0) cannot reach an evaluation. The zero
// Valid is the default profile.
type Valid struct {
	p       *Profile // nil: the default profile
	aliasRE *regexp.Regexp
}

// Default is the empty profile, validated: no expectations beyond the
// guide's, the default rotation maximum.
func Default() Valid { return Valid{p: withDefaults(&Profile{})} }

// withDefaults fills in what an unset field means; the one place defaults
// are written.
func withDefaults(p *Profile) *Profile {
	if p.MaxRotationPeriodDays == 0 {
		p.MaxRotationPeriodDays = DefaultRotationDays
	}
	return p
}

// Profile returns a copy of the validated fields, to read. Changing the
// copy changes nothing validated; pass it to Validate for a new Valid.
func (v Valid) Profile() *Profile {
	if v.p == nil {
		return Default().Profile()
	}
	return v.p.clone()
}

// AliasRE is the compiled alias_pattern, nil when none is set.
func (v Valid) AliasRE() *regexp.Regexp { return v.aliasRE }

// clone copies p deeply, so no list or map is shared with the copy.
func (p *Profile) clone() *Profile {
	c := *p
	c.KeyAdministrators = slices.Clone(p.KeyAdministrators)
	c.KeyUsers = slices.Clone(p.KeyUsers)
	c.BreakGlass = slices.Clone(p.BreakGlass)
	c.AdobePrincipals = slices.Clone(p.AdobePrincipals)
	c.AllowedExternalAccounts = slices.Clone(p.AllowedExternalAccounts)
	c.RequiredTags = maps.Clone(p.RequiredTags)
	c.Overrides = slices.Clone(p.Overrides)
	c.Content = slices.Clone(p.Content)
	if p.AllowKeyDeletion != nil {
		allow := *p.AllowKeyDeletion
		c.AllowKeyDeletion = &allow
	}
	return &c
}

// MaxProfileSize bounds a profile file.
const MaxProfileSize = 1 << 20

// Load reads a profile file ("" for none), applies the environment (getenv,
// usually os.Getenv) and validates the result. Every error names the field.
func Load(path string, getenv func(string) string) (Valid, error) {
	var content []byte
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Valid{}, fmt.Errorf("profile: %w", err)
		}
		content = b
	}
	p, err := decode(content)
	if err != nil {
		if path != "" {
			return Valid{}, fmt.Errorf("profile %s: %w", path, err)
		}
		return Valid{}, err
	}
	p.Source = path
	if err := p.applyEnv(getenv); err != nil {
		return Valid{}, err
	}
	v, err := p.Validate()
	if err != nil {
		if path != "" {
			return Valid{}, fmt.Errorf("profile %s: %w", path, err)
		}
		return Valid{}, fmt.Errorf("profile: %w", err)
	}
	return v, nil
}

// Parse decodes profile YAML strictly and validates it: an unknown field, a
// wrong type or a bad value is an error naming the field. The environment
// is not read; see Load.
func Parse(content []byte) (Valid, error) {
	p, err := decode(content)
	if err != nil {
		return Valid{}, err
	}
	return p.Validate()
}

// decode is Parse without the validation, for Load to apply the
// environment in between.
func decode(content []byte) (*Profile, error) {
	if len(content) > MaxProfileSize {
		return nil, fmt.Errorf("profile is %d bytes, more than the %d allowed", len(content), MaxProfileSize)
	}
	if !utf8.Valid(content) {
		return nil, errors.New("profile is not valid UTF-8")
	}
	p := &Profile{Content: content}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return p, nil // an empty file is an empty profile
		}
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, errors.New("holds more than one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return p, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a profile is a mapping of fields, got %s", root.Line, kindName(root))
	}
	targets := p.fields()
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		target, ok := targets[name]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown field %q; known fields: %s", k.Line, name, strings.Join(FieldNames(), ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("line %d: field %q is given twice", k.Line, name)
		}
		seen[name] = true
		// yaml.v3 drops a null list item ("- " left empty): an
		// adobe_principals list of one forgotten item would turn into an
		// empty list, and the Adobe checks into SKIPs.
		if v.Kind == yaml.SequenceNode {
			for i, item := range v.Content {
				if item.Kind == yaml.ScalarNode && item.Tag == "!!null" {
					return nil, fmt.Errorf("line %d: field %q[%d]: the item is empty; give a value or remove the item", item.Line, name, i)
				}
			}
		}
		// yaml.v3 truncates 365.5 into an int field without a word.
		if _, isInt := target.(*int); isInt && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!float" {
			return nil, fmt.Errorf("line %d: field %q: %s is not a whole number", v.Line, name, v.Value)
		}
		if err := v.Decode(target); err != nil {
			return nil, fmt.Errorf("line %d: field %q: %s", v.Line, name, typeError(err))
		}
	}
	return p, nil
}

// FieldNames lists the profile fields, sorted.
func FieldNames() []string {
	var names []string
	for n := range (&Profile{}).fields() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// EnvName is the environment variable that overrides a field: CMK_<FIELD>,
// except the key, which is CMK_KEY_ID as users of the suites know it.
func EnvName(field string) string {
	if field == "key" {
		return "CMK_KEY_ID"
	}
	return "CMK_" + strings.ToUpper(field)
}

func (p *Profile) fields() map[string]any {
	return map[string]any{
		"key":                       &p.Key,
		"region":                    &p.Region,
		"key_administrators":        &p.KeyAdministrators,
		"key_users":                 &p.KeyUsers,
		"allow_key_deletion":        &p.AllowKeyDeletion,
		"adobe_principals":          &p.AdobePrincipals,
		"allowed_external_accounts": &p.AllowedExternalAccounts,
		"required_tags":             &p.RequiredTags,
		"alias_pattern":             &p.AliasPattern,
		"rotation_required":         &p.RotationRequired,
		"max_rotation_period_days":  &p.MaxRotationPeriodDays,
		"roundtrip":                 &p.Roundtrip,
		"shield":                    &p.Shield,
		"monitoring_required":       &p.MonitoringRequired,
		"break_glass":               &p.BreakGlass,
	}
}

// applyEnv overrides fields from CMK_<FIELD> variables: lists are
// comma-separated, maps are k=v pairs separated by commas.
func (p *Profile) applyEnv(getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	for _, name := range FieldNames() {
		env := EnvName(name)
		val := getenv(env)
		if val == "" {
			continue
		}
		if err := setFromString(p.fields()[name], val); err != nil {
			return fmt.Errorf("environment variable %s (profile field %q): %w", env, name, err)
		}
		p.Overrides = append(p.Overrides, env)
	}
	return nil
}

func setFromString(target any, val string) error {
	switch t := target.(type) {
	case *string:
		*t = val
	case *[]string:
		*t = splitList(val)
	case *bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("%q is not true or false", val)
		}
		*t = b
	case **bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("%q is not true or false", val)
		}
		*t = &b
	case *int:
		n, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", val)
		}
		*t = n
	case *map[string]string:
		m := map[string]string{}
		for _, pair := range splitList(val) {
			k, v, _ := strings.Cut(pair, "=")
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("%q: every entry is key=value (value may be empty)", val)
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		*t = m
	default:
		return fmt.Errorf("unsupported field type %T", target)
	}
	return nil
}

func splitList(val string) []string {
	var out []string
	for _, s := range strings.Split(val, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Account IDs, regions, partitions and the ARN frame are awsid's; the
// resource parts here are what a profile may name.
var (
	iamPrincipalRE = regexp.MustCompile(`^(user|role)/[\w+=,.@/-]{1,512}$`)
	keyIDRE        = regexp.MustCompile(`^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	keyResourceRE  = regexp.MustCompile(`^(key/.+|alias/[\w/-]+)$`)
	aliasNameRE    = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)
)

// iamARN parses an IAM ARN of a known partition and account (IAM ARNs have
// no region), or says it is not one.
func iamARN(s string) (awsid.ARN, bool) {
	a, err := awsid.ParseARN(s)
	ok := err == nil && awsid.IsPartition(a.Partition) && a.Service == "iam" && a.Region == "" && awsid.IsAccountID(a.Account)
	return a, ok
}

// rootAccount is the account of arn:<partition>:iam::<account>:root, or "".
func rootAccount(s string) string {
	if a, ok := iamARN(s); ok && a.Resource == "root" {
		return a.Account
	}
	return ""
}

func isIAMPrincipal(s string) bool {
	a, ok := iamARN(s)
	return ok && iamPrincipalRE.MatchString(a.Resource)
}

func isKeyARN(s string) bool {
	a, err := awsid.ParseARN(s)
	return err == nil && awsid.IsPartition(a.Partition) && a.Service == "kms" && awsid.IsRegion(a.Region) &&
		awsid.IsAccountID(a.Account) && keyResourceRE.MatchString(a.Resource)
}

// Validate checks every value and returns the validated profile, a copy
// of p with the defaults filled in; the error names the first bad field.
func (p *Profile) Validate() (Valid, error) {
	if p == nil {
		return Default(), nil // no profile is the empty one
	}
	if err := p.check(); err != nil {
		return Valid{}, err
	}
	v := Valid{p: withDefaults(p.clone())}
	if v.p.AliasPattern != "" {
		v.aliasRE = regexp.MustCompile(v.p.AliasPattern) // compiled by check
	}
	return v, nil
}

// check is Validate's test of every value.
func (p *Profile) check() error {
	if p.Key != "" && !keyIDRE.MatchString(p.Key) && !isKeyARN(p.Key) && !aliasNameRE.MatchString(p.Key) {
		return fmt.Errorf("field \"key\": %q is not a key ID, key ARN or alias/NAME", p.Key)
	}
	if p.Region != "" && !awsid.IsRegion(p.Region) {
		return fmt.Errorf("field \"region\": %q is not an AWS region name (like us-east-1)", p.Region)
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"key_administrators", p.KeyAdministrators}, {"key_users", p.KeyUsers}, {"break_glass", p.BreakGlass}} {
		for i, a := range f.list {
			if !isIAMPrincipal(a) {
				return fmt.Errorf("field %q[%d]: %q is not an IAM user or role ARN (arn:aws:iam::123456789012:role/NAME)", f.name, i, a)
			}
		}
	}
	for i, a := range p.AdobePrincipals {
		if !awsid.IsAccountID(a) && rootAccount(a) == "" {
			return fmt.Errorf("field \"adobe_principals\"[%d]: %q is neither a 12-digit account ID nor arn:aws:iam::<account>:root", i, a)
		}
	}
	for i, a := range p.AllowedExternalAccounts {
		if !awsid.IsAccountID(a) {
			return fmt.Errorf("field \"allowed_external_accounts\"[%d]: %q is not a 12-digit account ID", i, a)
		}
	}
	for k := range p.RequiredTags {
		if strings.TrimSpace(k) == "" {
			return errors.New("field \"required_tags\": a tag key is empty")
		}
	}
	if p.AliasPattern != "" {
		if _, err := regexp.Compile(p.AliasPattern); err != nil {
			return fmt.Errorf("field \"alias_pattern\": %v", err)
		}
	}
	if p.MaxRotationPeriodDays != 0 && (p.MaxRotationPeriodDays < MinRotationDays || p.MaxRotationPeriodDays > MaxRotationDays) {
		return fmt.Errorf("field \"max_rotation_period_days\": %d is outside KMS's %d..%d days", p.MaxRotationPeriodDays, MinRotationDays, MaxRotationDays)
	}
	if p.Shield != "" && p.Shield != ShieldPrivacySecurity && p.Shield != ShieldHealthcare {
		return fmt.Errorf("field \"shield\": %q is not %q or %q", p.Shield, ShieldPrivacySecurity, ShieldHealthcare)
	}
	return nil
}

// AdobeAccounts returns the account IDs of adobe_principals.
func (p *Profile) AdobeAccounts() []string {
	var out []string
	for _, a := range p.AdobePrincipals {
		if acct := rootAccount(a); acct != "" {
			out = append(out, acct)
		} else {
			out = append(out, a)
		}
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

// typeError shortens yaml.v3's type errors ("yaml: unmarshal errors:\n  line 3: cannot ...").
func typeError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": cannot unmarshal"); i >= 0 {
		msg = msg[i+2:]
	}
	return strings.TrimSpace(strings.TrimPrefix(msg, "yaml: unmarshal errors:"))
}
