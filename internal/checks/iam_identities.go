package checks

import (
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// iamNotEvaluated is what the IAM-based results say they did not read, in
// words an auditor can quote.
const iamNotEvaluated = "not evaluated: service control policies and resource control policies (AWS Organizations), session policies and VPC endpoint policies; each can only remove rights, so this is an upper bound"

// iamIdentities turns the account's IAM answer into the evaluator's
// identities: each user with its own and its groups' policies, each role
// with its own, each with its permissions boundary. A policy that cannot
// be found or read is an error naming it: the identity's rights would be
// unknown.
func iamIdentities(a *keystate.AccountAuthorization, account string) ([]policy.Identity, error) {
	// Managed policies are parsed when an identity uses one: the answer may
	// list policies nobody uses, and those cannot give anyone a right.
	byARN := map[string]keystate.ManagedPolicy{}
	for _, mp := range a.Policies {
		byARN[mp.Arn] = mp
	}
	parsed := map[string]*policy.IdentityPolicy{}
	managedPolicy := func(arn string) (*policy.IdentityPolicy, bool, error) {
		if p, ok := parsed[arn]; ok {
			return p, true, nil
		}
		mp, ok := byARN[arn]
		if !ok {
			return nil, false, nil
		}
		doc, err := policy.ParseIdentityPolicy([]byte(mp.Document))
		if err != nil {
			return nil, true, fmt.Errorf("managed policy %s (version %s): %v", mp.Arn, mp.DefaultVersionID, err)
		}
		p := &policy.IdentityPolicy{Name: "managed policy " + mp.Arn, Doc: doc}
		parsed[arn] = p
		return p, true, nil
	}
	attached := func(owner string, arns []string, into *[]policy.IdentityPolicy) error {
		for _, arn := range arns {
			p, ok, err := managedPolicy(arn)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%s has managed policy %s attached, but the answer does not hold that policy", owner, arn)
			}
			*into = append(*into, *p)
		}
		return nil
	}
	inline := func(owner string, list []keystate.InlinePolicy, into *[]policy.IdentityPolicy) error {
		for _, ip := range list {
			doc, err := policy.ParseIdentityPolicy([]byte(ip.Document))
			if err != nil {
				return fmt.Errorf("inline policy %s of %s: %v", ip.Name, owner, err)
			}
			*into = append(*into, policy.IdentityPolicy{Name: fmt.Sprintf("inline policy %q of %s", ip.Name, owner), Doc: doc})
		}
		return nil
	}
	boundary := func(owner, arn string) (*policy.IdentityPolicy, error) {
		if arn == "" {
			return nil, nil
		}
		p, ok, err := managedPolicy(arn)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s has permissions boundary %s, but the answer does not hold that policy", owner, arn)
		}
		b := *p
		b.Name = "permissions boundary " + arn
		return &b, nil
	}
	groups := map[string]keystate.IAMGroup{}
	for _, g := range a.Groups {
		groups[g.GroupName] = g
	}
	var out []policy.Identity
	add := func(arn string, build func(id *policy.Identity) error) error {
		w, err := policy.WhoARN(arn)
		if err != nil {
			return fmt.Errorf("IAM identity %s: %v", arn, err)
		}
		if w.Account != account {
			return fmt.Errorf("the IAM answer is for account %s (%s), but the key belongs to account %s: the key's account was not read", w.Account, arn, account)
		}
		id := policy.Identity{Who: w}
		if err := build(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	}
	for _, u := range a.Users {
		err := add(u.Arn, func(id *policy.Identity) error {
			owner := "user " + u.UserName
			if err := inline(owner, u.Inline, &id.Policies); err != nil {
				return err
			}
			if err := attached(owner, u.Attached, &id.Policies); err != nil {
				return err
			}
			for _, gn := range u.Groups {
				g, ok := groups[gn]
				if !ok {
					return fmt.Errorf("%s is in group %s, but the answer does not hold that group", owner, gn)
				}
				if err := inline("group "+g.GroupName, g.Inline, &id.Policies); err != nil {
					return err
				}
				if err := attached("group "+g.GroupName, g.Attached, &id.Policies); err != nil {
					return err
				}
			}
			b, err := boundary(owner, u.PermissionsBoundary)
			id.Boundary = b
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	for _, r := range a.Roles {
		err := add(r.Arn, func(id *policy.Identity) error {
			owner := "role " + r.RoleName
			if err := inline(owner, r.Inline, &id.Policies); err != nil {
				return err
			}
			if err := attached(owner, r.Attached, &id.Policies); err != nil {
				return err
			}
			b, err := boundary(owner, r.PermissionsBoundary)
			id.Boundary = b
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	policy.SortIdentities(out)
	return out, nil
}

// iamUnusable says why the IAM member cannot be judged: a SKIP (not read,
// with the reason) or an ERROR (the call failed; a denial names the
// permission). ok is false when the caller must return o.
func iamUnusable(s *keystate.State) (o outcome, ok bool) {
	const m = keystate.GetAccountAuthorizationDetails
	a := s.IAM
	switch {
	case a == nil && s.Declared != "":
		return skipped(offline(s) + ": the account's IAM policies (" + m + ") were not evaluated"), false
	case a == nil && !s.Live():
		return skipped(offline(s) + " without the " + m + " member: the account's IAM policies were not evaluated"), false
	case a == nil:
		return notRecorded(m, "IAM was not read"), false
	case a.NotRun != "":
		return skipped(a.NotRun), false
	case a.Error != nil:
		msg := callFailed(a.Error)
		if strings.Contains(a.Error.Code, "AccessDenied") || strings.Contains(a.Error.Detail, "AccessDenied") {
			msg = "reading IAM was denied: the caller needs iam:GetAccountAuthorizationDetails; " + msg
		}
		return errored(msg), false
	case a.Users == nil && a.Groups == nil && a.Roles == nil && a.Policies == nil:
		return errored("the " + m + " member holds neither the answer nor why there is none"), false
	}
	return outcome{}, true
}

// shortARN drops an IAM path, so arn:aws:iam::1:role/team/Ops and
// arn:aws:iam::1:role/Ops compare equal: a key policy and a profile name
// roles without their paths.
func shortARN(arn string) string {
	f, ok := awsid.ARNFields(arn)
	if !ok || f[2] != "iam" {
		return arn
	}
	for _, kind := range []string{"role/", "user/"} {
		if strings.HasPrefix(f[5], kind) {
			f[5] = kind + f[5][strings.LastIndex(f[5], "/")+1:]
			return strings.Join(f[:], ":")
		}
	}
	return arn
}
