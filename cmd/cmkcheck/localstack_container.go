//go:build testcontainers

package main

import (
	"github.com/aep-cmk/cmkcheck/internal/container"
	"github.com/aep-cmk/cmkcheck/internal/edge"
	"github.com/aep-cmk/cmkcheck/targets"
)

// localStackStarter starts LocalStack through testcontainers-go where a
// Docker engine answers (LOCALSTACK_IMAGE, LOCALSTACK_AUTH_TOKEN).
func localStackStarter(env edge.Env) targets.StartFunc {
	return container.LocalStack(env.LocalStackContainer())
}
