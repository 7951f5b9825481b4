package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/localstack"
)

// ErrNoLocalStack says no LocalStack could be reached or started.
var ErrNoLocalStack = errors.New("no LocalStack endpoint: set LOCALSTACK_ENDPOINT or start one with scripts/localstack.sh start; no Docker engine for testcontainers")

// startLocalStackContainer starts LocalStack through testcontainers-go when
// a Docker engine answers, and returns its endpoint and how to stop it.
func startLocalStackContainer(ctx context.Context) (string, func(), error) {
	if err := dockerHealthy(ctx); err != nil {
		return "", nil, fmt.Errorf("target localstack: %w (%v)", ErrNoLocalStack, err)
	}
	image := os.Getenv(EnvLocalStackImage)
	if image == "" {
		image = DefaultLocalStackImage
	}
	env := map[string]string{"SERVICES": "kms,iam,sts"}
	if tok := os.Getenv(EnvLocalStackToken); tok != "" {
		env[EnvLocalStackToken] = tok
	}
	ctr, err := localstack.Run(ctx, image, testcontainers.WithEnv(env))
	stop := func() {
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr)
		}
	}
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("target localstack: starting %s with testcontainers: %w", image, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, "4566/tcp", "http")
	if err == nil {
		return endpoint, stop, nil
	}
	stop()
	return "", nil, fmt.Errorf("target localstack: finding the container's endpoint: %w", err)
}

// dockerHealthy asks the Docker engine for its info; testcontainers panics
// in places when there is no engine, so a panic counts as "no engine".
func dockerHealthy(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	return p.Health(ctx)
}
