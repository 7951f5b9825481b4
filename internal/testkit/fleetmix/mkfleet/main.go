// Command mkfleet makes (or removes) the fleet comparison's mix of keys on
// an emulator endpoint, for scripts/bench-vs-prowler.sh:
//
//	go run ./internal/testkit/fleetmix/mkfleet -endpoint http://127.0.0.1:4570 -n 500 -ids keys.txt
//	go run ./internal/testkit/fleetmix/mkfleet -endpoint http://127.0.0.1:4570 -delete keys.txt
//
// It takes flags only; the account is the one LocalStack gives the dummy
// credentials (000000000000).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

func main() {
	endpoint := flag.String("endpoint", "", "a running LocalStack")
	region := flag.String("region", "us-east-1", "the region")
	n := flag.Int("n", 0, "how many keys to make")
	parallel := flag.Int("parallel", 8, "keys made at once")
	ids := flag.String("ids", "", "write the made key IDs here, one a line")
	del := flag.String("delete", "", "schedule the deletion of the keys listed in this file instead")
	profilePath := flag.String("profile", "", "the profile whose administrators, users and Adobe accounts the keys get (default: fleetmix's)")
	flag.Parse()
	if err := run(*endpoint, *region, *n, *parallel, *ids, *del, *profilePath); err != nil {
		fmt.Fprintln(os.Stderr, "mkfleet:", err)
		os.Exit(1)
	}
}

func run(endpoint, region string, n, parallel int, idsPath, del, profilePath string) error {
	if endpoint == "" {
		return fmt.Errorf("-endpoint is required")
	}
	ctx := context.Background()
	tg, err := targets.Opener{LocalStackEndpoint: endpoint}.Open(ctx, keystate.KindLocalStack, region, "")
	if err != nil {
		return err
	}
	defer tg.Close()
	if del != "" {
		b, err := os.ReadFile(del)
		if err != nil {
			return err
		}
		var keys []*provision.Key
		for _, id := range strings.Fields(string(b)) {
			keys = append(keys, &provision.Key{KeyID: id})
		}
		return fleetmix.Delete(ctx, tg.Config, keys, parallel)
	}
	p := profile.Default()
	if profilePath != "" {
		if p, err = profile.Load(profilePath, nil); err != nil {
			return err
		}
	}
	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	if len(spec.AdobeAccounts) == 0 {
		spec.AdobeAccounts = []string{"222233334444"}
	}
	start := time.Now()
	keys, err := fleetmix.Create(ctx, tg.Config, spec, n, parallel)
	if idsPath != "" {
		f, ferr := os.Create(idsPath)
		if ferr != nil {
			return ferr
		}
		w := bufio.NewWriter(f)
		for _, k := range keys {
			fmt.Fprintln(w, k.KeyID)
		}
		if ferr := w.Flush(); ferr != nil {
			return ferr
		}
		f.Close()
	}
	fmt.Fprintf(os.Stderr, "mkfleet: %d keys made in %.1fs\n", len(keys), time.Since(start).Seconds())
	return err
}
