package policy

import (
	"sort"
	"strings"
)

// Category groups KMS actions by what they do to a key.
type Category string

// Action categories.
const (
	CategoryUse            Category = "use"            // cryptographic operations
	CategoryAdministration Category = "administration" // state, aliases, tags, rotation, material, replicas
	CategoryDeletion       Category = "deletion"       // ScheduleKeyDeletion, CancelKeyDeletion
	CategoryPolicy         Category = "policy"         // PutKeyPolicy
	CategoryGrants         Category = "grants"         // CreateGrant, RetireGrant, RevokeGrant
	CategoryRead           Category = "read"           // Describe*, Get*, List*
)

// ActionInfo is what the KMS API reference says of one IAM action.
type ActionInfo struct {
	Name     string // "kms:Encrypt"
	Category Category
	// CrossAccount is the API reference's "Cross-account use": false means a
	// principal of another account can never perform it on this key,
	// whatever the key policy says.
	CrossAccount bool
	// KeyPolicy is true when the API reference lists the permission as
	// "(key policy)"; false for "(IAM policy)" only permissions, which a key
	// policy cannot grant because they are not about one key.
	KeyPolicy bool
}

// actionTable is every KMS IAM action. Source: the "Cross-account use" and
// "Required permissions" paragraphs of each operation's page in the AWS
// KMS API Reference (https://docs.aws.amazon.com/kms/latest/APIReference/API_<Op>.html),
// as carried in the doc comments of github.com/aws/aws-sdk-go-v2/service/kms
// v1.62.6 (api_op_<Op>.go), and the table "AWS KMS permissions"
// (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html).
// TestActionTableMatchesSDK checks the SDK's operations and their
// "Cross-account use" sentences against it.
//
// ReEncrypt is authorized twice, as ReEncryptFrom on the source key and
// ReEncryptTo on the destination key; SynchronizeMultiRegionKey is a
// permission with no API operation (KMS uses it to keep replicas in sync;
// the permissions table lists it as key policy, cross-account No).
// GenerateRandom and ListRetirableGrants are not about one key: their
// "Cross-account use" reads "Not applicable" / "You must specify a principal
// in your account", recorded as false.
var actionTable = []ActionInfo{
	{"kms:CancelKeyDeletion", CategoryDeletion, false, true},
	{"kms:ConnectCustomKeyStore", CategoryAdministration, false, false},
	{"kms:CreateAlias", CategoryAdministration, false, true},
	{"kms:CreateCustomKeyStore", CategoryAdministration, false, false},
	{"kms:CreateGrant", CategoryGrants, true, true},
	{"kms:CreateKey", CategoryAdministration, false, false},
	{"kms:Decapsulate", CategoryUse, true, true},
	{"kms:Decrypt", CategoryUse, true, true},
	{"kms:DeleteAlias", CategoryAdministration, false, true},
	{"kms:DeleteCustomKeyStore", CategoryAdministration, false, false},
	{"kms:DeleteImportedKeyMaterial", CategoryAdministration, false, true},
	{"kms:DeriveSharedSecret", CategoryUse, true, true},
	{"kms:DescribeCustomKeyStores", CategoryRead, false, false},
	{"kms:DescribeKey", CategoryRead, true, true},
	{"kms:DisableKey", CategoryAdministration, false, true},
	{"kms:DisableKeyRotation", CategoryAdministration, false, true},
	{"kms:DisconnectCustomKeyStore", CategoryAdministration, false, false},
	{"kms:EnableKey", CategoryAdministration, false, true},
	{"kms:EnableKeyRotation", CategoryAdministration, false, true},
	{"kms:Encapsulate", CategoryUse, true, true},
	{"kms:Encrypt", CategoryUse, true, true},
	{"kms:GenerateDataKey", CategoryUse, true, true},
	{"kms:GenerateDataKeyPair", CategoryUse, true, true},
	{"kms:GenerateDataKeyPairWithoutPlaintext", CategoryUse, true, true},
	{"kms:GenerateDataKeyWithoutPlaintext", CategoryUse, true, true},
	{"kms:GenerateMac", CategoryUse, true, true},
	{"kms:GenerateRandom", CategoryUse, false, false},
	{"kms:GetKeyLastUsage", CategoryRead, false, true},
	{"kms:GetKeyPolicy", CategoryRead, false, true},
	{"kms:GetKeyRotationStatus", CategoryRead, true, true},
	{"kms:GetParametersForImport", CategoryAdministration, false, true},
	{"kms:GetPublicKey", CategoryRead, true, true},
	{"kms:ImportKeyMaterial", CategoryAdministration, false, true},
	{"kms:ListAliases", CategoryRead, false, false},
	{"kms:ListGrants", CategoryRead, true, true},
	{"kms:ListKeyPolicies", CategoryRead, false, true},
	{"kms:ListKeyRotations", CategoryRead, false, true},
	{"kms:ListKeys", CategoryRead, false, false},
	{"kms:ListResourceTags", CategoryRead, false, true},
	{"kms:ListRetirableGrants", CategoryRead, false, false},
	{"kms:PutKeyPolicy", CategoryPolicy, false, true},
	{"kms:ReEncryptFrom", CategoryUse, true, true},
	{"kms:ReEncryptTo", CategoryUse, true, true},
	{"kms:ReplicateKey", CategoryAdministration, false, true},
	{"kms:RetireGrant", CategoryGrants, true, true},
	{"kms:RevokeGrant", CategoryGrants, true, true},
	{"kms:RotateKeyOnDemand", CategoryAdministration, false, true},
	{"kms:ScheduleKeyDeletion", CategoryDeletion, false, true},
	{"kms:Sign", CategoryUse, true, true},
	{"kms:SynchronizeMultiRegionKey", CategoryAdministration, false, true},
	{"kms:TagResource", CategoryAdministration, false, true},
	{"kms:UntagResource", CategoryAdministration, false, true},
	{"kms:UpdateAlias", CategoryAdministration, false, true},
	{"kms:UpdateCustomKeyStore", CategoryAdministration, false, false},
	{"kms:UpdateKeyDescription", CategoryAdministration, false, true},
	{"kms:UpdatePrimaryRegion", CategoryAdministration, false, true},
	{"kms:Verify", CategoryUse, true, true},
	{"kms:VerifyMac", CategoryUse, true, true},
}

// actionIndex maps a lower-cased action name to its table entry.
var actionIndex = func() map[string]ActionInfo {
	ix := make(map[string]ActionInfo, len(actionTable))
	for _, a := range actionTable {
		ix[strings.ToLower(a.Name)] = a
	}
	return ix
}()

// actionLower maps each action name as the table writes it to its
// lower-cased form: the checks ask with these names, and the model matches
// lower-cased actions, so the common question makes no new string.
var actionLower = func() map[string]string {
	ix := make(map[string]string, len(actionTable))
	for _, a := range actionTable {
		ix[a.Name] = strings.ToLower(a.Name)
	}
	return ix
}()

// actionSlot numbers the table's actions as it writes them, for the memo.
var actionSlot = func() map[string]int {
	ix := make(map[string]int, len(actionTable))
	for i, a := range actionTable {
		ix[a.Name] = i
	}
	return ix
}()

func lowerAction(action string) string {
	if l, ok := actionLower[action]; ok {
		return l
	}
	return strings.ToLower(action)
}

// LookupAction returns the table entry of a concrete action, matched
// case-insensitively like the Action element.
func LookupAction(action string) (ActionInfo, bool) {
	a, ok := actionIndex[lowerAction(action)]
	return a, ok
}

// Actions returns the action table, sorted by name.
func Actions() []ActionInfo {
	out := append([]ActionInfo(nil), actionTable...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ActionsIn returns the names of the actions of category c, sorted.
func ActionsIn(c Category) []string {
	var out []string
	for _, a := range Actions() {
		if a.Category == c {
			out = append(out, a.Name)
		}
	}
	return out
}
