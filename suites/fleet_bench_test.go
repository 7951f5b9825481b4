package suites

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

// fleetSizes are the fleets BenchmarkFleet audits; select one with
// -bench 'BenchmarkFleet/keys=1000$'.
var fleetSizes = []int{10, 100, 1000, 5000}

// BenchmarkFleet audits fleets of 10 to 5,000 keys of the comparison's mix
// on the target (CMK_TARGET: embedded, or a LocalStack at
// LOCALSTACK_ENDPOINT) with the reports streamed to disk, and reports keys
// per second, KMS calls per key, the peak of the Go heap and of the
// process's resident set while the fleet ran, and the bytes written: per
// key (its results file and report) and in all (with the index). The keys
// are made as each size needs them, with bounded concurrency, and
// scheduled for deletion afterwards. Not part of `make test`: run it with
// `make bench-fleet`.
func BenchmarkFleet(b *testing.B) {
	kind := targetKind(b)
	if kind == keystate.KindAWS {
		b.Skip("the fleet benchmark makes thousands of keys: emulators only")
	}
	ctx := context.Background()
	tg, err := opener().Open(ctx, kind, "", "")
	require.NoError(b, err)
	b.Cleanup(tg.Close)
	p := selfProfile(b, tg)
	raw := p.Profile()
	raw.Roundtrip = false // the fleet's reads only: no Encrypt/Decrypt
	p, err = raw.Validate()
	require.NoError(b, err)

	pool := &keyPool{tg: tg, p: p}
	b.Cleanup(func() { pool.delete(b) })
	for _, n := range fleetSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keysFile := pool.file(b, n)
			sel, err := fleet.Input{KeysFile: keysFile}.Load()
			require.NoError(b, err)
			dir := filepath.Join(reportDir(b), "bench-fleet", fmt.Sprint(n))
			b.Cleanup(func() { os.RemoveAll(dir) })

			var calls, keys int
			var peak heapPeak
			rssErr := resetPeakRSS()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				os.RemoveAll(dir)
				o := fleet.Options{Conn: tg, Profile: p, Selection: sel}
				w, err := fleet.NewReports(dir, fleet.Meta("bench", o, keysFile, keystate.TargetFacts{Kind: tg.Kind}))
				if err != nil {
					b.Fatal(err)
				}
				o.Sink = w
				stop := watchHeap(&peak)
				sum, err := fleet.Run(ctx, o)
				if err == nil {
					_, err = w.Close(sum)
				}
				stop()
				if err != nil {
					b.Fatal(err)
				}
				if sum.Keys != n || sum.PlaceErrors != 0 || sum.KeyErrors != 0 {
					b.Fatalf("%d keys audited of %d, %d places and %d keys in error", sum.Keys, n, sum.PlaceErrors, sum.KeyErrors)
				}
				calls += sum.KeyCalls
				keys += sum.Keys
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(keys)/elapsed.Seconds(), "keys/s")
			b.ReportMetric(float64(calls)/float64(keys), "calls/key")
			b.ReportMetric(float64(peak.live)/(1<<20), "peak-live-MB")
			b.ReportMetric(float64(peak.objects)/(1<<20), "peak-heap-MB")
			if rssErr == nil {
				rss, err := peakRSS()
				require.NoError(b, err)
				b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
			} else {
				b.Logf("peak RSS not measured: %v", rssErr)
			}
			all := diskBytes(b, dir)
			b.ReportMetric(float64(diskBytes(b, filepath.Join(dir, "keys")))/float64(n), "key-files-bytes/key")
			b.ReportMetric(float64(all)/float64(n), "disk-bytes/key")
			b.ReportMetric(float64(all)/(1<<20), "disk-MB")
		})
	}
}

// diskBytes is what the last run wrote under dir: every key's results file
// and report, and the index.
func diskBytes(b *testing.B, dir string) int64 {
	var n int64
	require.NoError(b, filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, ierr := d.Info()
			if ierr != nil {
				return ierr
			}
			n += info.Size()
		}
		return err
	}))
	return n
}

// resetPeakRSS returns what the runtime holds free to the system and sets
// the process's resident set high-water mark (VmHWM) to its resident set
// now (Linux: clear_refs 5), so peakRSS then gives one fleet's peak:
// everything resident, not only the Go heap (stacks, the runtime, and on
// the embedded target the emulator and its database).
func resetPeakRSS() error {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is VmHWM of /proc/self/status, in bytes.
func peakRSS() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("/proc/self/status has no VmHWM line")
}

// heapPeak is the most the heap held while a fleet ran: live is what the
// last collection found reachable (what the run holds), objects adds what
// the collector has yet to free (GOGC lets it reach about twice live).
type heapPeak struct{ live, objects uint64 }

// watchHeap samples the heap every few milliseconds into peak until stopped.
func watchHeap(peak *heapPeak) (stop func()) {
	runtime.GC()
	done := make(chan struct{})
	var wg sync.WaitGroup
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak.live = max(peak.live, sample[0].Value.Uint64())
			peak.objects = max(peak.objects, sample[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// keyPool makes the benchmark's keys once, as many as the largest fleet
// asked for, and deletes them at the end.
type keyPool struct {
	tg   *targets.Conn
	p    profile.Valid
	keys []*provision.Key
}

// file writes a keys file of the pool's first n keys (made if missing).
func (k *keyPool) file(b *testing.B, n int) string {
	b.Helper()
	if missing := n - len(k.keys); missing > 0 {
		start := time.Now()
		made, err := fleetmix.Create(context.Background(), k.tg.Config,
			provision.SpecFromProfile(k.p.Profile(), k.tg.Account, k.tg.Kind), missing, 8)
		for _, m := range made {
			// Only what the deletion needs: the pool is the harness's
			// memory, not the fleet's.
			k.keys = append(k.keys, &provision.Key{KeyID: m.KeyID, Arn: m.Arn, Alias: m.Alias})
		}
		require.NoError(b, err)
		b.Logf("made %d keys on %s in %s", missing, k.tg.Kind, time.Since(start).Round(time.Millisecond))
	}
	var lines []string
	for _, key := range k.keys[:n] {
		lines = append(lines, key.Arn)
	}
	path := filepath.Join(b.TempDir(), "keys.txt")
	require.NoError(b, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return path
}

func (k *keyPool) delete(b *testing.B) {
	if err := fleetmix.Delete(context.Background(), k.tg.Config, k.keys, 8); err != nil {
		b.Errorf("scheduling the deletion of the benchmark's keys: %v", err)
	}
}
