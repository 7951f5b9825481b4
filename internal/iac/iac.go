// Package iac reads a KMS key before it exists. It reads a CloudFormation
// template (cloudformation.go) or a Terraform plan (terraform.go) and gives,
// for each key they declare, the snapshot members a live key would give:
// DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags,
// ListAliases and ListGrants, in the AWS CLI's shape. The checks then judge
// them exactly as they judge a snapshot.
//
// What cannot be known before deployment (a parameter without a default, an
// import, a value Terraform knows only after apply) is never guessed: the
// member that needs it is left out and its problem names the property and
// why, so every check that needs that member is ERROR with that reason.
// The unit is the member, as for a snapshot: an unknown description makes
// every check that reads DescribeKey ERROR, not only CMK-LBL-3.
//
// What a key gets only when it is made is a placeholder, stated as such in
// Notes: its key ID (a UUID derived from the template's logical ID or the
// plan's address, "mrk-" and 32 hex digits for a multi-Region key) and so
// its ARN, in the account and region the caller names.
package iac

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// Options say where the keys will be made: what the template or plan does
// not hold (CloudFormation's AWS::AccountId and AWS::Region), or holds and
// the caller overrides.
type Options struct {
	// Account and Region are where the keys will be made, as the caller
	// states it (--account, --region): they win over everything.
	Account, Region string
	// DefaultAccount and DefaultRegion apply when neither the caller nor
	// the plan says: the account the profile's principals name and the
	// profile's region (where the key must be).
	DefaultAccount, DefaultRegion string
	// Parameters are CloudFormation parameter values, as a deployment
	// would give them (--parameter NAME=VALUE); they win over defaults.
	Parameters map[string]string
}

// place is where a key will be made: the caller's, else the plan's (found,
// may be ""), else the defaults; each checked.
func (o Options) place(foundAccount, foundRegion string) (account, region string, err error) {
	account, region = first(o.Account, foundAccount, o.DefaultAccount), first(o.Region, foundRegion, o.DefaultRegion)
	switch {
	case account == "":
		return "", "", errors.New("the account the key will be made in is not known: give it (--account), or name the administrators or users of that account in the profile")
	case !awsid.IsAccountID(account):
		return "", "", fmt.Errorf("the account %q is not a 12-digit AWS account ID", account)
	case region == "":
		return "", "", errors.New("the region the key will be made in is not known: give it (--region), or the profile's region")
	case !awsid.IsRegion(region):
		return "", "", fmt.Errorf("the region %q is not an AWS region name (like us-east-1)", region)
	}
	return account, region, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// Key is one key a template or plan declares, as the snapshot members a
// live key would give.
type Key struct {
	Kind  string   // keystate.KindCloudFormation or keystate.KindTerraformPlan
	File  string   // the template or plan, as the caller named it
	Name  string   // the logical ID, or the resource address
	Notes []string // what was assumed, in words for the report's reader

	answers map[string]json.RawMessage
	unknown map[string][]string // member -> why it cannot be known yet

	// The template lines of the key's resource, of its properties and of
	// its first alias resource; none for a plan (see Line).
	line, aliasLine int
	propLines       map[string]int
}

// cfnProperty is the AWS::KMS::Key property each answer of a template's
// key comes from, by member and pointer ("" for the member as a whole).
var cfnProperty = map[string]map[string]string{
	keystate.DescribeKey: {
		"/KeyMetadata/KeySpec": "KeySpec", "/KeyMetadata/CustomerMasterKeySpec": "KeySpec", "/KeyMetadata/KeyUsage": "KeyUsage",
		"/KeyMetadata/MultiRegion": "MultiRegion", "/KeyMetadata/Description": "Description", "/KeyMetadata/Origin": "Origin",
		"/KeyMetadata/Enabled": "Enabled", "/KeyMetadata/KeyState": "Enabled",
	},
	keystate.GetKeyPolicy:         {"": "KeyPolicy"},
	keystate.GetKeyRotationStatus: {"": "EnableKeyRotation", "/RotationPeriodInDays": "RotationPeriodInDays"},
	keystate.ListResourceTags:     {"": "Tags"},
}

// Line is the template line an answer of the key comes from: the line of
// the property it is read from (EnableKeyRotation for the rotation status),
// of the key's first alias resource for its aliases, else the key
// resource's own line, where the missing property would go. 0 for a key of
// a Terraform plan, whose JSON is not what its authors edit: its resource
// address names it.
func (k *Key) Line(member, pointer string) int {
	if k.line == 0 {
		return 0
	}
	if member == keystate.ListAliases && k.aliasLine > 0 {
		return k.aliasLine
	}
	props := cfnProperty[member]
	name, ok := props[pointer]
	if !ok {
		name = props[""]
	}
	if l := k.propLines[name]; name != "" && l > 0 {
		return l
	}
	return k.line
}

// Source names the key for reports: the file and the logical ID or address.
func (k *Key) Source() string { return k.File + "#" + k.Name }

// State is the key's state as the checks read it: the members that could be
// known, and for each one that could not, a problem saying why.
func (k *Key) State() *keystate.State {
	s := keystate.FromAnswers(k.answers)
	s.Declared = k.Kind // the checks' SKIPs say "before the key exists"
	for _, m := range keystate.Members {
		if why := k.unknown[m]; len(why) > 0 {
			s.Problems[m] = m + " cannot be known before the key exists: " + strings.Join(why, "; ")
		}
	}
	return s
}

// Unknown says why a member cannot be known yet ("" when it can).
func (k *Key) Unknown(member string) string { return strings.Join(k.unknown[member], "; ") }

// declared is what a template or plan says about one key, in KMS's terms.
// The readers fill it; members turns it into answers.
type declared struct {
	partition, region, account string
	keyID, arn                 string // known only for a key that exists already
	description                string
	keySpec, keyUsage, origin  string
	multiRegion                bool
	enabled                    bool
	keyState                   string // "" derives Enabled or Disabled from enabled
	rotation                   bool
	rotationPeriod             int // reported only with rotation on
	policy                     string
	tags                       []tag
	aliases                    []string
	grants                     []grant
	unknown                    map[string][]string
}

type tag struct{ Key, Value string }

// grant is an aws_kms_grant; CloudFormation has no grant resource.
type grant struct {
	name, grantee, retiring string
	operations              []string
	equals, subset          map[string]string
	id                      string // known only for a grant that exists
}

func newDeclared(partition, region, account string) *declared {
	return &declared{
		partition: partition, region: region, account: account,
		keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT", origin: "AWS_KMS",
		enabled: true, unknown: map[string][]string{},
	}
}

// cannotKnow records why a member cannot be known yet.
func (d *declared) cannotKnow(member string, why ...string) {
	for _, w := range why {
		if !slices.Contains(d.unknown[member], w) {
			d.unknown[member] = append(d.unknown[member], w)
		}
	}
}

// placeholderID is the key ID a key not made yet is judged under: stable
// for the same logical ID or address, so reports of two runs compare.
func placeholderID(kind, name string, multiRegion bool) string {
	sum := sha1.Sum([]byte("cmkcheck/iac\x00" + kind + "\x00" + name))
	if multiRegion {
		return "mrk-" + hex.EncodeToString(sum[:16])
	}
	// A name-based (version 5) UUID.
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DefaultPolicy is the key policy KMS gives a key made without one
// (CreateKey, "Policy": the default key policy): the own account's root
// with kms:*, which delegates the key to the account's IAM policies.
func DefaultPolicy(partition, account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:` + partition + `:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// key turns the declaration into the answers a live key would give.
func (d *declared) key(kind, file, name string, notes []string) *Key {
	k := &Key{Kind: kind, File: file, Name: name, Notes: notes, answers: map[string]json.RawMessage{}, unknown: d.unknown}
	id, arn := d.keyID, d.arn
	if id == "" {
		id = placeholderID(kind, name, d.multiRegion)
		k.Notes = append(k.Notes, fmt.Sprintf("the key ID %s is a placeholder: KMS assigns the real one when it makes the key", id))
	}
	if arn == "" {
		arn = "arn:" + d.partition + ":kms:" + d.region + ":" + d.account + ":key/" + id
	}
	state := d.keyState
	if state == "" {
		state = "Disabled"
		if d.enabled {
			state = "Enabled"
		}
	}
	put := func(member string, v any) {
		if len(d.unknown[member]) > 0 {
			return
		}
		b, err := json.Marshal(v)
		if err != nil { // only plain values here
			panic(fmt.Sprintf("iac: %s does not marshal: %v", member, err))
		}
		k.answers[member] = b
	}
	put(keystate.DescribeKey, map[string]any{"KeyMetadata": map[string]any{
		"AWSAccountId": d.account, "KeyId": id, "Arn": arn, "Enabled": state == "Enabled",
		"Description": d.description, "KeyUsage": d.keyUsage, "KeyState": state, "Origin": d.origin,
		"KeyManager": "CUSTOMER", "CustomerMasterKeySpec": d.keySpec, "KeySpec": d.keySpec, "MultiRegion": d.multiRegion,
	}})
	put(keystate.GetKeyPolicy, map[string]any{"Policy": d.policy, "PolicyName": "default"})
	rot := map[string]any{"KeyRotationEnabled": d.rotation, "KeyId": arn}
	if d.rotation && d.rotationPeriod > 0 {
		rot["RotationPeriodInDays"] = d.rotationPeriod
	}
	put(keystate.GetKeyRotationStatus, rot)
	tags := []map[string]string{}
	for _, t := range d.tags {
		tags = append(tags, map[string]string{"TagKey": t.Key, "TagValue": t.Value})
	}
	put(keystate.ListResourceTags, map[string]any{"Tags": tags, "Truncated": false})
	aliases := []map[string]string{}
	names := slices.Clone(d.aliases)
	sort.Strings(names)
	for _, a := range slices.Compact(names) {
		aliases = append(aliases, map[string]string{
			"AliasName": a, "AliasArn": "arn:" + d.partition + ":kms:" + d.region + ":" + d.account + ":" + a, "TargetKeyId": id,
		})
	}
	put(keystate.ListAliases, map[string]any{"Aliases": aliases, "Truncated": false})
	grants := []map[string]any{}
	for i, g := range d.grants {
		gid := g.id
		if gid == "" {
			sum := sha1.Sum(fmt.Appendf(nil, "cmkcheck/iac grant\x00%s\x00%d", name, i))
			gid = hex.EncodeToString(sum[:]) + hex.EncodeToString(sum[:12]) // 64 hex digits, as KMS's
		}
		e := map[string]any{"KeyId": arn, "GrantId": gid, "GranteePrincipal": g.grantee, "Operations": g.operations,
			"IssuingAccount": "arn:" + d.partition + ":iam::" + d.account + ":root"}
		if g.name != "" {
			e["Name"] = g.name
		}
		if g.retiring != "" {
			e["RetiringPrincipal"] = g.retiring
		}
		if len(g.equals) > 0 || len(g.subset) > 0 {
			c := map[string]any{}
			if len(g.equals) > 0 {
				c["EncryptionContextEquals"] = g.equals
			}
			if len(g.subset) > 0 {
				c["EncryptionContextSubset"] = g.subset
			}
			e["Constraints"] = c
		}
		grants = append(grants, e)
	}
	put(keystate.ListGrants, map[string]any{"Grants": grants, "Truncated": false})
	return k
}
