package checks

import (
	"sort"

	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// AccessRow is one principal of the access matrix: what it holds on the
// key (risk side: ALLOWED or CONDITIONAL) through the key policy, grants
// and, with the IAM member, IAM, and whether the profile chose it.
type AccessRow struct {
	Principal string `json:"principal"`
	Chosen    bool   `json:"chosen"`
	// As says why a chosen principal is expected ("chosen administrator",
	// "Adobe account", ...); "" for one nobody chose.
	As           string      `json:"as,omitempty"`
	Administer   *AccessCell `json:"administer,omitempty"`
	Delete       *AccessCell `json:"delete,omitempty"`
	Disable      *AccessCell `json:"disable,omitempty"`
	RePolicy     *AccessCell `json:"re_policy,omitempty"`
	Use          *AccessCell `json:"use,omitempty"`
	CreateGrants *AccessCell `json:"create_grants,omitempty"`
}

// AccessCell is one right held: ALLOWED or CONDITIONAL, the actions that
// give it (use: those held), and the sources (key policy statement index
// and Sid, grant ID, IAM policy statement, boundary).
type AccessCell struct {
	Answer  policy.Answer `json:"answer"`
	Actions []string      `json:"actions,omitempty"`
	Sources []string      `json:"sources,omitempty"`
	// NotChosen: the profile does not give this principal this right (as
	// the deletion, disabling and re-policy check and the key-users check judge it): an auditor's first question.
	NotChosen bool `json:"not_chosen,omitempty"`
}

func (a *access) matrix(e *env) []AccessRow {
	var rows []AccessRow
	chosen := a.chosen(e)
	for _, w := range a.whos {
		r := AccessRow{Principal: w.String()}
		r.Administer = a.cell(w, policy.AdminActions, true)
		r.Delete = a.cell(w, []string{"kms:ScheduleKeyDeletion"}, true)
		r.Disable = a.cell(w, []string{"kms:DisableKey"}, true)
		r.RePolicy = a.cell(w, []string{"kms:PutKeyPolicy"}, true)
		r.Use = a.cell(w, policy.UseActions, false)
		r.CreateGrants = a.cell(w, []string{"kms:CreateGrant"}, true)
		if r.Administer == nil && r.Delete == nil && r.Disable == nil && r.RePolicy == nil && r.Use == nil && r.CreateGrants == nil {
			continue
		}
		r.As = chosen.as(a, w)
		if r.As == "" && w.Kind == policy.WhoKindService && r.Use != nil && a.ownService(w, a.holding(w, policy.UseActions, risks)) {
			r.As = "AWS service for the own account's resources, or by grant" // reported, not failed, by the users check
		}
		r.Chosen = r.As != ""
		admin := r.As == "chosen administrator" || r.As == "break_glass"
		deletion := r.As == "break_glass" || (admin && e.p.AllowKeyDeletion != nil && *e.p.AllowKeyDeletion)
		for _, c := range []struct {
			cell *AccessCell
			ok   bool
		}{{r.Administer, admin}, {r.Delete, deletion}, {r.Disable, admin}, {r.RePolicy, admin}, {r.Use, r.Chosen}, {r.CreateGrants, r.Chosen}} {
			if c.cell != nil {
				c.cell.NotChosen = !c.ok
			}
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Principal < rows[j].Principal })
	return rows
}

// cell is the right to actions: every one of them held (every), or any one
// (use); ALLOWED when each counted action is ALLOWED, else CONDITIONAL.
func (a *access) cell(w policy.Who, actions []string, every bool) *AccessCell {
	if every && !a.every(w, actions, risks) {
		return nil
	}
	held := a.holding(w, actions, risks)
	if len(held) == 0 {
		return nil
	}
	c := &AccessCell{Answer: policy.Allowed}
	seen := map[string]bool{}
	for _, d := range held {
		if d.Answer != policy.Allowed {
			c.Answer = policy.Conditional
		}
		if !every {
			c.Actions = append(c.Actions, d.Action)
		}
		for _, s := range a.sourcesOf(d) {
			if !seen[s] {
				seen[s] = true
				c.Sources = append(c.Sources, s)
			}
		}
	}
	if !every && len(c.Actions) > 0 {
		for _, d := range held {
			if d.Answer == policy.Allowed {
				c.Answer = policy.Allowed // one action allowed outright is use outright
				break
			}
		}
	}
	return c
}

// chosenSets are the profile's choices, read once for the matrix: the
// same sets the administrator and users checks judge by.
type chosenSets struct {
	breakGlass, admins, users map[string]bool // by shortARN
	adobe, allowed            []string        // accounts
}

func (a *access) chosen(e *env) chosenSets {
	admins, users := e.p.KeyAdministrators, e.p.KeyUsers
	if admins == nil {
		admins = whoList(a.ownIAM(a.keyPolicyAdmin))
	}
	if users == nil {
		users = whoList(a.ownIAM(a.keyPolicyUser))
	}
	return chosenSets{breakGlass: shortSet(e.p.BreakGlass), admins: shortSet(admins), users: shortSet(users),
		adobe: e.adobe, allowed: e.p.AllowedExternalAccounts}
}

// as says why the profile expects w to hold rights, "" when it does not.
func (c chosenSets) as(a *access, w policy.Who) string {
	k := shortARN(a.asRole(w))
	switch {
	case c.breakGlass[k]:
		return "break_glass"
	case c.admins[k]:
		return "chosen administrator"
	case c.users[k]:
		return "chosen user"
	}
	if w.Account != "" {
		for _, acct := range c.adobe {
			if acct == w.Account {
				return "Adobe account"
			}
		}
		for _, acct := range c.allowed {
			if acct == w.Account {
				return "allowed account"
			}
		}
	}
	return ""
}
