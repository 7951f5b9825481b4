//go:build testcontainers

package main

import (
	"github.com/aep-cmk/cmkcheck/internal/container"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// localStackStarter starts LocalStack through testcontainers-go where a
// Docker engine answers (LOCALSTACK_IMAGE, LOCALSTACK_AUTH_TOKEN).
func localStackStarter(vars env.Vars) targets.StartFunc {
	return container.LocalStack(vars.LocalStackContainer())
}
