package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// Grant is one entry of ListGrants, as `aws kms list-grants --output json`
// prints it in "Grants". Fields the access model does not need are left out.
type Grant struct {
	GrantId           string            `json:"GrantId"`
	KeyId             string            `json:"KeyId,omitempty"`
	Name              string            `json:"Name,omitempty"`
	GranteePrincipal  string            `json:"GranteePrincipal"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
	IssuingAccount    string            `json:"IssuingAccount,omitempty"`
	Operations        []string          `json:"Operations"`
	Constraints       *GrantConstraints `json:"Constraints,omitempty"`
}

// GrantConstraints narrow the requests a grant allows to those with a given
// encryption context: they say how the grantee calls, not who calls.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html
type GrantConstraints struct {
	EncryptionContextEquals map[string]string `json:"EncryptionContextEquals,omitempty"`
	EncryptionContextSubset map[string]string `json:"EncryptionContextSubset,omitempty"`
}

// ParseGrants reads the ListGrants answer ({"Grants": [...]}) or a bare list
// of grant entries.
func ParseGrants(data []byte) ([]Grant, error) {
	var wrapped struct {
		Grants *[]Grant `json:"Grants"`
	}
	if err := json.Unmarshal(data, &wrapped); err == nil && wrapped.Grants != nil {
		return *wrapped.Grants, nil
	}
	var list []Grant
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return list, nil
}

// grantPrincipal classifies a grant's grantee or retiring principal: an
// IAM/STS ARN or account, or else a service principal name.
func grantPrincipal(s string) Principal {
	if strings.HasPrefix(s, "arn:") || awsid.IsAccountID(s) {
		return ParsePrincipal("AWS", s)
	}
	return ParsePrincipal("Service", s)
}

// constrained: the grant narrows requests by encryption context.
func (g *Grant) constrained() bool {
	return g.Constraints != nil && (len(g.Constraints.EncryptionContextEquals) > 0 || len(g.Constraints.EncryptionContextSubset) > 0)
}
