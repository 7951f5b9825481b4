// Package fleetmix makes the mix of keys the fleet tests, benchmarks and
// the comparison with Prowler audit: compliant keys and the usual ways of
// getting one wrong, side by side, with bounded concurrency, and removes
// them again.
package fleetmix

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// Mix is the comparison's mix, in the order keys are made: compliant,
// rotation off, multi-Region, disabled, pending deletion, public,
// cross-account.
var Mix = []provision.Variant{provision.Correct, provision.RotationOff, provision.MultiRegion, provision.Disabled,
	provision.PendingDeletion, provision.PublicPrincipal, provision.OtherAccount}

// VariantOf is the variant of the i-th key on a target kind: the mix in
// turn, a compliant key where the target cannot make the variant
// (multi-Region keys on the embedded target).
func VariantOf(i int, kind string) provision.Variant {
	v := Mix[i%len(Mix)]
	if _, unsupported := provision.Unsupported(v, kind); unsupported {
		return provision.Correct
	}
	return v
}

// Create makes n keys of the mix from spec (its variant is replaced),
// parallel at a time. On an error the keys already made are returned with
// it, for Delete.
func Create(ctx context.Context, cfg aws.Config, spec provision.Spec, n, parallel int) ([]*provision.Key, error) {
	if parallel < 1 {
		parallel = 1
	}
	cfg = shared(cfg)
	keys := make([]*provision.Key, n)
	errs := make([]error, n)
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			s := spec
			s.Variant = VariantOf(i, spec.Target)
			keys[i], errs[i] = provision.CreateKeyE(ctx, cfg, s)
		})
	}
	wg.Wait()
	var made []*provision.Key
	for _, k := range keys {
		if k != nil {
			made = append(made, k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return made, fmt.Errorf("fleetmix: %d of %d keys made: %w", len(made), n, err)
	}
	return made, nil
}

// Delete schedules every key for deletion (provision.DeleteKeyE), parallel
// at a time.
func Delete(ctx context.Context, cfg aws.Config, keys []*provision.Key, parallel int) error {
	if parallel < 1 {
		parallel = 1
	}
	cfg = shared(cfg)
	errs := make([]error, len(keys))
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			errs[i] = provision.DeleteKeyE(ctx, cfg, k)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// shared gives cfg one HTTP client for all its keys: provision makes a
// client per key, and without one given each would open (and keep) its
// own connections.
func shared(cfg aws.Config) aws.Config {
	if cfg.HTTPClient == nil {
		cfg = cfg.Copy()
		cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	return cfg
}
