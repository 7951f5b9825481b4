//go:build testcontainers

package main

import (
	"context"

	"github.com/aep-cmk/cmkcheck/internal/container"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// localStackStarter starts LocalStack through testcontainers-go where a
// Docker engine answers (LOCALSTACK_IMAGE, LOCALSTACK_AUTH_TOKEN, and
// LOCALSTACK_CONTAINER_NETWORK/_PORT/_PULL for an engine with no bridge
// and no registry). A bad value is the start's error, so it stops only a
// command that needs the container.
func localStackStarter(vars env.Vars) targets.StartFunc {
	o, err := container.Settings(vars.LocalStackContainer()).Options()
	if err != nil {
		return func(context.Context) (string, func(), error) { return "", nil, err }
	}
	return container.LocalStack(o)
}
