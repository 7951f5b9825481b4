// Package container starts LocalStack in Docker through testcontainers-go,
// as a targets.StartFunc. It is its own package so that only what asks for
// it links testcontainers-go and Docker's client: the suites, and cmkcheck
// built with -tags testcontainers. The plain command never does.
package container

import (
	"context"
	"fmt"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/localstack"

	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// DefaultLocalStackImage is the image started when none is named.
const DefaultLocalStackImage = "localstack/localstack:4.14.0"

// LocalStack is a StartFunc that starts image ("" for the default) with
// the KMS, IAM and STS services, passing authToken (LOCALSTACK_AUTH_TOKEN,
// "" for none) to the container.
func LocalStack(image, authToken string) targets.StartFunc {
	if image == "" {
		image = DefaultLocalStackImage
	}
	return func(ctx context.Context) (string, func(), error) {
		if err := Healthy(ctx); err != nil {
			return "", nil, fmt.Errorf("%w; no Docker engine for testcontainers (%v)", targets.ErrNoLocalStack, err)
		}
		env := map[string]string{"SERVICES": "kms,iam,sts"}
		if authToken != "" {
			env["LOCALSTACK_AUTH_TOKEN"] = authToken
		}
		ctr, err := localstack.Run(ctx, image, testcontainers.WithEnv(env))
		stop := func() {
			if ctr != nil {
				_ = testcontainers.TerminateContainer(ctr)
			}
		}
		if err != nil {
			stop()
			return "", nil, fmt.Errorf("starting %s with testcontainers: %w", image, err)
		}
		endpoint, err := ctr.PortEndpoint(ctx, "4566/tcp", "http")
		if err != nil {
			stop()
			return "", nil, fmt.Errorf("finding the container's endpoint: %w", err)
		}
		return endpoint, stop, nil
	}
}

// Healthy asks the Docker engine for its info; testcontainers panics in
// places when there is no engine, so a panic counts as "no engine".
func Healthy(ctx context.Context) (err error) {
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
