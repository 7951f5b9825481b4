// Package env reads the environment variables the documentation names into
// the values the packages below take. Only the edges use it: the command
// (cmd/cmkcheck) and the go test suites, which are also the only places
// that call os.Getenv; targets, audit, provision and reports take values
// and read no environment (edges_test.go holds every package to that).
//
// Each variable is read when a command needs it, not all at once, so that
// a bad value of a variable a command does not use (CMK_TARGET for
// `cmkcheck evaluate`) stops nothing.
package env

import (
	"fmt"
	"strconv"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// The variables, by name (README, "Environment variables").
const (
	Target             = "CMK_TARGET"                   // embedded, localstack or aws
	Provision          = "CMK_PROVISION"                // 1: creating keys on aws is allowed
	Profile            = "CMK_PROFILE"                  // the profile file
	ReportDir          = "CMK_REPORT_DIR"               // where the suites write reports
	StepSummary        = "GITHUB_STEP_SUMMARY"          // GitHub Actions' job summary file
	Region             = "AWS_REGION"                   // the region when the profile names none
	LocalStackEndpoint = "LOCALSTACK_ENDPOINT"          // a running LocalStack
	EndpointURL        = "AWS_ENDPOINT_URL"             // the same, when LOCALSTACK_ENDPOINT is unset
	LocalStackImage    = "LOCALSTACK_IMAGE"             // the image testcontainers-go starts
	LocalStackToken    = "LOCALSTACK_AUTH_TOKEN"        // passed to that container
	LocalStackNetwork  = "LOCALSTACK_CONTAINER_NETWORK" // "host": the host's network, for an engine with no bridge
	LocalStackPort     = "LOCALSTACK_CONTAINER_PORT"    // with the host's network, LocalStack's port on 127.0.0.1
	LocalStackPull     = "LOCALSTACK_CONTAINER_PULL"    // "never": the image must be in the engine already
	AssumeRole         = "TERRATEST_IAM_ROLE"           // a role to assume on aws
	SkipSetup          = "SKIP_setup"                   // terratest stages: reuse a kept key
	SkipTeardown       = "SKIP_teardown"                // terratest stages: keep the key
	NoIAM              = "CMK_NO_IAM"                   // do not read the account's IAM side (the access checks judge key policy and grants alone)
	AccessKeyID        = "AWS_ACCESS_KEY_ID"            // on LocalStack, a 12-digit one names the account
)

// Vars is how an edge reads a variable: os.Getenv in main and the suites,
// a map in tests.
type Vars func(string) string

// Target is the target kind: flag when the user gave one (the caller
// checks it), else CMK_TARGET, else "" (the audit's default, embedded). A
// CMK_TARGET that names no kind is an error naming the variable.
func (e Vars) Target(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	v := e(Target)
	if v == "" {
		return "", nil
	}
	if err := keystate.CheckLiveKind(v); err != nil {
		return "", fmt.Errorf("%s: %w", Target, err)
	}
	return v, nil
}

// Provision is CMK_PROVISION: unset is false, otherwise a Go boolean (1, t,
// true, 0, f, false, ...); anything else is an error naming the variable.
func (e Vars) Provision() (bool, error) {
	v := e(Provision)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not true or false (1 or 0)", Provision, v)
	}
	return b, nil
}

// NoIAM is --no-iam when given, else CMK_NO_IAM: unset is false,
// otherwise a Go boolean; anything else is an error naming the variable.
func (e Vars) NoIAM(flag bool) (bool, error) {
	if flag {
		return true, nil
	}
	v := e(NoIAM)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not true or false (1 or 0)", NoIAM, v)
	}
	return b, nil
}

// Opener is the target opener the environment describes. It starts no
// LocalStack (StartLocalStack is nil): an edge that may, sets it.
func (e Vars) Opener() targets.Opener {
	endpoint := e(LocalStackEndpoint)
	if endpoint == "" {
		endpoint = e(EndpointURL)
	}
	return targets.Opener{
		DefaultRegion:      e(Region),
		LocalStackEndpoint: endpoint,
		AssumeRole:         e(AssumeRole),
		// Only the account it names is passed on, never the key itself.
		LocalStackAccount: targets.AccessKeyAccount(e(AccessKeyID)),
	}
}

// Container is how to start LocalStack through testcontainers-go, as the
// variables give it; package container checks the values (its Settings
// has these fields, so an edge converts one into the other).
type Container struct {
	Image, AuthToken    string
	Network, Port, Pull string
}

// LocalStackContainer reads the variables of a LocalStack started through
// testcontainers-go ("" for each one unset).
func (e Vars) LocalStackContainer() Container {
	return Container{Image: e(LocalStackImage), AuthToken: e(LocalStackToken),
		Network: e(LocalStackNetwork), Port: e(LocalStackPort), Pull: e(LocalStackPull)}
}

// IsSet says whether a switch variable such as SKIP_teardown is set: any
// value but "" counts, as terratest's test_structure reads them.
func (e Vars) IsSet(name string) bool { return e(name) != "" }
