package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// A fleet run audits many keys of one account and region through one
// collector. What does not depend on the key is asked once and shared:
// the region's aliases (ListAliases without a key ID, every page) and
// monitoring (EventBridge rules, log groups, metric filters, alarms), the
// account's caller identity (the target's), IAM simulation and IAM
// authorization details. Each key then costs DescribeKey, GetKeyPolicy,
// GetKeyRotationStatus, ListResourceTags and ListGrants, and its snapshot
// is still self-contained: the shared answers are copied into it.

// Operations only a fleet run sends: ListKeys to find a region's keys;
// AssumeRole to reach each account through the role template, and
// ListAccounts to find the accounts of an AWS Organization.
const (
	OpListKeys     = "kms:ListKeys"
	OpAssumeRole   = "sts:AssumeRole"
	OpListAccounts = "organizations:ListAccounts"
)

// AccountReadOnly is what a fleet run may send to reach its accounts:
// the caller identity, the role template's AssumeRole, the organization's
// account list.
func AccountReadOnly() []string { return []string{OpGetCallerIdentity, OpAssumeRole, OpListAccounts} }

// maxListPages bounds a region-wide listing: 1,000 pages of 1,000 keys is
// ten times the KMS resource quota of 100,000 keys per account and region.
const maxListPages = 1000

// FleetReadOnly is what a fleet run's collector may send: ReadOnly and
// kms:ListKeys.
func FleetReadOnly(roundtrip bool) []string { return append(ReadOnly(roundtrip), OpListKeys) }

// fleetScope is what the keys of one collector share in a fleet run.
type fleetScope struct {
	aliases    *RegionAliases
	account    *AccountFacts
	monitoring *shared // the account and region's monitoring members
}

// NewFleet opens a collector for one account and region of a fleet run:
// New, with kms:ListKeys allowed too.
func NewFleet(t *targets.Conn, opts Options) (*Collector, error) {
	if t == nil {
		return nil, errors.New("collect: no target")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cfg, guard := Wrap(t.Config, FleetReadOnly(opts.Roundtrip))
	return &Collector{target: t, opts: opts, cfg: cfg, guard: guard, kms: kms.NewFromConfig(cfg)}, nil
}

// WithScope is the collector (same client and guard) collecting keys with
// the region's alias list instead of a ListAliases call per key, the
// account's IAM reads asked once instead of per key, and the region's
// monitoring answers asked once (by the first key that needs them) for
// the keys of this collector. Either argument may be nil.
func (c *Collector) WithScope(aliases *RegionAliases, account *AccountFacts) *Collector {
	s := *c
	s.fleet = fleetScope{aliases: aliases, account: account, monitoring: &shared{}}
	return &s
}

// CustomerKey collects a key only if DescribeKey says it is a customer
// managed key (KeyManager CUSTOMER): for an AWS managed key nothing more
// is asked and skipped is true. A failed DescribeKey is collected as in
// Key: its ERROR results are the key's, nothing is skipped.
func (c *Collector) CustomerKey(ctx context.Context, keyID string) (state *keystate.State, rec *Record, skipped bool, err error) {
	return c.key(ctx, keyID, func(manager string) bool { return manager == "CUSTOMER" })
}

// Listing is one region-wide list answer: how many pages, and the SHA-256
// of each page as KMS sent it, for the index's evidence.
type Listing struct {
	Operation string   `json:"operation"`
	Pages     int      `json:"pages"`
	Items     int      `json:"items"`
	SHA256    []string `json:"sha256"`
}

func (l *Listing) add(body []byte, items int) {
	sum := sha256.Sum256(body)
	l.Pages++
	l.Items += items
	l.SHA256 = append(l.SHA256, hex.EncodeToString(sum[:]))
}

// ListKeys lists the ID of every key of the collector's account and region
// (every page). The error says why the region could not be listed; the
// caller must report it, never take it for an empty region.
func (c *Collector) ListKeys(ctx context.Context) ([]string, *Listing, *Record, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	log := &callLog{}
	ctx = withLog(ctx, log)
	listing := &Listing{Operation: OpListKeys}
	var ids []string
	p := kms.NewListKeysPaginator(c.kms, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for p.HasMorePages() {
		if listing.Pages >= maxListPages {
			return nil, listing, log.record(), fmt.Errorf("%s: still truncated after %d pages", OpListKeys, maxListPages)
		}
		var a answer
		page, err := p.NextPage(ctx, a.kms)
		if err != nil {
			return nil, listing, log.record(), fmt.Errorf("%s failed: %w", OpListKeys, err)
		}
		for _, k := range page.Keys {
			if id := aws.ToString(k.KeyId); id != "" {
				ids = append(ids, id)
			}
		}
		listing.add(a.body, len(page.Keys))
	}
	return ids, listing, log.record(), nil
}

// RegionAliases is the region-wide ListAliases of one account and region,
// asked once and shared by its keys: each key's ListAliases member is the
// entries that target it, byte for byte as KMS sent them, in the form
// `aws kms list-aliases --key-id` prints. A key's snapshot so stays
// self-contained, and the same size as a single audit's.
type RegionAliases struct {
	Listing Listing
	Record  *Record
	// Problem says why there is no list ("" when there is); every key of
	// the region then has it as its ListAliases problem.
	Problem string

	byKey      map[string][]json.RawMessage // TargetKeyId -> entries
	awsManaged map[string]bool              // targeted by an alias/aws/ alias
	byName     map[string]string            // alias name -> TargetKeyId
}

// Target is the key an alias name (alias/NAME) targets, "" when the list
// has no such alias or no list was had.
func (r *RegionAliases) Target(alias string) string { return r.byName[alias] }

// AWSManaged says whether an alias/aws/ alias targets the key: AWS creates
// those for its managed keys only, and customers cannot.
func (r *RegionAliases) AWSManaged(keyID string) bool { return r.awsManaged[keyID] }

// ListRegionAliases asks ListAliases without a key ID, every page.
func (c *Collector) ListRegionAliases(ctx context.Context) *RegionAliases {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	log := &callLog{}
	ctx = withLog(ctx, log)
	ra := &RegionAliases{Listing: Listing{Operation: OpListAliases}, byKey: map[string][]json.RawMessage{},
		awsManaged: map[string]bool{}, byName: map[string]string{}}
	fail := func(err error) *RegionAliases {
		ra.Problem = fmt.Sprintf("%s (region-wide, asked once for the keys of account %s in %s) failed: %v",
			OpListAliases, c.target.Account, c.target.Region, err)
		ra.byKey, ra.awsManaged, ra.byName = nil, nil, nil
		ra.Record = log.record()
		return ra
	}
	p := kms.NewListAliasesPaginator(c.kms, &kms.ListAliasesInput{Limit: aws.Int32(100)})
	for p.HasMorePages() {
		if ra.Listing.Pages >= maxListPages {
			return fail(fmt.Errorf("still truncated after %d pages", maxListPages))
		}
		var a answer
		if _, err := p.NextPage(ctx, a.kms); err != nil {
			return fail(err)
		}
		// The entries are read from the body, not the SDK's types, so each
		// is kept exactly as sent.
		var page struct{ Aliases []json.RawMessage }
		if err := json.Unmarshal(a.body, &page); err != nil {
			return fail(fmt.Errorf("page %d is not a ListAliases answer: %w", ra.Listing.Pages+1, err))
		}
		for _, raw := range page.Aliases {
			var e struct{ AliasName, TargetKeyId string }
			if err := json.Unmarshal(raw, &e); err != nil {
				return fail(fmt.Errorf("page %d: an alias entry does not parse: %w", ra.Listing.Pages+1, err))
			}
			if e.TargetKeyId == "" {
				continue // predefined by AWS, targets no key yet
			}
			ra.byKey[e.TargetKeyId] = append(ra.byKey[e.TargetKeyId], raw)
			ra.byName[e.AliasName] = e.TargetKeyId
			if strings.HasPrefix(e.AliasName, "alias/aws/") {
				ra.awsManaged[e.TargetKeyId] = true
			}
		}
		ra.Listing.add(a.body, len(page.Aliases))
	}
	ra.Record = log.record()
	return ra
}

// regionAliases records the key's entries of the region-wide list as its
// ListAliases member, or the list's problem.
func (r *keyRun) regionAliases(keyID string) {
	a := r.fleet.aliases
	if a.Problem != "" {
		r.problems[keystate.ListAliases] = a.Problem
		return
	}
	entries := a.byKey[keyID]
	if entries == nil {
		entries = []json.RawMessage{}
	}
	raw, err := json.Marshal(map[string]any{"Aliases": entries, "Truncated": false})
	if err != nil {
		r.fail(keystate.ListAliases, OpListAliases, err)
		return
	}
	r.answers[keystate.ListAliases] = raw
}

// AccountFacts are the facts of one account that every key's snapshot
// records but that do not depend on the key: the IAM simulation of the
// caller and the account's authorization details, each asked once, by the
// first key that needs it.
type AccountFacts struct {
	simulation, authorization shared
}

// NewAccountFacts is an empty set of account facts, for one account's
// collectors to share.
func NewAccountFacts() *AccountFacts { return &AccountFacts{} }

// shared are members that do not depend on the key, asked once for many
// keys: their answers and problems, read-only once asked.
type shared struct {
	once     sync.Once
	answers  map[string]json.RawMessage
	problems map[string]string
}

// fromShared gives the key s's members, asked first (once, with ask on a
// collection of their own, whose calls go in this key's record).
func (r *keyRun) fromShared(s *shared, ask func(*keyRun)) {
	s.once.Do(func() {
		first := &keyRun{Collector: r.Collector, answers: map[string]json.RawMessage{}, problems: map[string]string{}}
		ask(first)
		s.answers, s.problems = first.answers, first.problems
	})
	maps.Copy(r.answers, s.answers)
	maps.Copy(r.problems, s.problems)
}
