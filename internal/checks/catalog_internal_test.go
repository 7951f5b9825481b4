package checks

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRankRefusesMalformedIDs(t *testing.T) {
	for _, id := range []string{"", "CMK-ADM", "CMK-XYZ-1", "cmk-adm-1", "CMK-ADM-0", "CMK-ADM-1 ", "XCMK-ADM-1"} {
		_, _, err := rank(id)
		assert.Error(t, err, "%q", id)
	}
	f, n, err := rank("CMK-OPS-12")
	assert.NoError(t, err)
	assert.Equal(t, slices.Index(families, "OPS"), f)
	assert.Equal(t, 12, n)
	assert.True(t, less("CMK-CFG-2", "CMK-CFG-10"), "by number, not by text")
	assert.True(t, less("CMK-REG-2", "CMK-CFG-1"), "by the spec's family order, not alphabetically")
	assert.False(t, less("CMK-CFG-1", "CMK-CFG-1"))
}

// A malformed registration stops the program at start, naming the check;
// a good one lands in its place whatever the file order.
func TestRegister(t *testing.T) {
	saved := slices.Clone(registry)
	t.Cleanup(func() { registry = saved })
	ok := func(id string) Check {
		return Check{ID: id, Title: "t", Severity: Required, Section: "s", Expected: "e", eval: func(*env) outcome { return pass("p") }}
	}
	assert.PanicsWithValue(t, "checks: CMK-ADM-1 is registered twice", func() { register(ok("CMK-ADM-1")) })
	assert.Panics(t, func() { register(ok("CMK-XYZ-1")) })
	noEval := ok("CMK-MON-1")
	noEval.eval = nil
	assert.PanicsWithValue(t, "checks: CMK-MON-1 is registered without its evaluator, title, section, expected text or severity", func() { register(noEval) })
	assert.Equal(t, ids(saved), ids(registry), "a refused registration changes nothing")

	register(ok("CMK-USR-5"))
	i := slices.IndexFunc(registry, func(c Check) bool { return c.ID == "CMK-USR-5" })
	assert.Equal(t, "CMK-USR-4", registry[i-1].ID)
	assert.Equal(t, "CMK-GRT-1", registry[i+1].ID)
}

func ids(cs []Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
