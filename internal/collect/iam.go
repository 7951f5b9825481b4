package collect

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// NoIAMFlagReason is why there is no GetAccountAuthorizationDetails member
// when the run was told not to read IAM.
const NoIAMFlagReason = "IAM was not read (--no-iam or CMK_NO_IAM): the account's IAM policies were not evaluated"

// NoIAMTargetReason is why there is none on a target without IAM.
const NoIAMTargetReason = "the embedded target has no IAM: the account's IAM policies cannot be read"

// authorizationDetails is the member as this tool writes it: every page
// merged, as the AWS CLI prints it after paginating, or why there is none.
// Policy documents stay as IAM sends them (URL-encoded). Policies keeps
// only the managed policies an identity uses (usedPolicies).
type authorizationDetails struct {
	UserDetailList  []iamtypes.UserDetail
	GroupDetailList []iamtypes.GroupDetail
	RoleDetailList  []iamtypes.RoleDetail
	Policies        []iamtypes.ManagedPolicyDetail
	IsTruncated     bool
}

type notRead struct {
	NotRun string              `json:",omitempty"`
	Error  *keystate.CallError `json:",omitempty"`
}

// accountAuthorization reads iam:GetAccountAuthorizationDetails, every
// page (bounded by maxPages), or records why it was not read.
func (r *keyRun) accountAuthorization(ctx context.Context) {
	const member = keystate.GetAccountAuthorizationDetails
	switch {
	case r.opts.NoIAM:
		r.record(member, notRead{NotRun: NoIAMFlagReason})
		return
	case r.target.Kind == keystate.KindEmbedded:
		r.record(member, notRead{NotRun: NoIAMTargetReason})
		return
	}
	out := authorizationDetails{UserDetailList: []iamtypes.UserDetail{}, GroupDetailList: []iamtypes.GroupDetail{},
		RoleDetailList: []iamtypes.RoleDetail{}, Policies: []iamtypes.ManagedPolicyDetail{}}
	client := iam.NewFromConfig(r.cfg)
	// First the identities and the account's own policies; the AWS managed
	// policies (over a thousand, most of the answer's size and time) only
	// when an identity uses one the first answer lacks.
	local := []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup, iamtypes.EntityTypeLocalManagedPolicy}
	if err := r.authorizationPages(ctx, client, local, &out); err != nil {
		r.record(member, notRead{Error: err})
		return
	}
	if missingPolicies(out) {
		var awsManaged authorizationDetails
		if err := r.authorizationPages(ctx, client, []iamtypes.EntityType{iamtypes.EntityTypeAWSManagedPolicy}, &awsManaged); err != nil {
			r.record(member, notRead{Error: err})
			return
		}
		out.Policies = append(out.Policies, awsManaged.Policies...)
	}
	out.Policies = usedPolicies(out)
	raw, err := withoutNulls(out)
	if err != nil {
		r.problems[member] = fmt.Sprintf("%s could not be recorded: %v", member, err)
		return
	}
	r.answers[member] = raw
}

// usedPolicies keeps the managed policies some user, group or role has
// attached or uses as its permissions boundary: the only ones that can
// give or limit a right. IAM's answer also lists every AWS managed policy
// (LocalStack: some 1,400, over 3 MB), which would only bloat the evidence
// past a snapshot's size. An attached policy the answer lacks stays
// missing, and the check says so.
func usedPolicies(a authorizationDetails) []iamtypes.ManagedPolicyDetail {
	used := usedARNs(a)
	kept := []iamtypes.ManagedPolicyDetail{}
	for _, p := range a.Policies {
		if used[aws.ToString(p.Arn)] {
			kept = append(kept, p)
		}
	}
	return kept
}

// usedARNs are the managed policies the identities attach or use as a
// permissions boundary.
func usedARNs(a authorizationDetails) map[string]bool {
	used := map[string]bool{}
	mark := func(list []iamtypes.AttachedPolicy) {
		for _, p := range list {
			used[aws.ToString(p.PolicyArn)] = true
		}
	}
	boundary := func(b *iamtypes.AttachedPermissionsBoundary) {
		if b != nil {
			used[aws.ToString(b.PermissionsBoundaryArn)] = true
		}
	}
	for _, u := range a.UserDetailList {
		mark(u.AttachedManagedPolicies)
		boundary(u.PermissionsBoundary)
	}
	for _, g := range a.GroupDetailList {
		mark(g.AttachedManagedPolicies)
	}
	for _, r := range a.RoleDetailList {
		mark(r.AttachedManagedPolicies)
		boundary(r.PermissionsBoundary)
	}
	return used
}

// authorizationPages asks GetAccountAuthorizationDetails for the entity
// types, every page (bounded by maxPages, 1,000 items a page, the most IAM
// gives), and appends what came to out.
func (r *keyRun) authorizationPages(ctx context.Context, client *iam.Client, filter []iamtypes.EntityType, out *authorizationDetails) *keystate.CallError {
	var marker *string
	for pages := 0; ; pages++ {
		if pages == maxPages {
			return &keystate.CallError{Operation: OpGetAccountAuthorizationDetails,
				Detail: fmt.Sprintf("%s failed: still truncated after %d pages", OpGetAccountAuthorizationDetails, maxPages)}
		}
		page, err := client.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: filter, Marker: marker, MaxItems: aws.Int32(1000)})
		if err != nil {
			return callError(OpGetAccountAuthorizationDetails, err)
		}
		out.UserDetailList = append(out.UserDetailList, page.UserDetailList...)
		out.GroupDetailList = append(out.GroupDetailList, page.GroupDetailList...)
		out.RoleDetailList = append(out.RoleDetailList, page.RoleDetailList...)
		out.Policies = append(out.Policies, page.Policies...)
		if !page.IsTruncated {
			return nil
		}
		if aws.ToString(page.Marker) == "" {
			return &keystate.CallError{Operation: OpGetAccountAuthorizationDetails,
				Detail: fmt.Sprintf("%s failed: page %d says IsTruncated but gives no Marker: the rest cannot be asked for", OpGetAccountAuthorizationDetails, pages+1)}
		}
		marker = page.Marker
	}
}

// missingPolicies: some identity uses a managed policy the answer lacks
// (an AWS managed one, when only the account's own were asked for).
func missingPolicies(a authorizationDetails) bool {
	return len(usedPolicies(a)) < len(usedARNs(a))
}
