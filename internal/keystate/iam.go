package keystate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// GetAccountAuthorizationDetails is the optional member with the account's
// IAM side (every access check, PRM-1): iam:GetAccountAuthorizationDetails, every page
// merged, as the AWS CLI prints it; or why there is none.
//
//	{"UserDetailList": [...], "GroupDetailList": [...], "RoleDetailList": [...], "Policies": [...], "IsTruncated": false}
//	{"NotRun": "--no-iam: IAM was not read"}
//	{"Error": {"Operation": "iam:GetAccountAuthorizationDetails", "Code": "AccessDenied", "Detail": "..."}}
const GetAccountAuthorizationDetails = "GetAccountAuthorizationDetails"

// AccountAuthorization is the GetAccountAuthorizationDetails member. Policy
// documents are kept as JSON text: IAM sends them URL-encoded (RFC 3986),
// the AWS CLI prints them decoded as JSON objects; both are accepted.
type AccountAuthorization struct {
	Users    []IAMUser
	Groups   []IAMGroup
	Roles    []IAMRole
	Policies []ManagedPolicy
	NotRun   string
	Error    *CallError
}

// IAMUser is one entry of UserDetailList.
type IAMUser struct {
	UserName, Arn       string
	Groups              []string
	Inline              []InlinePolicy
	Attached            []string // managed policy ARNs
	PermissionsBoundary string   // managed policy ARN, "" for none
}

// IAMGroup is one entry of GroupDetailList.
type IAMGroup struct {
	GroupName, Arn string
	Inline         []InlinePolicy
	Attached       []string
}

// IAMRole is one entry of RoleDetailList.
type IAMRole struct {
	RoleName, Arn       string
	Inline              []InlinePolicy
	Attached            []string
	PermissionsBoundary string
	// Trust is the role's trust policy (AssumeRolePolicyDocument) as JSON
	// text; "" when the answer left it out, which is reported as "trust
	// not read", never as a role nobody can assume.
	Trust string
}

// InlinePolicy is an inline policy: its name and document.
type InlinePolicy struct {
	Name, Document string
}

// ManagedPolicy is one entry of Policies with its default version's
// document.
type ManagedPolicy struct {
	Name, Arn, DefaultVersionID, Document string
}

type rawInline struct {
	PolicyName     *string
	PolicyDocument json.RawMessage
}

type rawAttached struct {
	PolicyName, PolicyArn *string
}

type rawBoundary struct {
	PermissionsBoundaryType, PermissionsBoundaryArn string
}

func decodeAccountAuthorization(raw json.RawMessage) (*AccountAuthorization, error) {
	var v struct {
		UserDetailList *[]struct {
			UserName, Arn           *string
			GroupList               []string
			UserPolicyList          []rawInline
			AttachedManagedPolicies []rawAttached
			PermissionsBoundary     *rawBoundary
		}
		GroupDetailList *[]struct {
			GroupName, Arn          *string
			GroupPolicyList         []rawInline
			AttachedManagedPolicies []rawAttached
		}
		RoleDetailList *[]struct {
			RoleName, Arn            *string
			RolePolicyList           []rawInline
			AttachedManagedPolicies  []rawAttached
			PermissionsBoundary      *rawBoundary
			AssumeRolePolicyDocument json.RawMessage
		}
		Policies *[]struct {
			PolicyName, Arn   *string
			DefaultVersionId  string
			PolicyVersionList []struct {
				Document         json.RawMessage
				VersionId        string
				IsDefaultVersion bool
			}
		}
		IsTruncated bool
		Marker      string
		NotRun      *string
		Error       *CallError
	}
	if err := strictUnmarshal(raw, &v); err != nil {
		return nil, err
	}
	answer := v.UserDetailList != nil || v.GroupDetailList != nil || v.RoleDetailList != nil || v.Policies != nil
	if err := oneForm(map[string]bool{"an answer (UserDetailList, GroupDetailList, RoleDetailList, Policies)": answer, "NotRun": v.NotRun != nil, "Error": v.Error != nil}); err != nil {
		return nil, err
	}
	switch {
	case v.NotRun != nil:
		return &AccountAuthorization{NotRun: *v.NotRun}, nonEmpty("NotRun", *v.NotRun)
	case v.Error != nil:
		return &AccountAuthorization{Error: v.Error}, v.Error.check()
	}
	if v.IsTruncated {
		return nil, errors.New("the answer is truncated (IsTruncated: true); give every page merged")
	}
	missing := func(list string) error {
		return fmt.Errorf("member %s is missing: an answer has all four lists", list)
	}
	switch {
	case v.UserDetailList == nil:
		return nil, missing("UserDetailList")
	case v.GroupDetailList == nil:
		return nil, missing("GroupDetailList")
	case v.RoleDetailList == nil:
		return nil, missing("RoleDetailList")
	case v.Policies == nil:
		return nil, missing("Policies")
	}
	a := &AccountAuthorization{Users: []IAMUser{}, Groups: []IAMGroup{}, Roles: []IAMRole{}, Policies: []ManagedPolicy{}}
	for i, u := range *v.UserDetailList {
		at := fmt.Sprintf("UserDetailList[%d]", i)
		if u.UserName == nil || u.Arn == nil || *u.Arn == "" {
			return nil, fmt.Errorf("%s lacks UserName or Arn", at)
		}
		x := IAMUser{UserName: *u.UserName, Arn: *u.Arn, Groups: u.GroupList}
		var err error
		if x.Inline, err = inlines(at+".UserPolicyList", u.UserPolicyList); err != nil {
			return nil, err
		}
		if x.Attached, err = attached(at, u.AttachedManagedPolicies); err != nil {
			return nil, err
		}
		if x.PermissionsBoundary, err = boundary(at, u.PermissionsBoundary); err != nil {
			return nil, err
		}
		a.Users = append(a.Users, x)
	}
	for i, g := range *v.GroupDetailList {
		at := fmt.Sprintf("GroupDetailList[%d]", i)
		if g.GroupName == nil || g.Arn == nil || *g.Arn == "" {
			return nil, fmt.Errorf("%s lacks GroupName or Arn", at)
		}
		x := IAMGroup{GroupName: *g.GroupName, Arn: *g.Arn}
		var err error
		if x.Inline, err = inlines(at+".GroupPolicyList", g.GroupPolicyList); err != nil {
			return nil, err
		}
		if x.Attached, err = attached(at, g.AttachedManagedPolicies); err != nil {
			return nil, err
		}
		a.Groups = append(a.Groups, x)
	}
	for i, r := range *v.RoleDetailList {
		at := fmt.Sprintf("RoleDetailList[%d]", i)
		if r.RoleName == nil || r.Arn == nil || *r.Arn == "" {
			return nil, fmt.Errorf("%s lacks RoleName or Arn", at)
		}
		x := IAMRole{RoleName: *r.RoleName, Arn: *r.Arn}
		var err error
		if x.Inline, err = inlines(at+".RolePolicyList", r.RolePolicyList); err != nil {
			return nil, err
		}
		if x.Attached, err = attached(at, r.AttachedManagedPolicies); err != nil {
			return nil, err
		}
		if x.PermissionsBoundary, err = boundary(at, r.PermissionsBoundary); err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(r.AssumeRolePolicyDocument)) > 0 {
			if x.Trust, err = policyDocument(at+".AssumeRolePolicyDocument", r.AssumeRolePolicyDocument); err != nil {
				return nil, err
			}
		}
		a.Roles = append(a.Roles, x)
	}
	for i, p := range *v.Policies {
		at := fmt.Sprintf("Policies[%d]", i)
		if p.Arn == nil || *p.Arn == "" {
			return nil, fmt.Errorf("%s lacks Arn", at)
		}
		// LocalStack leaves PolicyName out; the ARN ends with it.
		mp := ManagedPolicy{Name: (*p.Arn)[strings.LastIndex(*p.Arn, "/")+1:], Arn: *p.Arn, DefaultVersionID: p.DefaultVersionId}
		if p.PolicyName != nil {
			mp.Name = *p.PolicyName
		}
		found := false
		for j, pv := range p.PolicyVersionList {
			if !pv.IsDefaultVersion {
				continue
			}
			if found {
				return nil, fmt.Errorf("%s has two default versions", at)
			}
			doc, err := policyDocument(fmt.Sprintf("%s.PolicyVersionList[%d].Document", at, j), pv.Document)
			if err != nil {
				return nil, err
			}
			mp.Document, found = doc, true
			if mp.DefaultVersionID == "" {
				mp.DefaultVersionID = pv.VersionId
			}
		}
		if !found {
			return nil, fmt.Errorf("%s (%s) has no default version in PolicyVersionList", at, mp.Arn)
		}
		a.Policies = append(a.Policies, mp)
	}
	return a, nil
}

func inlines(at string, list []rawInline) ([]InlinePolicy, error) {
	var out []InlinePolicy
	for i, p := range list {
		if p.PolicyName == nil || *p.PolicyName == "" {
			return nil, fmt.Errorf("%s[%d] lacks PolicyName", at, i)
		}
		doc, err := policyDocument(fmt.Sprintf("%s[%d].PolicyDocument", at, i), p.PolicyDocument)
		if err != nil {
			return nil, err
		}
		out = append(out, InlinePolicy{Name: *p.PolicyName, Document: doc})
	}
	return out, nil
}

func attached(at string, list []rawAttached) ([]string, error) {
	var out []string
	for i, p := range list {
		if p.PolicyArn == nil || *p.PolicyArn == "" {
			return nil, fmt.Errorf("%s.AttachedManagedPolicies[%d] lacks PolicyArn", at, i)
		}
		out = append(out, *p.PolicyArn)
	}
	return out, nil
}

func boundary(at string, b *rawBoundary) (string, error) {
	if b == nil {
		return "", nil
	}
	if b.PermissionsBoundaryArn == "" {
		return "", fmt.Errorf("%s.PermissionsBoundary lacks PermissionsBoundaryArn", at)
	}
	return b.PermissionsBoundaryArn, nil
}

// policyDocument reads a policy document as IAM (a URL-encoded JSON
// string) or the AWS CLI (a JSON object) gives it, and returns it as JSON
// text. Whether the text is a valid policy is the evaluator's question.
func policyDocument(at string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", fmt.Errorf("%s is missing", at)
	case raw[0] == '{':
		return string(raw), nil
	case raw[0] != '"':
		return "", fmt.Errorf("%s is neither a JSON object nor a string", at)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: %v", at, err)
	}
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s, nil
	}
	// RFC 3986 percent-encoding: "+" is a plus sign, not a space.
	dec, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("%s is not URL-encoded JSON: %v", at, err)
	}
	if !strings.HasPrefix(strings.TrimSpace(dec), "{") {
		return "", fmt.Errorf("%s is not a JSON policy document, URL-encoded or not", at)
	}
	return dec, nil
}

// Policy finds a managed policy by ARN.
func (a *AccountAuthorization) Policy(arn string) (ManagedPolicy, bool) {
	for _, p := range a.Policies {
		if p.Arn == arn {
			return p, true
		}
	}
	return ManagedPolicy{}, false
}
