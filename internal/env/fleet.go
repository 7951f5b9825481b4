package env

import (
	"fmt"
	"strconv"

	"github.com/aep-cmk/cmkcheck/internal/fleet"
)

// The fleet's variables: the selection `cmkcheck audit --all` and its
// companions make, for the suites (and as the flags' defaults).
const (
	FleetAll          = "CMK_ALL"                // 1: every customer managed key the caller can list
	FleetKeysFile     = "CMK_KEYS_FILE"          // a keys file: IDs, ARNs or aliases, one a line
	FleetRegions      = "CMK_REGIONS"            // comma-separated regions
	FleetAccountsFile = "CMK_ACCOUNTS_FILE"      // an accounts file, one account ID a line
	FleetOrganization = "CMK_ORGANIZATION"       // 1: the AWS Organization's accounts
	FleetRoleTemplate = "CMK_ROLE_ARN_TEMPLATE"  // arn:aws:iam::{account}:role/NAME
	FleetPlatformOnly = "CMK_PLATFORM_KEYS_ONLY" // 1: report the platform's keys only
	FleetParallel     = "CMK_PARALLEL"           // keys audited at once
)

// FleetInput is the fleet selection the environment gives, and the
// parallelism (0 when unset). A switch that is not a boolean, or a
// parallelism that is not a number, is an error naming the variable.
func (e Vars) FleetInput() (fleet.Input, int, error) {
	in := fleet.Input{KeysFile: e(FleetKeysFile), Regions: e(FleetRegions), AccountsFile: e(FleetAccountsFile), RoleTemplate: e(FleetRoleTemplate)}
	for _, b := range []struct {
		name string
		to   *bool
	}{{FleetAll, &in.All}, {FleetOrganization, &in.Organization}, {FleetPlatformOnly, &in.PlatformOnly}} {
		v := e(b.name)
		if v == "" {
			continue
		}
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fleet.Input{}, 0, fmt.Errorf("%s=%q is not true or false (1 or 0)", b.name, v)
		}
		*b.to = on
	}
	parallel := 0
	if v := e(FleetParallel); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > fleet.MaxParallel {
			return fleet.Input{}, 0, fmt.Errorf("%s=%q is not a number of keys from 1 to %d", FleetParallel, v, fleet.MaxParallel)
		}
		parallel = n
	}
	return in, parallel, nil
}
