// Command floorbench measures cmkcheck's fleet against the API's floor on
// one LocalStack, in one go: the fleet (fleet.Run with its reports
// written, as `cmkcheck audit --keys FILE --parallel N` runs it) and a
// bare aws-sdk-go-v2 client making exactly the same calls with the same
// parallelism and nothing else, each straight to LocalStack and through a
// faultproxy that adds -delay to every call (AWS-like round trips). It
// checks that both sent the same operations the same number of times (the
// fleet's own count, and the proxy's as a witness), and prints a table.
//
//	go run ./internal/testkit/floorbench -endpoint http://127.0.0.1:4571 -n 300
//
// It makes -n keys of fleetmix's mix (console-like keys, selected by key
// ARN) and schedules their deletion at the end. A program rather than a
// Go benchmark: the point is one table of four runs side by side, with
// profiles of the fleet's runs on request, not ns/op.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

type flags struct {
	endpoint    string
	n, parallel int
	rounds      int
	delay       time.Duration
	profilePath string
	out         string
	pprofDir    string
}

func main() {
	var f flags
	flag.StringVar(&f.endpoint, "endpoint", "", "a running LocalStack (its keys are left alone; -n new ones are made)")
	flag.IntVar(&f.n, "n", 300, "keys to make and audit")
	flag.IntVar(&f.parallel, "parallel", fleet.DefaultParallel, "keys in flight, for both")
	flag.IntVar(&f.rounds, "rounds", 1, "times each of the four runs is made (the fastest is kept)")
	flag.DurationVar(&f.delay, "delay", 25*time.Millisecond, "added to every call by the proxy")
	flag.StringVar(&f.profilePath, "profile", "", "the profile the keys are made for and judged by (default: scripts/bench-vs-prowler.sh's, in LocalStack's account)")
	flag.StringVar(&f.out, "out", "", "where the fleet writes its reports (default: a temporary directory, removed)")
	flag.StringVar(&f.pprofDir, "pprof", "", "write CPU, block and mutex profiles of each fleet run here")
	flag.Parse()
	if err := run(context.Background(), f); err != nil {
		fmt.Fprintln(os.Stderr, "floorbench:", err)
		os.Exit(1)
	}
}

// consoleProfile is the profile scripts/bench-vs-prowler.sh writes: the
// mix's administrators, users and Adobe account, in LocalStack's account.
func consoleProfile(account, region string) *profile.Profile {
	no := false
	return &profile.Profile{Region: region, Shield: "privacy-security", AllowKeyDeletion: &no,
		KeyAdministrators: []string{"arn:aws:iam::" + account + ":role/KeyAdmin"},
		KeyUsers:          []string{"arn:aws:iam::" + account + ":role/KeyUser"},
		AdobePrincipals:   []string{"222233334444"}}
}

// result is one timed run.
type result struct {
	wall  time.Duration
	cpu   time.Duration // this process's user and system time: the run's own, and the proxy's
	calls map[string]int
	seen  map[string]int // the proxy's count, when through the proxy
	wire  faultproxy.Stats
}

func run(ctx context.Context, f flags) error {
	switch {
	case f.endpoint == "":
		return errors.New("-endpoint is required (a LocalStack: scripts/localstack.sh start)")
	case f.n < 1 || f.parallel < 1 || f.parallel > fleet.MaxParallel || f.rounds < 1 || f.delay < 0:
		return fmt.Errorf("-n, -rounds and -parallel (1 to %d) must be positive, -delay not negative", fleet.MaxParallel)
	}
	tg, err := targets.Opener{LocalStackEndpoint: f.endpoint}.Open(ctx, keystate.KindLocalStack, "", "")
	if err != nil {
		return err
	}
	defer tg.Close()
	raw := consoleProfile(tg.Account, tg.Region)
	if f.profilePath != "" {
		p, err := profile.Load(f.profilePath, nil)
		if err != nil {
			return err
		}
		raw = p.Profile()
	}
	raw.Roundtrip = false // the fleet's reads only
	p, err := raw.Validate()
	if err != nil {
		return err
	}

	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	if len(spec.AdobeAccounts) == 0 {
		spec.AdobeAccounts = []string{"222233334444"}
	}
	start := time.Now()
	keys, err := fleetmix.Create(ctx, tg.Config, spec, f.n, 8)
	defer func() {
		if derr := fleetmix.Delete(context.Background(), tg.Config, keys, 8); derr != nil {
			fmt.Fprintln(os.Stderr, "floorbench: scheduling the deletion of the keys:", derr)
		}
	}()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "floorbench: %d keys made in %s\n", len(keys), time.Since(start).Round(time.Millisecond))

	work, err := os.MkdirTemp("", "floorbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	out := f.out
	if out == "" {
		out = filepath.Join(work, "out")
	}
	keysFile := filepath.Join(work, "keys.txt")
	var arns []string
	for _, k := range keys {
		arns = append(arns, k.Arn)
	}
	if err := os.WriteFile(keysFile, []byte(strings.Join(arns, "\n")+"\n"), 0o644); err != nil {
		return err
	}

	proxy, err := faultproxy.New(f.endpoint, faultproxy.Rule{Fault: faultproxy.Latency, Delay: f.delay})
	if err != nil {
		return err
	}
	defer proxy.Close()

	type row struct {
		label        string
		fleet, floor result
	}
	var rows []row
	for _, via := range []struct {
		label    string
		endpoint string
		proxy    *faultproxy.Proxy
	}{{"no added latency", f.endpoint, nil}, {fmt.Sprintf("%s a call (proxy)", f.delay), proxy.URL, proxy}} {
		r := row{label: via.label}
		for i := range f.rounds {
			fl, err := timed(via.proxy, func() (map[string]int, error) {
				return runFleet(ctx, f, p, via.endpoint, keysFile, filepath.Join(out, fmt.Sprint(i)), via.label)
			})
			if err != nil {
				return fmt.Errorf("%s: the fleet: %w", via.label, err)
			}
			fmt.Fprintf(os.Stderr, "floorbench: %s, round %d: fleet %s\n", via.label, i+1, fl.wall.Round(time.Millisecond))
			fo, err := timed(via.proxy, func() (map[string]int, error) {
				return runFloor(ctx, f, p.Profile().Region, via.endpoint, arns)
			})
			if err != nil {
				return fmt.Errorf("%s: the floor: %w", via.label, err)
			}
			fmt.Fprintf(os.Stderr, "floorbench: %s, round %d: floor %s\n", via.label, i+1, fo.wall.Round(time.Millisecond))
			if err := sameCalls(fl, fo); err != nil {
				return fmt.Errorf("%s: %w", via.label, err)
			}
			if i == 0 || fl.wall < r.fleet.wall {
				r.fleet = fl
			}
			if i == 0 || fo.wall < r.floor.wall {
				r.floor = fo
			}
		}
		rows = append(rows, r)
	}

	total := 0
	for _, c := range rows[0].fleet.calls {
		total += c
	}
	fmt.Printf("\ncmkcheck's fleet and the floor (a bare aws-sdk-go-v2 client, the same %d calls), %d keys by key ARN,\n", total, f.n)
	fmt.Printf("--parallel %d, one LocalStack at %s, %d cores, GOMAXPROCS %d, %s, fastest of %d\n\n",
		f.parallel, f.endpoint, runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02T15:04Z"), f.rounds)
	fmt.Println("| | cmkcheck fleet | floor | cmkcheck / floor | CPU (fleet, floor) | calls in flight (fleet, floor) | connections (fleet, floor) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		inFlight, conns := "-", "-"
		if r.fleet.seen != nil {
			inFlight = fmt.Sprintf("%.1f, %.1f", r.fleet.wire.Busy.Seconds()/r.fleet.wall.Seconds(), r.floor.wire.Busy.Seconds()/r.floor.wall.Seconds())
			conns = fmt.Sprintf("%d, %d", r.fleet.wire.ClientConns, r.floor.wire.ClientConns)
		}
		fmt.Printf("| %s | %.2f s | %.2f s | %.2fx | %.2f s, %.2f s | %s | %s |\n", r.label, r.fleet.wall.Seconds(), r.floor.wall.Seconds(),
			r.fleet.wall.Seconds()/r.floor.wall.Seconds(), r.fleet.cpu.Seconds(), r.floor.cpu.Seconds(), inFlight, conns)
	}
	fmt.Println()
	for _, op := range slices.Sorted(maps.Keys(rows[0].fleet.calls)) {
		fmt.Printf("%s %d  ", op, rows[0].fleet.calls[op])
	}
	fmt.Println()
	return nil
}

// timed runs one measured run, with the proxy's counts of it when there is one.
func timed(p *faultproxy.Proxy, f func() (map[string]int, error)) (result, error) {
	var before map[string]int
	var wire faultproxy.Stats
	if p != nil {
		before, wire = p.Seen(), p.Stats()
	}
	runtime.GC() // the previous run's garbage is not this one's
	cpu0 := cpuTime()
	start := time.Now()
	calls, err := f()
	r := result{wall: time.Since(start), cpu: cpuTime() - cpu0, calls: calls}
	if p != nil {
		r.seen = p.Seen()
		for op, n := range before {
			r.seen[op] -= n
			if r.seen[op] == 0 {
				delete(r.seen, op)
			}
		}
		after := p.Stats()
		r.wire = faultproxy.Stats{Requests: after.Requests - wire.Requests, ClientConns: after.ClientConns - wire.ClientConns,
			UpstreamConns: after.UpstreamConns - wire.UpstreamConns, Busy: after.Busy - wire.Busy}
	}
	return r, err
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sameCalls holds the floor to the fleet's calls: each operation as many
// times, by both sides' own counts and, through the proxy, by its.
func sameCalls(fl, fo result) error {
	if !maps.Equal(fl.calls, fo.calls) {
		return fmt.Errorf("the floor did not make the fleet's calls: fleet %v, floor %v", fl.calls, fo.calls)
	}
	if fl.seen == nil {
		return nil
	}
	// The proxy names operations without the service.
	bare := map[string]int{}
	for op, n := range fl.calls {
		_, name, _ := strings.Cut(op, ":")
		bare[name] += n
	}
	if !maps.Equal(bare, fl.seen) || !maps.Equal(bare, fo.seen) {
		return fmt.Errorf("the proxy saw other calls than counted: counted %v, the fleet's %v, the floor's %v", bare, fl.seen, fo.seen)
	}
	return nil
}

// runFleet is `cmkcheck audit --keys FILE --parallel N` on LocalStack
// without the command line: the target opened by the run, every report
// written, the index closed. Its calls are the run's own count, and the
// caller identity the target asks when it opens.
func runFleet(ctx context.Context, f flags, p profile.Valid, endpoint, keysFile, out, label string) (map[string]int, error) {
	sel, err := fleet.Input{KeysFile: keysFile}.Load()
	if err != nil {
		return nil, err
	}
	os.RemoveAll(out)
	o := fleet.Options{Target: keystate.KindLocalStack, Opener: targets.Opener{LocalStackEndpoint: endpoint},
		Profile: p, Selection: sel, Parallel: f.parallel, Start: time.Now()}
	w, err := fleet.NewReports(out, fleet.Meta("floorbench", o, keysFile, keystate.TargetFacts{Kind: keystate.KindLocalStack, Endpoint: endpoint}))
	if err != nil {
		return nil, err
	}
	o.Sink = w
	stop, err := startProfiles(f.pprofDir, label)
	if err != nil {
		return nil, err
	}
	sum, err := fleet.Run(ctx, o)
	if err == nil {
		_, err = w.Close(sum)
	}
	if perr := stop(); err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	if sum.Keys != f.n || sum.PlaceErrors != 0 || sum.KeyErrors != 0 {
		return nil, fmt.Errorf("%d keys audited of %d, %d places and %d keys in error", sum.Keys, f.n, sum.PlaceErrors, sum.KeyErrors)
	}
	calls := maps.Clone(sum.Calls)
	calls["sts:GetCallerIdentity"]++ // the target's, when it opened
	return calls, nil
}

// startProfiles profiles the run into dir (nothing when dir is ""): CPU,
// and every blocking event and mutex contention.
func startProfiles(dir, label string) (stop func() error, err error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	name := strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cpu, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, err
	}
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	return func() error {
		pprof.StopCPUProfile()
		runtime.SetBlockProfileRate(0)
		runtime.SetMutexProfileFraction(0)
		errs := []error{cpu.Close()}
		for _, kind := range []string{"block", "mutex"} {
			file, err := os.Create(filepath.Join(dir, name+"."+kind+".pprof"))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, pprof.Lookup(kind).WriteTo(file, 0), file.Close())
		}
		return errors.Join(errs...)
	}, nil
}

// calls counts what the floor sent, named as the fleet names it.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

// runFloor is the bare client (floor.go) over the keys, parallel at a time.
func runFloor(ctx context.Context, f flags, region, endpoint string, arns []string) (map[string]int, error) {
	c, err := newFloor(ctx, region, endpoint, f.parallel)
	if err != nil {
		return nil, err
	}
	if err := c.place(ctx); err != nil {
		return nil, err
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range f.parallel {
		wg.Go(func() {
			for arn := range jobs {
				c.key(ctx, arn)
			}
		})
	}
	for _, arn := range arns {
		jobs <- arn
	}
	close(jobs)
	wg.Wait()
	return c.calls.n, nil
}
