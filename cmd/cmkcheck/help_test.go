package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 18: every way of asking for a subcommand's help prints, on stdout
// and with exit 0, a description of each flag its parse knows: name,
// argument, meaning and default, each flag once. The flags come from the
// subcommand's own flag set, so a flag added later cannot go undescribed.
func TestHelpDescribesEveryFlag(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range subcommands() {
		t.Run(c.name, func(t *testing.T) {
			var helps []string
			for _, args := range [][]string{{"help", c.name}, {c.name, "--help"}, {c.name, "-h"}, {c.name, "-help"}} {
				code, out, errOut := cmkcheck(t, nil, args...)
				require.Equal(t, exitReady, code, "%v: %s", args, errOut)
				assert.Empty(t, errOut, "%v", args)
				helps = append(helps, out)
			}
			for _, h := range helps[1:] {
				assert.Equal(t, helps[0], h, "one help, however it is asked for")
			}
			help := helps[0]
			assert.Contains(t, help, "cmkcheck "+c.name+" ")
			fs := newFlagSet(c.name)
			c.flags(fs)
			fs.VisitAll(func(f *flag.Flag) {
				seen[c.name+" --"+f.Name] = true
				arg, meaning := flag.UnquoteUsage(f)
				assert.NotEmpty(t, strings.TrimSpace(meaning), "--%s has no description", f.Name)
				head := "  --" + f.Name
				if arg != "" {
					head += " " + arg
				}
				assert.Equal(t, 1, countLines(help, head), "%s: --%s is described once, as %q", c.name, f.Name, head)
				assert.Contains(t, help, head+"\n        "+meaning, "%s: --%s's description follows its name", c.name, f.Name)
				switch f.DefValue {
				case "", "false", "0", "0s":
				default:
					assert.Contains(t, help, meaning+" (default: "+f.DefValue+")", "%s: --%s's default", c.name, f.Name)
				}
			})
		})
	}
	// The flag sets the help is derived from are the ones that parse: audit
	// holds the single-key and the fleet flags, evaluate all three inputs'.
	for _, want := range []string{"audit --key", "audit --watch", "audit --all", "audit --keys", "audit --parallel", "audit --format",
		"evaluate --snapshot", "evaluate --baseline", "evaluate --cloudformation", "evaluate --terraform-plan", "evaluate --parameter",
		"report --results", "report --junit", "verify --results", "audit --shard", "merge --out", "merge --format"} {
		assert.True(t, seen[want], "%s is among the flags described", want)
	}
}

func countLines(s, line string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if l == line {
			n++
		}
	}
	return n
}

// `cmkcheck help`, `--help` and `-h` describe every subcommand, each as its
// own help does, on stdout with exit 0.
func TestHelpOfAll(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "help"}} {
		code, out, errOut := cmkcheck(t, nil, args...)
		require.Equal(t, exitReady, code, "%v: %s", args, errOut)
		assert.Empty(t, errOut)
		for _, c := range subcommands() {
			_, one, _ := cmkcheck(t, nil, "help", c.name)
			assert.Contains(t, out, one, "%v holds the help of %s", args, c.name)
		}
	}
}

// An unknown flag or subcommand is a usage error naming the closest known
// one, or listing them when none is close; on stderr, with the short usage
// only (the flags' descriptions are for --help).
func TestUnknownNamesTheClosest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"evaluate", "-snaphot", compliant}, []string{"unknown flag --snaphot; did you mean --snapshot?"}},
		{[]string{"evaluate", "--Snapshot", compliant}, []string{"did you mean --snapshot?"}},
		{[]string{"evaluate", "--terraform_plan=x.json"}, []string{"did you mean --terraform-plan?"}},
		{[]string{"evaluate", "--cloud", "t.yaml"}, []string{"did you mean --cloudformation?"}},
		{[]string{"report", "--result", "r.json"}, []string{"did you mean --results?"}},
		{[]string{"verify", "--results", "r.json", "--fromat", "json"}, []string{"did you mean --format?"}},
		{[]string{"audit", "--paralel", "4"}, []string{"did you mean --parallel?"}},
		{[]string{"audit", "--save_snapshot", "s.json"}, []string{"did you mean --save-snapshot?"}},
		{[]string{"audit", "--kes", "k.txt"}, []string{"did you mean --key or --keys?"}},
		{[]string{"evaluate", "--verbose"}, []string{"unknown flag --verbose; the flags of evaluate are --account, --baseline, --cloudformation,", "--terraform-plan (cmkcheck help evaluate describes them)"}},
		{[]string{"evalute", "--snapshot", compliant}, []string{`unknown command "evalute"; did you mean evaluate?`}},
		{[]string{"audti"}, []string{"did you mean audit?"}},
		{[]string{"judge"}, []string{`unknown command "judge"; the commands are evaluate, report, verify, audit, merge, catalog, version, help`}},
		{[]string{"help", "verfy"}, []string{`unknown command "verfy"; did you mean verify?`}},
		{[]string{"hlep"}, []string{`unknown command "hlep"; did you mean help?`}},
		{[]string{"evaluate", "--snapshot"}, []string{"--snapshot needs its argument, FILE"}},
	} {
		code, out, errOut := cmkcheck(t, nil, tc.args...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Empty(t, out, "%v: errors go to stderr", tc.args)
		for _, w := range tc.want {
			assert.Contains(t, errOut, w, "%v", tc.args)
		}
		assert.Contains(t, errOut, "cmkcheck help [COMMAND]", "%v: the short usage says where the help is", tc.args)
		assert.NotContains(t, errOut, "judge drift (CMK-DRF-1)", "%v: no flag descriptions after an error", tc.args)
	}
}

// A missing input names every input that would do; two inputs name both;
// a flag of another input is refused, never ignored.
func TestInputErrorsNameEveryAlternative(t *testing.T) {
	const every = "--snapshot FILE, --cloudformation TEMPLATE, --terraform-plan PLAN.json"
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"evaluate"}, "evaluate needs one of " + every},
		{nil, []string{"evaluate", "--profile", example, "--format", "json"}, "evaluate needs one of " + every},
		{nil, []string{"evaluate", "--snapshot", compliant, "--terraform-plan", refPlan}, "--snapshot and --terraform-plan are given, and evaluate judges one input: give one of " + every},
		{nil, []string{"evaluate", "--terraform-plan", refPlan, "--cloudformation", refTemplate, "--snapshot", compliant}, "--snapshot, --cloudformation and --terraform-plan are given"},
		{nil, []string{"evaluate", "--snapshot", ""}, "--snapshot needs a file"},
		{nil, []string{"evaluate", "--snapshot", compliant, "--account", "111122223333"}, "--account is for --cloudformation and --terraform-plan (a key before it exists), not --snapshot"},
		{nil, []string{"evaluate", "--snapshot", compliant, "--out", "dir"}, "--out is for --cloudformation and --terraform-plan"},
		{nil, []string{"evaluate", "--cloudformation", refTemplate, "--baseline", compliant}, "--baseline is for --snapshot (a key that exists), not --cloudformation"},
		{nil, []string{"report"}, "report needs --results FILE, the results file of an earlier run: one that evaluate --results FILE wrote, or one in the --out DIR of audit or evaluate"},
		{nil, []string{"verify", "--format", "json"}, "verify needs --results FILE, the results file of an earlier run"},
		{nil, []string{"catalog"}, "catalog needs --oscal FILE, the file to write the OSCAL catalog to"},
		{nil, []string{"audit", "--parallel", "2"}, "--parallel is for a fleet: select its keys with --all or --keys FILE (or CMK_ALL / CMK_KEYS_FILE)"},
		{nil, []string{"audit", "--all=false", "--progress"}, "--progress is for a fleet"},
		{nil, []string{"audit", "--all", "--watch"}, "--watch is for one key; the fleet selection (--all, --keys, or CMK_ALL / CMK_KEYS_FILE) names many"},
		{map[string]string{"CMK_ALL": "1"}, []string{"audit", "--baseline", compliant}, "--baseline is for one key"},
	} {
		args := tc.args
		if args[0] == "audit" { // should it run after all, nothing lands in ./out
			args = append(args, "--out", t.TempDir())
		}
		code, out, errOut := cmkcheck(t, tc.env, args...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Empty(t, out, "%v", tc.args)
		assert.Contains(t, errOut, tc.want, "%v", tc.args)
	}
}
