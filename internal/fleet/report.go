package fleet

import (
	"errors"
	"fmt"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/buildinfo"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// Reports is the Sink that streams a fleet run to disk: per key a results
// file (with the snapshot it was judged on) and a Markdown report, as it
// finishes; the index (Markdown, JSON, JUnit) on Close. It keeps nothing
// of a finished key.
type Reports struct {
	idx *reports.Index
}

// NewReports starts the reports of a run in dir.
func NewReports(dir string, meta reports.IndexMeta) (*Reports, error) {
	idx, err := reports.NewIndex(dir, meta)
	if err != nil {
		return nil, err
	}
	return &Reports{idx: idx}, nil
}

// Meta is the index's description of a run; its start is o.Start, or now
// when the run is described just before it begins.
func Meta(runID string, o Options, keysFile string, target keystate.TargetFacts) reports.IndexMeta {
	build := buildinfo.Read()
	start := o.Start
	if start.IsZero() {
		start = time.Now()
	}
	p := o.Profile.Profile()
	sel := o.Selection
	return reports.IndexMeta{
		RunID: runID, Start: start.UTC(), ToolVersion: build.Version, Commit: build.Commit, Target: target,
		Profile: reports.NewProfileRecord(p.Source, p.Content),
		Selection: reports.IndexSelection{All: sel.All, KeysFile: keysFile, Keys: len(sel.Keys), Regions: sel.Regions,
			Accounts: sel.Accounts, Organization: sel.Organization, RoleTemplate: sel.RoleTemplate, PlatformOnly: sel.PlatformOnly},
	}
}

// Place implements Sink.
func (w *Reports) Place(p *Place) error {
	e := reports.IndexPlace{Place: p.Seq, Account: p.Account, Region: p.Region, Role: p.Role, Keys: p.Keys}
	for _, l := range p.Listings {
		e.Listings = append(e.Listings, reports.IndexListing{Operation: l.Operation, Pages: l.Pages, Items: l.Items, SHA256: l.SHA256})
	}
	if p.Err != nil {
		e.Error = p.Err.Error()
	}
	if p.Note != "" && e.Error == "" {
		e.Note = p.Note
	}
	return w.idx.Place(e)
}

// Prepare implements Preparer: the key's files are written, and its
// testsuite rendered, by the worker that audited it.
func (w *Reports) Prepare(k *Key) error {
	e := reports.IndexKey{Place: k.Place, Seq: k.Seq, Account: k.Account, Region: k.Region, Selected: k.Selected,
		Alias: k.Alias, Platform: string(k.Platform), Verdict: k.Verdict(), Failed: k.Failed(), LeftOut: k.LeftOut}
	if k.Run != nil {
		e.KeyARN, e.RunID = k.Run.KeyARN, k.Run.RunID
	} else if k.State != nil && k.State.Key != nil {
		e.KeyARN = k.State.Key.Arn
	}
	if k.Err != nil {
		e.Error = k.Err.Error()
	}
	pk, err := w.idx.Prepare(e, k.Run)
	if err != nil {
		return err
	}
	k.Prepared = pk
	return nil
}

// Key implements Sink.
func (w *Reports) Key(k *Key) error {
	if k.Prepared == nil {
		if err := w.Prepare(k); err != nil {
			return err
		}
	}
	pk, ok := k.Prepared.(*reports.PreparedKey)
	if !ok {
		return fmt.Errorf("fleet: key %s was prepared by another sink", k.Selected)
	}
	return w.idx.Add(pk)
}

// AWSManaged implements Sink.
func (w *Reports) AWSManaged(place, seq int, keyID string) error {
	return w.idx.AWSManaged(place, seq, keyID)
}

// Abort drops the reports of a run that stopped before it began.
func (w *Reports) Abort() { w.idx.Abort() }

// Close writes the index with the run's summary.
func (w *Reports) Close(s *Summary) (reports.IndexPaths, error) {
	if s == nil {
		return reports.IndexPaths{}, errors.New("fleet: no summary to close the index with")
	}
	if s.Shard != nil {
		// A shard writes its index even when it judged nothing: merge
		// needs every shard's, and the index says it is one part of a run.
		w.idx.SetShard(reports.IndexShard{K: s.Shard.K, N: s.Shard.N, Plan: s.Shard.Plan, Owns: s.Shard.Owns})
	} else if s.Keys == 0 && s.PlaceErrors == 0 {
		// An index of nothing would read as a clean run.
		w.idx.Abort()
		return reports.IndexPaths{}, errors.New("fleet: no key was judged: no index is written")
	}
	return w.idx.Close(s.indexSummary())
}

// indexSummary is the index's closing record of a run.
func (s *Summary) indexSummary() reports.IndexSummary {
	return reports.IndexSummary{
		Verdict: s.Verdict(), Rule: s.Rule(), End: s.End.UTC(), Places: s.Places, PlaceErrors: s.PlaceErrors,
		Keys: s.Keys, Ready: s.Ready, NotReady: s.NotReady, KeyErrors: s.KeyErrors, Platform: s.Platform,
		PlatformUnknown: s.PlatformUnknown, PlatformNotReady: s.PlatformNotReady, LeftOut: s.LeftOut, AWSManaged: s.AWSManaged,
		Regions: s.Regions,
	}
}
