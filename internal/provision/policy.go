package provision

import (
	"encoding/json"
	"fmt"
)

// Document is a key policy as the console writes it.
type Document struct {
	Version   string
	ID        string `json:"Id,omitempty"`
	Statement []Statement
}

// Statement is one key policy statement.
type Statement struct {
	Sid       string         `json:",omitempty"`
	Effect    string         //
	Principal any            // {"AWS": one or many ARNs}, or "*"
	Action    any            // one action or a list
	Resource  string         //
	Condition map[string]any `json:",omitempty"`
}

// JSON renders the document as KMS stores it.
func (d Document) JSON() string {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("provision: key policy does not marshal: %v", err)) // only plain values in it
	}
	return string(b)
}

// ConsoleAdminActions is the action list the console writes into the key
// administrators' statement: policy text, wildcards included. The actions
// that make a principal an administrator are policy's, not these.
var ConsoleAdminActions = []string{
	"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
	"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
	"kms:RotateKeyOnDemand",
}

// ConsoleDeletionActions are added to the administrators' statement when
// the console's "Key deletion" box is checked.
var ConsoleDeletionActions = []string{"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"}

// ConsoleUserActions is the action list the console writes into the key
// users' statement; the actions that make a key user are policy's.
var ConsoleUserActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}

// ConsoleGrantActions are the console's "persistent resources" grant actions.
var ConsoleGrantActions = []string{"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}

// PlatformActions are what the platform's statements give each Adobe account.
var PlatformActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"}

// RootSid is the Sid of the console's root statement, which the platform's
// first statement reuses.
const RootSid = "Enable IAM User Permissions"

// RootARN is an account's root principal.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

func principal(arns []string) any {
	if len(arns) == 1 {
		return map[string]any{"AWS": arns[0]}
	}
	return map[string]any{"AWS": arns}
}

// RootStatement delegates the key to the account's IAM policies.
func RootStatement(account string) Statement {
	return Statement{Sid: RootSid, Effect: "Allow", Principal: principal([]string{RootARN(account)}), Action: "kms:*", Resource: "*"}
}

// ConsolePolicy is the policy the console writes for the choices of its
// steps 3 and 4. Empty admins or users leave their statement out, as the
// console does.
func ConsolePolicy(account string, admins, users []string, allowDeletion bool) Document {
	d := Document{Version: "2012-10-17", ID: "key-consolepolicy-3", Statement: []Statement{RootStatement(account)}}
	if len(admins) > 0 {
		actions := append([]string{}, ConsoleAdminActions...)
		if allowDeletion {
			actions = append(actions, ConsoleDeletionActions...)
		}
		d.Statement = append(d.Statement, Statement{Sid: "Allow access for Key Administrators", Effect: "Allow",
			Principal: principal(admins), Action: actions, Resource: "*"})
	}
	if len(users) > 0 {
		d.Statement = append(d.Statement,
			Statement{Sid: "Allow use of the key", Effect: "Allow", Principal: principal(users), Action: ConsoleUserActions, Resource: "*"},
			Statement{Sid: "Allow attachment of persistent resources", Effect: "Allow", Principal: principal(users),
				Action: ConsoleGrantActions, Resource: "*",
				Condition: map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}})
	}
	return d
}

// PlatformStatements are the statements the platform shows, one per Adobe
// account; the first reuses the console root statement's Sid, as the
// platform's does.
func PlatformStatements(adobeAccounts []string, actions []string) []Statement {
	var out []Statement
	for i, acct := range adobeAccounts {
		sid := RootSid
		if i > 0 {
			sid = fmt.Sprintf("Allow Adobe Experience Platform %d", i+1)
		}
		out = append(out, Statement{Sid: sid, Effect: "Allow", Principal: principal([]string{RootARN(acct)}),
			Action: actions, Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": acct}}})
	}
	return out
}
