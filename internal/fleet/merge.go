package fleet

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// MergeOptions say which shards' reports merge joins, and where to.
type MergeOptions struct {
	Dirs  []string // each shard's --out directory
	Out   string
	RunID string // the merged index's
}

// maxIndexSize bounds a shard's fleet.json: a few hundred bytes a key.
const maxIndexSize = 1 << 30

// shardIn is one shard's index as merge read it.
type shardIn struct {
	dir    string
	idx    *reports.FleetIndex
	places map[string]reports.IndexPlace
	keys   map[string][]reports.IndexKey // by place name: keys, then left out
	extra  []string                      // its places outside the plan, in order
}

// Merge joins the indexes that the shards of one run (--shard K/N) wrote
// into one index in o.Out, as the run unsplit would have written it: the
// places in the run's order, each key's files copied (checked against the
// shard's index) so the links work, and the verdict of the fleet's rule
// over every key. What is missing or broken is an ERROR entry, never
// silently absent: a shard K of N with no readable index (each account and
// region it owns), a directory without an index or with one that cannot
// be read, a key whose files do not match, a key ARN in two shards. The
// error is for input merge cannot use (exit 2, no index): a path that is
// no directory, an index that is no shard's, shards of different N or of
// different runs (tool, target, profile, selection, plan), a shard given
// twice, no readable shard at all, or shards that together judged nothing.
func Merge(o MergeOptions) (*Summary, reports.IndexPaths, error) {
	var none reports.IndexPaths
	if len(o.Dirs) == 0 {
		return nil, none, errors.New("merge: give the shards' directories (each shard's --out)")
	}
	var shards []*shardIn
	var problems []reports.IndexPlace
	for _, dir := range o.Dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, none, fmt.Errorf("merge: %w", err)
		}
		if !st.IsDir() {
			return nil, none, fmt.Errorf("merge: %s is not a directory: give each shard's --out directory", dir)
		}
		idx, problem := readShardIndex(dir)
		if problem != "" {
			problems = append(problems, reports.IndexPlace{Account: "(shard)", Region: "-", Error: problem})
			continue
		}
		if idx.Shard == nil {
			what := "written without --shard K/N"
			if idx.Merged != nil {
				what = "merged already"
			}
			return nil, none, fmt.Errorf("merge: %s is not a shard's index (%s): merge joins the indexes of one run's shards", filepath.Join(dir, reports.IndexName+".json"), what)
		}
		shards = append(shards, &shardIn{dir: dir, idx: idx})
	}
	if len(shards) == 0 {
		var says []string
		for _, p := range problems {
			says = append(says, p.Error)
		}
		return nil, none, fmt.Errorf("merge: no shard's index could be read: %s", strings.Join(says, "; "))
	}
	ref := shards[0]
	n := ref.idx.Shard.N
	byK := map[int]*shardIn{}
	for _, sh := range shards {
		s := sh.idx.Shard
		if s.N != n || s.K < 1 || s.K > n {
			return nil, none, fmt.Errorf("merge: %s is shard %d/%d and %s is shard %d/%d: the shards of one run split it the same way",
				ref.dir, ref.idx.Shard.K, n, sh.dir, s.K, s.N)
		}
		if what := otherRun(ref.idx, sh.idx); what != "" {
			return nil, none, fmt.Errorf("merge: %s (shard %d/%d) and %s (shard %d/%d) are not shards of one run: their %s differ",
				ref.dir, ref.idx.Shard.K, n, sh.dir, s.K, n, what)
		}
		if want := ownedBy(s.Plan, s.K, n); !slices.Equal(s.Owns, want) {
			return nil, none, fmt.Errorf("merge: %s says shard %d/%d owns %v, and the split gives it %v", sh.dir, s.K, n, s.Owns, want)
		}
		if other, dup := byK[s.K]; dup {
			return nil, none, fmt.Errorf("merge: shard %d/%d is given twice, in %s and %s: give each shard's directory once", s.K, n, other.dir, sh.dir)
		}
		byK[s.K] = sh
		sh.group()
	}

	meta := ref.idx.IndexMeta
	meta.RunID, meta.Shard = o.RunID, nil
	meta.Merged = &reports.IndexMerged{N: n}
	end := time.Time{}
	for k := 1; k <= n; k++ {
		if sh := byK[k]; sh != nil {
			meta.Merged.Shards = append(meta.Merged.Shards, reports.MergedShard{K: k, Dir: sh.dir, RunID: sh.idx.RunID,
				Start: sh.idx.Start, End: sh.idx.Summary.End, Verdict: sh.idx.Summary.Verdict})
			if sh.idx.Start.Before(meta.Start) {
				meta.Start = sh.idx.Start
			}
			if sh.idx.Summary.End.After(end) {
				end = sh.idx.Summary.End
			}
		}
	}
	x, err := reports.NewIndex(o.Out, meta)
	if err != nil {
		return nil, none, err
	}
	m := &merger{x: x, n: n, sum: &Summary{Calls: map[string]int{}, Start: meta.Start, End: end, Regions: ref.idx.Summary.Regions},
		arns: map[string]int{}}
	if err := m.join(ref.idx.Shard.Plan, byK, problems); err != nil {
		x.Abort()
		return nil, none, err
	}
	sum := m.sum
	if sum.Keys == 0 && sum.PlaceErrors == 0 {
		x.Abort()
		return sum, none, m.nothing(ref.idx.Shard.Plan)
	}
	paths, err := x.Close(sum.indexSummary())
	if err != nil {
		return nil, none, err
	}
	return sum, paths, nil
}

// readShardIndex reads a shard directory's fleet.json, or says why not.
func readShardIndex(dir string) (*reports.FleetIndex, string) {
	path := filepath.Join(dir, reports.IndexName+".json")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Sprintf("%s holds no fleet index (%s.json): its shard wrote none, so what it owns was not audited", dir, reports.IndexName)
	}
	if err != nil {
		return nil, fmt.Sprintf("%s cannot be read: %v", path, err)
	}
	defer f.Close()
	idx, err := reports.ReadIndex(io.LimitReader(f, maxIndexSize))
	if err != nil {
		return nil, fmt.Sprintf("%s cannot be read: %v", path, err)
	}
	return idx, ""
}

// otherRun names what tells two shards' indexes apart as different runs,
// "" when they could be one run's.
func otherRun(a, b *reports.FleetIndex) string {
	pa, pb := a.Profile, b.Profile
	switch {
	case a.ToolVersion != b.ToolVersion || a.Commit != b.Commit:
		return "tool versions or commits"
	case a.Target != b.Target:
		return "targets"
	case pa.SHA256 != pb.SHA256 || pa.Canonical != pb.Canonical || !slices.Equal(pa.Overrides, pb.Overrides):
		return "profiles"
	case !reflect.DeepEqual(a.Selection, b.Selection):
		return "selections"
	case !slices.Equal(a.Shard.Plan, b.Shard.Plan):
		return "planned accounts x regions (an organization's accounts changed between them?)"
	}
	return ""
}

// ownedBy are the plan's places shard k of n owns.
func ownedBy(plan []string, k, n int) []string {
	owns := []string{}
	for _, name := range plan {
		account, region, _ := strings.Cut(name, "/")
		if ShardOf(account, region, n) == k {
			owns = append(owns, name)
		}
	}
	return owns
}

// group indexes a shard's places and rows by place name.
func (sh *shardIn) group() {
	sh.places, sh.keys = map[string]reports.IndexPlace{}, map[string][]reports.IndexKey{}
	plan := map[string]bool{}
	for _, name := range sh.idx.Shard.Plan {
		plan[name] = true
	}
	for _, p := range sh.idx.Places {
		name := PlaceName(p.Account, p.Region)
		if _, dup := sh.places[name]; dup || !plan[name] {
			sh.extra = append(sh.extra, name)
		}
		if _, dup := sh.places[name]; !dup {
			sh.places[name] = p
		}
	}
	for _, rows := range [][]reports.IndexKey{sh.idx.Keys, sh.idx.LeftOut} {
		for _, k := range rows {
			name := PlaceName(k.Account, k.Region)
			sh.keys[name] = append(sh.keys[name], k)
		}
	}
}

// merger writes the merged index and counts it.
type merger struct {
	x    *reports.Index
	n    int
	sum  *Summary
	seq  int
	arns map[string]int // key ARN -> the shard it came from
	used map[*shardIn]map[string]bool
}

// join writes the places in the run's order: each planned account and
// region from its shard (or an ERROR entry when its shard is missing),
// then a missing shard that owned none, each shard's places outside the
// plan (the organization that could not be listed), its rows that name
// no place of its own, and the directories that could not be read.
func (m *merger) join(plan []string, byK map[int]*shardIn, problems []reports.IndexPlace) error {
	m.used = map[*shardIn]map[string]bool{}
	for _, name := range plan {
		account, region, _ := strings.Cut(name, "/")
		k := ShardOf(account, region, m.n)
		sh := byK[k]
		p := reports.IndexPlace{Account: account, Region: region}
		switch {
		case sh == nil:
			p.Error = fmt.Sprintf("shard %d/%d is missing (no readable index of it among the directories given): this account and region was not audited", k, m.n)
		case !hasPlace(sh, name):
			p.Error = fmt.Sprintf("shard %d/%d's index (%s) does not list this account and region, which it owns", k, m.n, sh.dir)
		default:
			p = sh.places[name]
		}
		if err := m.place(p, sh, name); err != nil {
			return err
		}
	}
	for k := 1; k <= m.n; k++ {
		if byK[k] == nil && len(ownedBy(plan, k, m.n)) == 0 {
			p := reports.IndexPlace{Account: fmt.Sprintf("(shard %d/%d)", k, m.n), Region: "-",
				Error: fmt.Sprintf("shard %d/%d is missing (no readable index of it among the directories given); it owned none of the run's accounts and regions, but a missing shard is never taken for an idle one", k, m.n)}
			if err := m.place(p, nil, ""); err != nil {
				return err
			}
		}
	}
	for k := 1; k <= m.n; k++ {
		sh := byK[k]
		if sh == nil {
			continue
		}
		for _, name := range sh.extra {
			p := sh.places[name]
			if m.used[sh][name] {
				p = reports.IndexPlace{Account: p.Account, Region: p.Region}
			}
			if p.Error == "" {
				p.Error = fmt.Sprintf("shard %d/%d's index lists this account and region again or outside the run's plan", k, m.n)
			}
			if err := m.place(p, sh, name); err != nil {
				return err
			}
		}
		for _, name := range slices.Sorted(maps.Keys(sh.keys)) {
			if m.used[sh][name] {
				continue
			}
			account, region, _ := strings.Cut(name, "/")
			p := reports.IndexPlace{Account: account, Region: region,
				Error: fmt.Sprintf("shard %d/%d's index has keys in this account and region but no entry for it", k, m.n)}
			if err := m.place(p, sh, name); err != nil {
				return err
			}
		}
	}
	for _, p := range problems {
		if err := m.place(p, nil, ""); err != nil {
			return err
		}
	}
	return nil
}

func hasPlace(sh *shardIn, name string) bool {
	_, ok := sh.places[name]
	return ok
}

// place writes one place entry and, from shard sh, the rows of the place
// named name (once: a place listed twice gets them the first time).
func (m *merger) place(p reports.IndexPlace, sh *shardIn, name string) error {
	var rows []reports.IndexKey
	aws := p.AWSManaged
	if sh != nil && !m.used[sh][name] {
		rows = sh.keys[name]
		if m.used[sh] == nil {
			m.used[sh] = map[string]bool{}
		}
		m.used[sh][name] = true
	} else {
		aws = nil
	}
	p.Place, p.Keys, p.AWSManaged = m.seq, len(rows)+len(aws), nil
	m.seq++
	if err := m.x.Place(p); err != nil {
		return err
	}
	m.sum.Places++
	if p.Error != "" {
		m.sum.PlaceErrors++
	}
	for i, k := range rows {
		k.Place, k.Seq = p.Place, i
		first, dup := m.arns[k.KeyARN]
		switch {
		case !isKeyARN(k.KeyARN):
			// A key that could not be read names what was selected: an
			// alias is looked up in every place.
		case dup && first != sh.idx.Shard.K:
			// A key belongs to one account and region, so to one shard.
			k.Verdict, k.Failed, k.Results, k.Markdown, k.ResultsSHA256 = "ERROR", nil, "", "", ""
			k.Platform = string(PlatformUnknown)
			k.Error = fmt.Sprintf("key %s is also in shard %d/%d: a key belongs to one account and region, so to one shard; the shards are not one run's", k.KeyARN, first, m.n)
		case !dup:
			m.arns[k.KeyARN] = sh.idx.Shard.K
		}
		pk, run, err := m.x.Copy(k, sh.dir)
		if err != nil {
			return err
		}
		if err := m.x.Add(pk); err != nil {
			return err
		}
		row := pk.Row()
		m.sum.count(&Key{Run: run, Platform: Platform(row.Platform), LeftOut: row.LeftOut})
	}
	for j, id := range aws {
		if err := m.x.AWSManaged(p.Place, len(rows)+j, id); err != nil {
			return err
		}
		m.sum.AWSManaged++
	}
	return nil
}

// isKeyARN says whether a row names a key by its ARN (arn:...:key/ID).
func isKeyARN(s string) bool {
	a, err := awsid.ParseARN(s)
	return err == nil && a.Service == "kms" && strings.HasPrefix(a.Resource, "key/")
}

// nothing is the error of shards that together judged no key: as one run
// over the same plan would say it.
func (m *merger) nothing(plan []string) error {
	e := &NothingJudgedError{LeftOut: m.sum.LeftOut, AWSManaged: m.sum.AWSManaged}
	for _, name := range plan {
		account, region, _ := strings.Cut(name, "/")
		e.Places = append(e.Places, account+" "+region)
	}
	return e
}
