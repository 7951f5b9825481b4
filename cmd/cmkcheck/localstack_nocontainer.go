//go:build !testcontainers

package main

import (
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// localStackStarter is nil in the plain binary: it does not link
// testcontainers-go and Docker's client for a LocalStack users can start
// themselves (scripts/localstack.sh). Build with -tags testcontainers for
// a cmkcheck that starts one.
func localStackStarter(env.Vars) targets.StartFunc { return nil }
