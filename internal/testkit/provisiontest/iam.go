package provisiontest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// The IAM objects are made only by the suites' self-tests of CMK-ADM-4 and
// CMK-PRM-1: they live here, so the product links no code that creates IAM
// users, roles or policies.

// IAMSpec is a set of IAM objects for a self-test of CMK-ADM-4: managed
// policies, roles, groups and users, with inline policies, attachments and
// permissions boundaries. Names are given without a suffix; CreateIAM
// adds one unique suffix to every name, so runs do not collide.
type IAMSpec struct {
	ManagedPolicies map[string]string // name -> document
	Roles           []IAMRoleSpec
	Groups          []IAMGroupSpec
	Users           []IAMUserSpec
}

// IAMRoleSpec is one role. Attached and Boundary name managed policies of
// the spec. Trust is its trust policy; "" lets EC2 assume it, a service
// principal that the access model expects to assume a role.
type IAMRoleSpec struct {
	Name     string
	Inline   map[string]string // policy name -> document
	Attached []string
	Boundary string
	Trust    string
}

// IAMGroupSpec is one group.
type IAMGroupSpec struct {
	Name     string
	Inline   map[string]string
	Attached []string
}

// IAMUserSpec is one user, in Groups of the spec.
type IAMUserSpec struct {
	Name     string
	Inline   map[string]string
	Attached []string
	Groups   []string
	Boundary string
}

// IAMObjects is what CreateIAM made, for DeleteIAME and for assertions:
// each spec name with its ARN (managed policies, roles, users) or name.
type IAMObjects struct {
	Suffix   string
	Policies map[string]string // spec name -> policy ARN
	Roles    map[string]string // spec name -> role ARN
	Users    map[string]string // spec name -> user ARN
	Groups   map[string]string // spec name -> group name
	spec     IAMSpec
}

// Name is the real name of a spec name.
func (o *IAMObjects) Name(spec string) string { return spec + "-" + o.Suffix }

const assumeByEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// createIAME makes the spec's IAM objects. On error what was made is
// deleted again, and the error says what failed (and any cleanup error).
func createIAME(ctx context.Context, cfg aws.Config, spec IAMSpec) (*IAMObjects, error) {
	// Eight base-32 characters (32^8 values) keep concurrent runs apart
	// and every name within IAM's 64 characters.
	suffix := rand.Text()[:8]
	o := &IAMObjects{Suffix: suffix, Policies: map[string]string{}, Roles: map[string]string{}, Users: map[string]string{}, Groups: map[string]string{}, spec: spec}
	c := iam.NewFromConfig(cfg)
	fail := func(op string, err error) (*IAMObjects, error) {
		err = fmt.Errorf("provisiontest: %s: %w", op, err)
		if derr := DeleteIAME(context.Background(), cfg, o); derr != nil {
			err = errors.Join(err, fmt.Errorf("and cleaning up what was made: %w", derr))
		}
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(spec.ManagedPolicies)) {
		out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(o.Name(name)), PolicyDocument: aws.String(spec.ManagedPolicies[name])})
		if err != nil {
			return fail("iam:CreatePolicy "+o.Name(name), err)
		}
		o.Policies[name] = aws.ToString(out.Policy.Arn)
	}
	policyARN := func(name string) (string, error) {
		arn, ok := o.Policies[name]
		if !ok {
			return "", fmt.Errorf("managed policy %q is not in the spec", name)
		}
		return arn, nil
	}
	for _, g := range spec.Groups {
		gn := o.Name(g.Name)
		if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(gn)}); err != nil {
			return fail("iam:CreateGroup "+gn, err)
		}
		o.Groups[g.Name] = gn
		for _, pn := range slices.Sorted(maps.Keys(g.Inline)) {
			if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(gn), PolicyName: aws.String(pn), PolicyDocument: aws.String(g.Inline[pn])}); err != nil {
				return fail("iam:PutGroupPolicy "+gn, err)
			}
		}
		for _, a := range g.Attached {
			arn, err := policyARN(a)
			if err == nil {
				_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(gn), PolicyArn: aws.String(arn)})
			}
			if err != nil {
				return fail("iam:AttachGroupPolicy "+gn, err)
			}
		}
	}
	for _, r := range spec.Roles {
		rn := o.Name(r.Name)
		trust := r.Trust
		if trust == "" {
			trust = assumeByEC2
		}
		in := &iam.CreateRoleInput{RoleName: aws.String(rn), AssumeRolePolicyDocument: aws.String(trust)}
		if r.Boundary != "" {
			arn, err := policyARN(r.Boundary)
			if err != nil {
				return fail("iam:CreateRole "+rn, err)
			}
			in.PermissionsBoundary = aws.String(arn)
		}
		out, err := c.CreateRole(ctx, in)
		if err != nil {
			return fail("iam:CreateRole "+rn, err)
		}
		o.Roles[r.Name] = aws.ToString(out.Role.Arn)
		for _, pn := range slices.Sorted(maps.Keys(r.Inline)) {
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(rn), PolicyName: aws.String(pn), PolicyDocument: aws.String(r.Inline[pn])}); err != nil {
				return fail("iam:PutRolePolicy "+rn, err)
			}
		}
		for _, a := range r.Attached {
			arn, err := policyARN(a)
			if err == nil {
				_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(rn), PolicyArn: aws.String(arn)})
			}
			if err != nil {
				return fail("iam:AttachRolePolicy "+rn, err)
			}
		}
	}
	for _, u := range spec.Users {
		un := o.Name(u.Name)
		in := &iam.CreateUserInput{UserName: aws.String(un)}
		if u.Boundary != "" {
			arn, err := policyARN(u.Boundary)
			if err != nil {
				return fail("iam:CreateUser "+un, err)
			}
			in.PermissionsBoundary = aws.String(arn)
		}
		out, err := c.CreateUser(ctx, in)
		if err != nil {
			return fail("iam:CreateUser "+un, err)
		}
		o.Users[u.Name] = aws.ToString(out.User.Arn)
		for _, pn := range slices.Sorted(maps.Keys(u.Inline)) {
			if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(un), PolicyName: aws.String(pn), PolicyDocument: aws.String(u.Inline[pn])}); err != nil {
				return fail("iam:PutUserPolicy "+un, err)
			}
		}
		for _, a := range u.Attached {
			arn, err := policyARN(a)
			if err == nil {
				_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(un), PolicyArn: aws.String(arn)})
			}
			if err != nil {
				return fail("iam:AttachUserPolicy "+un, err)
			}
		}
		for _, g := range u.Groups {
			gn, ok := o.Groups[g]
			if !ok {
				return fail("iam:AddUserToGroup "+un, fmt.Errorf("group %q is not in the spec", g))
			}
			if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(un), GroupName: aws.String(gn)}); err != nil {
				return fail("iam:AddUserToGroup "+un, err)
			}
		}
	}
	return o, nil
}

// DeleteIAME deletes every IAM object CreateIAM made: users (out of their
// groups, policies detached and deleted), roles, groups, then the managed
// policies. It goes on past an error, and returns them all; an object
// already gone (NoSuchEntity) is no error.
func DeleteIAME(ctx context.Context, cfg aws.Config, o *IAMObjects) error {
	if o == nil {
		return nil
	}
	c := iam.NewFromConfig(cfg)
	var errs []error
	try := func(op string, err error) {
		var gone *iamtypes.NoSuchEntityException
		if err != nil && !errors.As(err, &gone) {
			errs = append(errs, fmt.Errorf("%s: %w", op, err))
		}
	}
	for _, u := range o.spec.Users {
		if _, made := o.Users[u.Name]; !made {
			continue
		}
		un := aws.String(o.Name(u.Name))
		for _, g := range u.Groups {
			if gn, ok := o.Groups[g]; ok {
				_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: un, GroupName: aws.String(gn)})
				try("iam:RemoveUserFromGroup "+*un, err)
			}
		}
		for _, pn := range slices.Sorted(maps.Keys(u.Inline)) {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: un, PolicyName: aws.String(pn)})
			try("iam:DeleteUserPolicy "+*un, err)
		}
		for _, a := range u.Attached {
			if arn, ok := o.Policies[a]; ok {
				_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: un, PolicyArn: aws.String(arn)})
				try("iam:DetachUserPolicy "+*un, err)
			}
		}
		if u.Boundary != "" {
			_, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: un})
			try("iam:DeleteUserPermissionsBoundary "+*un, err)
		}
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: un})
		try("iam:DeleteUser "+*un, err)
	}
	for _, r := range o.spec.Roles {
		if _, made := o.Roles[r.Name]; !made {
			continue
		}
		rn := aws.String(o.Name(r.Name))
		for _, pn := range slices.Sorted(maps.Keys(r.Inline)) {
			_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: rn, PolicyName: aws.String(pn)})
			try("iam:DeleteRolePolicy "+*rn, err)
		}
		for _, a := range r.Attached {
			if arn, ok := o.Policies[a]; ok {
				_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: rn, PolicyArn: aws.String(arn)})
				try("iam:DetachRolePolicy "+*rn, err)
			}
		}
		if r.Boundary != "" {
			_, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: rn})
			try("iam:DeleteRolePermissionsBoundary "+*rn, err)
		}
		_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: rn})
		try("iam:DeleteRole "+*rn, err)
	}
	for _, g := range o.spec.Groups {
		gn, made := o.Groups[g.Name]
		if !made {
			continue
		}
		for _, pn := range slices.Sorted(maps.Keys(g.Inline)) {
			_, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(gn), PolicyName: aws.String(pn)})
			try("iam:DeleteGroupPolicy "+gn, err)
		}
		for _, a := range g.Attached {
			if arn, ok := o.Policies[a]; ok {
				_, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String(gn), PolicyArn: aws.String(arn)})
				try("iam:DetachGroupPolicy "+gn, err)
			}
		}
		_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(gn)})
		try("iam:DeleteGroup "+gn, err)
	}
	for _, name := range slices.Sorted(maps.Keys(o.Policies)) {
		_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(o.Policies[name])})
		try("iam:DeletePolicy "+o.Policies[name], err)
	}
	return errors.Join(errs...)
}
