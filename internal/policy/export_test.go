package policy

// Questions only the tests ask of a model: the checks ask theirs through
// Decide (internal/checks' access rules), so these stay out of the product.

// DecideAll answers for each action.
func (m *Model) DecideAll(who Who, actions []string) []Decision {
	out := make([]Decision, len(actions))
	for i, a := range actions {
		out[i] = m.Decide(who, a)
	}
	return out
}

// IsAdministrator: who is ALLOWED (grant side) every one of AdminActions.
func (m *Model) IsAdministrator(who Who) bool { return m.grantsAll(who, AdminActions) }

// IsKeyUser: who is ALLOWED (grant side) every one of UserActions.
func (m *Model) IsKeyUser(who Who) bool { return m.grantsAll(who, UserActions) }

// HoldsDeletion: who holds kms:ScheduleKeyDeletion by the risk-side rule.
func (m *Model) HoldsDeletion(who Who) bool {
	return m.Decide(who, "kms:ScheduleKeyDeletion").Risks()
}

func (m *Model) grantsAll(who Who, actions []string) bool {
	for _, a := range actions {
		if !m.Decide(who, a).Grants() {
			return false
		}
	}
	return true
}
