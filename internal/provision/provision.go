// Package provision creates a key the way Adobe's guide walks through the
// console, then adds the platform's statements to its policy; and the
// deliberately wrong variants the self-tests need. What it creates it
// schedules for deletion. The helpers that fail a test instead of returning
// an error are in internal/testkit/provisiontest.
package provision

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// Variant names a way of getting the key wrong. The zero value is the key
// the guide asks for.
type Variant string

// The variants.
const (
	Correct              Variant = ""
	MultiRegion          Variant = "multi-region"
	Asymmetric           Variant = "asymmetric"
	HMAC                 Variant = "hmac"
	Imported             Variant = "imported"
	Disabled             Variant = "disabled"
	PendingDeletion      Variant = "pending-deletion"
	NoAlias              Variant = "no-alias"
	GenericAlias         Variant = "generic-alias"
	NoDescription        Variant = "no-description"
	MissingTag           Variant = "missing-tag"
	OtherAccount         Variant = "other-account"
	PublicPrincipal      Variant = "public-principal"
	UsersDelete          Variant = "users-delete"
	NoAdmins             Variant = "no-admins"
	Lockout              Variant = "lockout"
	MissingPlatformGrant Variant = "missing-platform-grant"
	RotationOff          Variant = "rotation-off"
	// The grant variants: the right key, then one grant (CreateGrant after
	// the key is made). GrantAllowed is a grant the customer may well
	// want; the others give what CMK-GRT-1 reports.
	GrantOtherAccount    Variant = "grant-other-account"
	GrantWithCreateGrant Variant = "grant-with-create-grant"
	GrantAllowed         Variant = "grant-allowed"
)

// Variants lists the wrong variants in a fixed order.
var Variants = []Variant{MultiRegion, Asymmetric, HMAC, Imported, Disabled, PendingDeletion, NoAlias,
	GenericAlias, NoDescription, MissingTag, OtherAccount, PublicPrincipal, UsersDelete, NoAdmins, Lockout,
	MissingPlatformGrant, RotationOff, GrantOtherAccount, GrantWithCreateGrant, GrantAllowed}

// Name is the variant's name, "correct" for the zero value.
func (v Variant) Name() string {
	if v == Correct {
		return "correct"
	}
	return string(v)
}

// ParseVariant reads a variant name ("correct" or "" for the right key).
func ParseVariant(s string) (Variant, error) {
	if s == "" || s == "correct" {
		return Correct, nil
	}
	if slices.Contains(Variants, Variant(s)) {
		return Variant(s), nil
	}
	names := []string{"correct"}
	for _, v := range Variants {
		names = append(names, string(v))
	}
	return "", fmt.Errorf("provision: unknown variant %q; known: %s", s, strings.Join(names, ", "))
}

// OtherAccountID is the stranger the other-account variant lets in.
const OtherAccountID = "999988887777"

// GrantPartner is the grantee of the grant-other-account variant: a role
// of an account that is neither the key's nor Adobe's.
const GrantPartner = "arn:aws:iam::444455556666:role/Partner"

// Defaults of a spec.
const (
	DefaultDescription = "Adobe Experience Platform customer managed key"
	AliasPrefix        = "alias/Adobe-Experience-Platform-Key-"
	GenericAliasName   = "alias/key"
	PendingWindowDays  = 7
)

// DefaultTags are the guide's example tags.
var DefaultTags = map[string]string{"Adobe": "Experience-Platform"}

// Spec says what to create.
type Spec struct {
	Account       string // the key's own account (12 digits), for the root principal
	Target        string // a live kind (keystate.LiveKinds): some variants need it
	Variant       Variant
	Description   string            // "" means DefaultDescription
	Tags          map[string]string // nil means DefaultTags
	Alias         string            // "" means AliasPrefix + a random suffix
	Admins        []string          // nil means role/KeyAdmin of the account
	Users         []string          // nil means role/KeyUser of the account
	AllowDeletion bool              // the console's "Key deletion" box
	AdobeAccounts []string          // the platform's accounts, whose statements are added
}

// SpecFromProfile fills a spec from the customer's profile: its
// administrators, users, deletion choice and Adobe accounts.
func SpecFromProfile(p *profile.Profile, account, target string) Spec {
	s := Spec{Account: account, Target: target}
	if p == nil {
		return s
	}
	s.Admins = p.KeyAdministrators
	s.Users = p.KeyUsers
	s.AllowDeletion = p.AllowKeyDeletion != nil && *p.AllowKeyDeletion
	s.AdobeAccounts = p.AdobeAccounts()
	if len(p.RequiredTags) > 0 {
		s.Tags = map[string]string{}
		for k, v := range DefaultTags {
			s.Tags[k] = v
		}
		for k, v := range p.RequiredTags {
			if v == "" { // any value will do: keep the guide's, else name the purpose
				if _, ok := s.Tags[k]; ok {
					continue
				}
				v = "Experience-Platform"
			}
			s.Tags[k] = v
		}
	}
	return s
}

// Key is what was created.
type Key struct {
	KeyID   string
	Arn     string
	Alias   string // "" when none was made
	Variant Variant
	Policy  string   // the final key policy
	Grants  []string // the IDs of the grants made, in order
}

// Grant is a grant a variant makes on its key.
type Grant struct {
	Name       string
	Grantee    string
	Operations []types.GrantOperation
}

// GrantUserOperations are what a grant to the key-user role gives: the
// data-key use the platform's services make of a key, and no more.
var GrantUserOperations = []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt, types.GrantOperationGenerateDataKey}

// Grants are the grants of the spec's variant, made after the key (none
// for the other variants). The own-account grantee is the key-user role,
// which exists wherever the self-test runs (on aws it is the profile's).
func (s Spec) Grants() []Grant {
	user := ""
	if len(s.Users) > 0 {
		user = s.Users[0]
	}
	switch s.Variant {
	case GrantOtherAccount:
		return []Grant{{Name: "partner", Grantee: GrantPartner,
			Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt}}}
	case GrantWithCreateGrant:
		return []Grant{{Name: "key-user-may-grant", Grantee: user,
			Operations: append(slices.Clone(GrantUserOperations), types.GrantOperationCreateGrant)}}
	case GrantAllowed:
		return []Grant{{Name: "key-user", Grantee: user, Operations: slices.Clone(GrantUserOperations)}}
	}
	return nil
}

// UnsupportedError says a target cannot make a variant, and why.
type UnsupportedError struct {
	Variant Variant
	Target  string
	Reason  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("provision: the %s target cannot make the %s variant: %s", e.Target, e.Variant.Name(), e.Reason)
}

// Unsupported says whether a target kind cannot make a variant, and why;
// MultiRegion is also checked on the made key (a target may ignore it).
func Unsupported(v Variant, target string) (string, bool) {
	switch {
	case v == MultiRegion && target == keystate.KindEmbedded:
		return "local-kms ignores MultiRegion: it makes single-Region keys and leaves MultiRegion out of DescribeKey", true
	case v == Lockout && target == keystate.KindAWS:
		return "a locked-out key cannot be managed, nor scheduled for deletion, by the provisioner on a real account; it is made on emulators only", true
	}
	return "", false
}

func (s *Spec) defaults() error {
	if !awsid.IsAccountID(s.Account) {
		return fmt.Errorf("provision: account %q is not a 12-digit AWS account ID", s.Account)
	}
	if s.Variant != Correct && !slices.Contains(Variants, s.Variant) {
		_, err := ParseVariant(string(s.Variant))
		return err
	}
	for _, a := range s.AdobeAccounts {
		if !awsid.IsAccountID(a) {
			return fmt.Errorf("provision: Adobe account %q is not a 12-digit AWS account ID", a)
		}
	}
	if s.Description == "" {
		s.Description = DefaultDescription
	}
	if s.Tags == nil {
		s.Tags = DefaultTags
	}
	if s.Alias == "" {
		id, err := uniqueID()
		if err != nil {
			return err
		}
		s.Alias = AliasPrefix + id
	}
	if !strings.HasPrefix(s.Alias, "alias/") || strings.HasPrefix(s.Alias, "alias/aws/") {
		return fmt.Errorf("provision: alias %q must start with alias/ and not alias/aws/", s.Alias)
	}
	if s.Admins == nil {
		s.Admins = []string{"arn:aws:iam::" + s.Account + ":role/KeyAdmin"}
	}
	if s.Users == nil {
		s.Users = []string{"arn:aws:iam::" + s.Account + ":role/KeyUser"}
	}
	return nil
}

// Policies are the console's policy (what CreateKey gets) and the final one
// with the platform's statements added (what PutKeyPolicy gets), for the
// spec's variant.
func (s Spec) Policies() (console, final Document) {
	admins, users := s.Admins, s.Users
	if s.Variant == NoAdmins {
		admins = nil
	}
	console = ConsolePolicy(s.Account, admins, users, s.AllowDeletion)
	final = ConsolePolicy(s.Account, admins, users, s.AllowDeletion)
	for i := range final.Statement {
		st := &final.Statement[i]
		switch {
		case s.Variant == UsersDelete && st.Sid == "Allow use of the key":
			st.Action = append(slices.Clone(ConsoleUserActions), "kms:ScheduleKeyDeletion")
		case s.Variant == Lockout && st.Sid == "Allow access for Key Administrators":
			// Administrators without kms:Put* cannot restore the policy.
			st.Action = slices.DeleteFunc(slices.Clone(st.Action.([]string)), func(a string) bool { return a == "kms:Put*" })
		}
	}
	if s.Variant == Lockout {
		final.Statement = final.Statement[1:] // the root delegation goes
	}
	platform := PlatformActions
	if s.Variant == MissingPlatformGrant {
		platform = slices.DeleteFunc(slices.Clone(PlatformActions), func(a string) bool { return a == "kms:Decrypt" })
	}
	final.Statement = append(final.Statement, PlatformStatements(s.AdobeAccounts, platform)...)
	switch s.Variant {
	case OtherAccount:
		final.Statement = append(final.Statement, Statement{Sid: "Allow use of the key by another account", Effect: "Allow",
			Principal: principal([]string{RootARN(OtherAccountID)}), Action: ConsoleUserActions, Resource: "*"})
	case PublicPrincipal:
		final.Statement = append(final.Statement, Statement{Sid: "Allow anyone to decrypt", Effect: "Allow",
			Principal: "*", Action: "kms:Decrypt", Resource: "*"})
	}
	return console, final
}

// CreateKeyE creates the key of the spec, step by step as the guide's
// console flow: CreateKey (symmetric, encrypt/decrypt, KMS material,
// single-Region, description, tags, the console's policy), CreateAlias,
// EnableKeyRotation, then PutKeyPolicy with the platform's statements added.
// The variant changes one thing. If any step fails, the key is scheduled
// for deletion before the error returns.
func CreateKeyE(ctx context.Context, cfg aws.Config, spec Spec) (*Key, error) {
	if err := spec.defaults(); err != nil {
		return nil, err
	}
	if reason, ok := Unsupported(spec.Variant, spec.Target); ok {
		return nil, &UnsupportedError{Variant: spec.Variant, Target: spec.Target, Reason: reason}
	}
	c := kms.NewFromConfig(cfg)
	console, final := spec.Policies()
	v := spec.Variant

	in := &kms.CreateKeyInput{
		KeySpec:     types.KeySpecSymmetricDefault,
		KeyUsage:    types.KeyUsageTypeEncryptDecrypt,
		Origin:      types.OriginTypeAwsKms,
		MultiRegion: aws.Bool(v == MultiRegion),
		Description: aws.String(spec.Description),
		Policy:      aws.String(console.JSON()),
	}
	if v == NoDescription {
		in.Description = nil
	}
	if v != MissingTag {
		for _, k := range sortedKeys(spec.Tags) {
			in.Tags = append(in.Tags, types.Tag{TagKey: aws.String(k), TagValue: aws.String(spec.Tags[k])})
		}
	}
	policyAtCreation := false
	switch v {
	case Asymmetric:
		in.KeySpec, in.KeyUsage = types.KeySpecRsa2048, types.KeyUsageTypeSignVerify
		policyAtCreation = true
	case HMAC:
		in.KeySpec, in.KeyUsage = types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac
		policyAtCreation = true
	case Imported:
		in.Origin = types.OriginTypeExternal
	}
	if policyAtCreation {
		// local-kms answers PutKeyPolicy on a non-symmetric key with a
		// panic; the final policy is the same when given at creation.
		in.Policy = aws.String(final.JSON())
	}
	out, err := c.CreateKey(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("provision %s: kms:CreateKey: %w", v.Name(), err)
	}
	key := &Key{KeyID: aws.ToString(out.KeyMetadata.KeyId), Arn: aws.ToString(out.KeyMetadata.Arn), Variant: v, Policy: final.JSON()}
	fail := func(step string, err error) (*Key, error) {
		if derr := DeleteKeyE(context.WithoutCancel(ctx), cfg, key); derr != nil {
			return nil, fmt.Errorf("provision %s: %s: %w (and cleaning up key %s failed: %v)", v.Name(), step, err, key.KeyID, derr)
		}
		return nil, fmt.Errorf("provision %s: %s: %w", v.Name(), step, err)
	}

	if v == MultiRegion && !aws.ToBool(out.KeyMetadata.MultiRegion) && !strings.HasPrefix(key.KeyID, "mrk-") {
		reason := fmt.Sprintf("the target ignored MultiRegion=true: key %s is single-Region", key.KeyID)
		if derr := DeleteKeyE(context.WithoutCancel(ctx), cfg, key); derr != nil {
			reason += fmt.Sprintf(" (and scheduling its deletion failed: %v)", derr)
		}
		return nil, &UnsupportedError{Variant: v, Target: spec.Target, Reason: reason}
	}
	if v == Imported {
		if err := importMaterial(ctx, c, key.KeyID); err != nil {
			return fail("importing key material", err)
		}
	}
	if v != NoAlias {
		key.Alias = spec.Alias
		if v == GenericAlias {
			key.Alias = GenericAliasName
		}
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(key.Alias), TargetKeyId: aws.String(key.KeyID)}); err != nil {
			key.Alias = ""
			return fail("kms:CreateAlias", err)
		}
	}
	rotatable := v != Asymmetric && v != HMAC && v != Imported
	if rotatable && v != RotationOff {
		if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(key.KeyID)}); err != nil {
			return fail("kms:EnableKeyRotation", err)
		}
	}
	if !policyAtCreation {
		_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key.KeyID), PolicyName: aws.String("default"),
			Policy: aws.String(final.JSON()), BypassPolicyLockoutSafetyCheck: v == Lockout})
		if err != nil {
			return fail("kms:PutKeyPolicy", err)
		}
	}
	for _, g := range spec.Grants() {
		out, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(key.KeyID), Name: aws.String(g.Name),
			GranteePrincipal: aws.String(g.Grantee), Operations: g.Operations})
		if err != nil {
			return fail("kms:CreateGrant for "+g.Grantee, err)
		}
		key.Grants = append(key.Grants, aws.ToString(out.GrantId))
	}
	switch v {
	case Disabled:
		if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(key.KeyID)}); err != nil {
			return fail("kms:DisableKey", err)
		}
	case PendingDeletion:
		if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(key.KeyID), PendingWindowInDays: aws.Int32(PendingWindowDays)}); err != nil {
			return fail("kms:ScheduleKeyDeletion", err)
		}
	}
	return key, nil
}

// importMaterial gives an EXTERNAL key its material (RSAES_OAEP_SHA_256
// wrapping), so the variant differs from the right key by origin only.
func importMaterial(ctx context.Context, c *kms.Client, keyID string) error {
	params, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: aws.String(keyID),
		WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	if err != nil {
		return fmt.Errorf("kms:GetParametersForImport: %w", err)
	}
	pub, err := x509.ParsePKIXPublicKey(params.PublicKey)
	if err != nil {
		return fmt.Errorf("the wrapping public key does not parse: %w", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the wrapping public key is a %T, not RSA", pub)
	}
	material := make([]byte, 32)
	if _, err := rand.Read(material); err != nil {
		return err
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, rsaPub, material, nil)
	if err != nil {
		return fmt.Errorf("wrapping the key material: %w", err)
	}
	_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: aws.String(keyID), ImportToken: params.ImportToken,
		EncryptedKeyMaterial: wrapped, ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	if err != nil {
		return fmt.Errorf("kms:ImportKeyMaterial: %w", err)
	}
	return nil
}

// DeleteKeyE removes what provisioning made: the key's grants are revoked,
// the alias deleted, then the key is scheduled for deletion after the
// shortest wait (7 days). If scheduling fails the key is at least disabled.
// A key already pending deletion is done.
//
// Grants die with the key, but not before: during the wait they are still
// listed, and CancelKeyDeletion (then EnableKey) would bring a grant to
// another account back to life. So they go first. The grants are asked of
// the key, not taken from key.Grants, so a key kept by SKIP_teardown and
// torn down by a later run, which knows only its ID, loses them too. A
// failure to revoke is reported, and never stops the deletion.
func DeleteKeyE(ctx context.Context, cfg aws.Config, key *Key) error {
	if key == nil || key.KeyID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c := kms.NewFromConfig(cfg)
	errs := revokeGrants(ctx, c, key.KeyID)
	if key.Alias != "" {
		if _, err := c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String(key.Alias)}); err != nil && !isCode(err, "NotFoundException") {
			errs = append(errs, fmt.Errorf("kms:DeleteAlias %s: %w", key.Alias, err))
		}
	}
	_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(key.KeyID), PendingWindowInDays: aws.Int32(PendingWindowDays)})
	if err != nil && !pendingDeletion(ctx, c, key.KeyID) {
		errs = append(errs, fmt.Errorf("kms:ScheduleKeyDeletion %s: %w", key.KeyID, err))
		if _, derr := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(key.KeyID)}); derr != nil {
			errs = append(errs, fmt.Errorf("kms:DisableKey %s: %w", key.KeyID, derr))
		}
	}
	return errors.Join(errs...)
}

// revokeGrants revokes every grant of the key, all pages (bounded).
func revokeGrants(ctx context.Context, c *kms.Client, keyID string) []error {
	var ids []string
	p := kms.NewListGrantsPaginator(c, &kms.ListGrantsInput{KeyId: aws.String(keyID)})
	for range 100 {
		if !p.HasMorePages() {
			break
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			if isCode(err, "NotFoundException") {
				return nil // no key, no grants
			}
			return []error{fmt.Errorf("kms:ListGrants %s: %w", keyID, err)}
		}
		for _, g := range page.Grants {
			ids = append(ids, aws.ToString(g.GrantId))
		}
	}
	var errs []error
	if p.HasMorePages() {
		errs = append(errs, fmt.Errorf("kms:ListGrants %s: still truncated after 100 pages; revoking the grants listed", keyID))
	}
	for _, id := range ids {
		_, err := c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String(keyID), GrantId: aws.String(id)})
		if err != nil && !isCode(err, "NotFoundException") {
			errs = append(errs, fmt.Errorf("kms:RevokeGrant %s of %s: %w", id, keyID, err))
		}
	}
	return errs
}

func pendingDeletion(ctx context.Context, c *kms.Client, keyID string) bool {
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	return err == nil && out.KeyMetadata.KeyState == types.KeyStatePendingDeletion
}

func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// uniqueID is six base-62 characters from crypto/rand (62^6, 56 billion
// values), the length and alphabet of terratest's random.UniqueId, which
// the provisioner used to import: one call did not justify linking
// terratest into cmkcheck. Alias names allow every character of it.
func uniqueID() (string, error) {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 6)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return "", fmt.Errorf("provision: no random alias suffix: %w", err)
		}
		b[i] = chars[n.Int64()]
	}
	return string(b), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
