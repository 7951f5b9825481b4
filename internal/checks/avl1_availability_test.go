package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var avl1Cases = table([]tc{
	{name: "shield unset", id: "CMK-AVL-1", want: checks.Skip, observe: "shield is not set"},
	{name: "privacy-security", id: "CMK-AVL-1", profile: "shield: privacy-security", want: checks.Pass},
	{name: "healthcare", id: "CMK-AVL-1", profile: "shield: healthcare", want: checks.Fail},
})

func TestAVL1Availability(t *testing.T) { runCases(t, avl1Cases) }
