// Package collect gathers one key's state from a live target, read-only.
// It records what it saw and judges nothing: every answer's raw body, and
// for the live-only facts (caller identity, IAM simulation, round trip)
// what was asked, what came back, or why nothing did. keystate.FromAnswers
// decodes it all, so a live run reads exactly like a snapshot, and
// State.Snapshot saves it as one.
package collect

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// DefaultTimeout bounds one whole collection.
const DefaultTimeout = 60 * time.Second

// maxPages bounds pagination, in case an endpoint keeps answering Truncated.
const maxPages = 100

// Options tune a collection.
type Options struct {
	Roundtrip bool          // Encrypt then Decrypt; the profile's roundtrip
	Timeout   time.Duration // deadline of one key's collection; 0 means DefaultTimeout
	NoIAM     bool          // --no-iam: do not read the account's IAM side (iam.go)

	grantPage int32 // ListGrants page size; 0 leaves KMS's default (50). Tests set it small.
}

// Record is what a collection did on the wire.
type Record struct {
	Calls   []string // every operation sent, in order
	Refused []string // operations the guard refused (none in a correct run)
	// Unreadable is DescribeKey's answer when it says the key cannot be
	// found or read at all (NotFoundException, AccessDeniedException):
	// nothing about the key can be judged. A single-key audit stops on
	// it; a fleet keeps the key as its ERROR entry. Other failures (a
	// throttle, a timeout) are not this: the checks are ERROR.
	Unreadable *keystate.CallError
}

// APICalls is the number of requests sent.
func (r *Record) APICalls() int { return len(r.Calls) }

// NoIAMReason is why there is no IAM policy simulation on an emulator.
const NoIAMReason = "LocalStack/local-kms do not evaluate IAM policies, a simulation would not be faithful"

// Key gathers the state of one key (key ID, key ARN or alias/NAME) in
// inspect mode: only read-only operations go out, and the guard refuses
// anything else before it is sent. A failed call is not an error here: its
// member is left out and state.Problems says why, so the checks are ERROR.
// The error is for unusable input, and for answers that name another key
// than the one asked for (a *keystate.MixedKeysError naming both): those
// are never judged.
func Key(ctx context.Context, t *targets.Conn, key string, opts Options) (*keystate.State, *Record, error) {
	c, err := New(t, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.Key(ctx, key)
}

// Collector collects keys of one target through one guarded client. It is
// safe for concurrent use: each call keeps its own answer and each key its
// own record, however many keys are collected side by side.
type Collector struct {
	target *targets.Conn
	opts   Options
	cfg    aws.Config
	guard  *Guard
	kms    *kms.Client
	fleet  fleetScope // set by WithScope: what a fleet run's keys share
}

// New opens a collector on the target, its client behind a read-only guard.
func New(t *targets.Conn, opts Options) (*Collector, error) {
	if t == nil {
		return nil, errors.New("collect: no target")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cfg, guard := Wrap(t.Config, ReadOnly(opts.Roundtrip))
	return &Collector{target: t, opts: opts, cfg: cfg, guard: guard, kms: kms.NewFromConfig(cfg)}, nil
}

// Guard is the collector's guard: everything sent or refused for all keys.
func (c *Collector) Guard() *Guard { return c.guard }

// Key gathers one key's state; see the package function Key.
func (c *Collector) Key(ctx context.Context, key string) (*keystate.State, *Record, error) {
	state, rec, _, err := c.key(ctx, key, nil)
	return state, rec, err
}

// key is Key; keep, when set, decides from DescribeKey's KeyManager whether
// the rest is asked at all (skipped is then true and the state nil).
func (c *Collector) key(ctx context.Context, key string, keep func(keyManager string) bool) (_ *keystate.State, _ *Record, skipped bool, _ error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, nil, false, errors.New("collect: no key named: give a key ID, key ARN or alias/NAME")
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	log := &callLog{}
	ctx = withLog(ctx, log)
	run := &keyRun{Collector: c, answers: map[string]json.RawMessage{}, problems: map[string]string{}}

	keyID, describeErr := run.describe(ctx, key)
	if describeErr == nil && keep != nil && !keep(run.keyManager) {
		return nil, log.record(), true, nil
	}
	if describeErr == nil {
		run.policy(ctx, keyID)
		run.rotation(ctx, keyID)
		run.tags(ctx, keyID)
		if c.fleet.aliases != nil {
			run.regionAliases(keyID) // asked once for the region, no call here
		} else {
			run.aliases(ctx, keyID)
		}
		run.grants(ctx, keyID)
		if c.fleet.monitoring != nil {
			run.fromShared(c.fleet.monitoring, func(f *keyRun) { f.monitoring(ctx) }) // once for the region
		} else {
			run.monitoring(ctx)
		}
	} else {
		// Each problem names the cause: a reader of one check's ERROR
		// sees which error it was, not only that DescribeKey failed.
		for _, m := range keystate.Members[1:] {
			run.problems[m] = fmt.Sprintf("%s not asked: the key ID is unknown because %s", m, run.problems[keystate.DescribeKey])
		}
		if t := c.target; t.Kind != keystate.KindEmbedded {
			for _, m := range keystate.MonitoringMembers {
				run.problems[m] = fmt.Sprintf("%s not asked: the key ID is unknown because %s", m, run.problems[keystate.DescribeKey])
			}
		}
	}
	t := c.target
	run.record(keystate.Target, t.TargetFacts)
	caller := run.caller(ctx)
	if a := c.fleet.account; a != nil { // once for the account
		run.fromShared(&a.simulation, func(f *keyRun) { f.simulate(ctx, caller) })
		run.fromShared(&a.authorization, func(f *keyRun) { f.accountAuthorization(ctx) })
	} else {
		run.simulate(ctx, caller)
		run.accountAuthorization(ctx)
	}
	switch {
	case !c.opts.Roundtrip:
		run.record(keystate.RoundTrip, keystate.RoundTripFacts{Requested: false})
	case describeErr != nil:
		run.record(keystate.RoundTrip, keystate.RoundTripFacts{Requested: true,
			NotRun: "the key ID is unknown because " + run.problems[keystate.DescribeKey]})
	default:
		run.record(keystate.RoundTrip, run.roundtrip(ctx, keyID))
	}

	state := keystate.FromAnswers(run.answers)
	for m, p := range run.problems {
		state.Problems[m] = p
	}
	if err := sameKey(state, key); err != nil {
		// Judging these answers would pass one key's evidence off as
		// another's: no state, only why.
		return nil, log.record(), false, fmt.Errorf("collect: the answers for %s are not all about that key: %w", key, err)
	}
	rec := log.record()
	rec.Unreadable = unreadable(describeErr)
	return state, rec, false, nil
}

// unreadable is the DescribeKey error that says the key cannot be found
// or read at all, nil for any other.
func unreadable(err error) *keystate.CallError {
	var apiErr smithy.APIError
	if err == nil || !errors.As(err, &apiErr) {
		return nil
	}
	switch apiErr.ErrorCode() {
	case "NotFoundException", "AccessDeniedException":
		return callError(OpDescribeKey, err)
	}
	return nil
}

// sameKey holds every answer to the key asked for (ID, ARN or alias).
// Asked by alias, DescribeKey's answer is KMS's own resolution of it; the
// aliases listed for that key must include it, and when the alias list
// could not be had (its checks are ERROR for it) the answers are held to
// each other only, rather than failing the whole collection over it.
func sameKey(s *keystate.State, asked string) error {
	a, _ := awsid.ParseARN(asked) // the zero ARN when asked is an ID or alias name
	alias := strings.HasPrefix(asked, "alias/") || strings.HasPrefix(a.Resource, "alias/")
	if alias && !s.Has(keystate.ListAliases) {
		asked = ""
	}
	return s.SameKeyAs(asked, "the key asked for")
}

// keyRun is one key's collection: its answers, and why any is missing.
type keyRun struct {
	*Collector
	answers    map[string]json.RawMessage
	problems   map[string]string
	keyManager string // DescribeKey's KeyManager
}

func (r *keyRun) fail(member, op string, err error) {
	r.problems[member] = fmt.Sprintf("%s failed: %v", op, err)
}

// record keeps a fact this tool words itself (not a raw answer).
func (r *keyRun) record(member string, fact any) {
	raw, err := json.Marshal(fact)
	if err != nil {
		r.problems[member] = fmt.Sprintf("%s could not be recorded: %v", member, err)
		return
	}
	r.answers[member] = raw
}

func (r *keyRun) describe(ctx context.Context, key string) (string, error) {
	var a answer
	out, err := r.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key)}, a.kms)
	if err == nil && (out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.KeyId) == "") {
		err = errors.New("the answer has no KeyMetadata.KeyId")
	}
	if err != nil {
		r.fail(keystate.DescribeKey, OpDescribeKey, fmt.Errorf("for %s: %w", key, err))
		return "", err
	}
	r.answers[keystate.DescribeKey] = a.body
	r.keyManager = string(out.KeyMetadata.KeyManager)
	return aws.ToString(out.KeyMetadata.KeyId), nil
}

func (r *keyRun) policy(ctx context.Context, keyID string) {
	var a answer
	_, err := r.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default")}, a.kms)
	if err != nil {
		r.fail(keystate.GetKeyPolicy, OpGetKeyPolicy, err)
		return
	}
	r.answers[keystate.GetKeyPolicy] = a.body
}

func (r *keyRun) rotation(ctx context.Context, keyID string) {
	var a answer
	_, err := r.kms.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(keyID)}, a.kms)
	if err != nil {
		r.fail(keystate.GetKeyRotationStatus, OpGetKeyRotationStatus, err)
		return
	}
	r.answers[keystate.GetKeyRotationStatus] = a.body
}

func (r *keyRun) tags(ctx context.Context, keyID string) {
	r.list(keystate.ListResourceTags, OpListResourceTags, "Tags", func(marker *string, a *answer) (bool, *string, error) {
		out, err := r.kms.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(keyID), Marker: marker}, a.kms)
		if err != nil {
			return false, nil, err
		}
		return out.Truncated, out.NextMarker, nil
	})
}

func (r *keyRun) aliases(ctx context.Context, keyID string) {
	r.list(keystate.ListAliases, OpListAliases, "Aliases", func(marker *string, a *answer) (bool, *string, error) {
		out, err := r.kms.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(keyID), Marker: marker}, a.kms)
		if err != nil {
			return false, nil, err
		}
		return out.Truncated, out.NextMarker, nil
	})
}

// grants asks ListGrants through the SDK's paginator, every page (bounded
// by maxPages), and keeps the pages merged into one answer as the CLI
// prints it. The paginator goes on while a page gives a NextMarker; a
// page that says Truncated without one would end it early, so that is a
// failure, not a shorter list.
func (r *keyRun) grants(ctx context.Context, keyID string) {
	const member, op = keystate.ListGrants, OpListGrants
	p := kms.NewListGrantsPaginator(r.kms, &kms.ListGrantsInput{KeyId: aws.String(keyID)},
		func(o *kms.ListGrantsPaginatorOptions) { o.Limit = r.opts.grantPage })
	var pages [][]byte
	for len(pages) < maxPages && p.HasMorePages() {
		var a answer
		out, err := p.NextPage(ctx, a.kms)
		if err != nil {
			r.fail(member, op, err)
			return
		}
		pages = append(pages, a.body)
		if out.Truncated && aws.ToString(out.NextMarker) == "" {
			r.fail(member, op, fmt.Errorf("page %d says Truncated but gives no NextMarker: the rest of the grants cannot be asked for", len(pages)))
			return
		}
	}
	if p.HasMorePages() {
		r.fail(member, op, fmt.Errorf("still truncated after %d pages", maxPages))
		return
	}
	r.merge(member, op, "Grants", pages)
}

// list asks a listing operation page by page (bounded) and keeps the pages
// merged into one answer, as the CLI prints it.
func (r *keyRun) list(member, op, field string, page func(marker *string, a *answer) (truncated bool, next *string, err error)) {
	var pages [][]byte
	var marker *string
	for range maxPages {
		var a answer
		truncated, next, err := page(marker, &a)
		if err != nil {
			r.fail(member, op, err)
			return
		}
		pages = append(pages, a.body)
		if truncated && aws.ToString(next) == "" {
			// The rest cannot be asked for: a shorter list is not the list.
			r.fail(member, op, fmt.Errorf("page %d says Truncated but gives no NextMarker: the rest of the %s cannot be asked for", len(pages), strings.ToLower(field)))
			return
		}
		if !truncated {
			r.merge(member, op, field, pages)
			return
		}
		marker = next
	}
	r.fail(member, op, fmt.Errorf("still truncated after %d pages", maxPages))
}

// merge turns the pages of a list answer into one answer, as the CLI prints
// it after paginating. A single page with a list is kept byte for byte.
// local-kms sends "Tags": null for no tags, where AWS sends []: an empty
// list is what it means.
func (r *keyRun) merge(member, op, list string, pages [][]byte) {
	var items []json.RawMessage
	for i, p := range pages {
		var page map[string]json.RawMessage
		if err := json.Unmarshal(p, &page); err != nil {
			r.fail(member, op, fmt.Errorf("page %d is not a JSON object: %w", i+1, err))
			return
		}
		raw, ok := page[list]
		if !ok {
			r.fail(member, op, fmt.Errorf("page %d has no %s member", i+1, list))
			return
		}
		if len(pages) == 1 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			r.answers[member] = p
			return
		}
		var pageItems []json.RawMessage
		if err := json.Unmarshal(raw, &pageItems); err != nil {
			r.fail(member, op, fmt.Errorf("page %d: %s is not a list: %w", i+1, list, err))
			return
		}
		items = append(items, pageItems...)
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	merged, err := json.Marshal(map[string]any{list: items, "Truncated": false})
	if err != nil {
		r.fail(member, op, err)
		return
	}
	r.answers[member] = merged
}

// caller records the run's one caller identity: the target's, asked when
// it opened; asked here only if the target has STS and has not asked yet.
func (r *keyRun) caller(ctx context.Context) *keystate.Caller {
	t := r.target
	switch {
	case !t.HasSTS():
		r.record(keystate.GetCallerIdentity, keystate.Identity{NotRun: fmt.Sprintf("no STS on the %s target", t.Kind)})
		return nil
	case t.Caller != nil && len(t.CallerAnswer) > 0:
		r.answers[keystate.GetCallerIdentity] = t.CallerAnswer
		return t.Caller
	case t.Caller != nil:
		r.record(keystate.GetCallerIdentity, keystate.Identity{Caller: t.Caller})
		return t.Caller
	}
	out, err := sts.NewFromConfig(r.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		r.record(keystate.GetCallerIdentity, keystate.Identity{Error: callError(OpGetCallerIdentity, err)})
		return nil
	}
	caller := &keystate.Caller{Account: aws.ToString(out.Account), Arn: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	r.record(keystate.GetCallerIdentity, keystate.Identity{Caller: caller})
	return caller
}

// simulated is the SimulatePrincipalPolicy member as this tool writes it:
// the principal asked about and IAM's results as the AWS CLI prints them.
type simulated struct {
	PolicySourceArn   string                      `json:",omitempty"`
	EvaluationResults []iamtypes.EvaluationResult `json:",omitempty"`
	NotRun            string                      `json:",omitempty"`
	Error             *keystate.CallError         `json:",omitempty"`
}

// simulate records IAM's policy simulation of keystate.SimulatedActions
// for the caller, on AWS only, or why there is none.
func (r *keyRun) simulate(ctx context.Context, caller *keystate.Caller) {
	const member = keystate.SimulatePrincipalPolicy
	if r.target.Emulated() {
		r.record(member, simulated{NotRun: NoIAMReason})
		return
	}
	if caller == nil {
		r.record(member, simulated{Error: &keystate.CallError{Detail: "no caller identity to simulate"}})
		return
	}
	principal, why := simulationPrincipal(caller.Arn)
	if principal == "" {
		r.record(member, simulated{NotRun: why})
		return
	}
	out, err := iam.NewFromConfig(r.cfg).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(principal),
		ActionNames:     keystate.SimulatedActions,
	})
	if err != nil {
		r.record(member, simulated{PolicySourceArn: principal, Error: callError(OpSimulatePrincipalPolicy, err)})
		return
	}
	results := out.EvaluationResults
	if results == nil {
		results = []iamtypes.EvaluationResult{}
	}
	raw, err := withoutNulls(struct {
		PolicySourceArn   string
		EvaluationResults []iamtypes.EvaluationResult
	}{principal, results})
	if err != nil {
		r.problems[member] = fmt.Sprintf("%s could not be recorded: %v", member, err)
		return
	}
	r.answers[member] = raw
}

// withoutNulls marshals v leaving out null members, as the AWS CLI prints
// an answer (the SDK's types marshal every unset field as null).
func withoutNulls(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	return json.Marshal(dropNulls(tree))
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				x[k] = dropNulls(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}

// simulationPrincipal turns a caller ARN into the IAM user or role that
// SimulatePrincipalPolicy takes, or says why there is none.
func simulationPrincipal(arn string) (string, string) {
	a, err := awsid.ParseARN(arn)
	if err != nil {
		return "", fmt.Sprintf("caller %q is not an ARN", arn)
	}
	partition, service, account, resource := a.Partition, a.Service, a.Account, a.Resource
	switch {
	case service == "iam" && (strings.HasPrefix(resource, "user/") || strings.HasPrefix(resource, "role/")):
		return arn, ""
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		role := strings.Split(strings.TrimPrefix(resource, "assumed-role/"), "/")[0]
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, role), ""
	case service == "iam" && resource == "root":
		return "", "the caller is the account's root user, which IAM policy simulation does not cover"
	}
	return "", fmt.Sprintf("caller %s is neither an IAM user nor a role, which IAM policy simulation needs", arn)
}

// roundtrip encrypts a random plaintext, decrypts it and records what came
// back (sizes, key IDs, whether the plaintext matched), or the error that
// stopped it. Whether a refusal is the key's fault is for the checks.
func (r *keyRun) roundtrip(ctx context.Context, keyID string) keystate.RoundTripFacts {
	facts := keystate.RoundTripFacts{Requested: true}
	plain := make([]byte, 32)
	if _, err := rand.Read(plain); err != nil {
		facts.Error = &keystate.CallError{Detail: "no random plaintext: " + err.Error()}
		return facts
	}
	enc, err := r.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: plain})
	if err != nil {
		facts.Error = callError(OpEncrypt, err)
		return facts
	}
	facts.PlaintextBytes = len(plain)
	facts.Encrypt = &keystate.EncryptFacts{KeyID: aws.ToString(enc.KeyId), EncryptionAlgorithm: string(enc.EncryptionAlgorithm), CiphertextBytes: len(enc.CiphertextBlob)}
	dec, err := r.kms.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(keyID), CiphertextBlob: enc.CiphertextBlob})
	if err != nil {
		facts.Error = callError(OpDecrypt, err)
		return facts
	}
	// The blobs stay out of the record: sizes say enough.
	facts.Decrypt = &keystate.DecryptFacts{KeyID: aws.ToString(dec.KeyId), PlaintextBytes: len(dec.Plaintext)}
	matches := bytes.Equal(plain, dec.Plaintext)
	facts.PlaintextMatches = &matches
	return facts
}

// callError records a failed call: the service's code and message when it
// sent them, and the whole error as the SDK words it.
func callError(op string, err error) *keystate.CallError {
	e := &keystate.CallError{Operation: op, Detail: err.Error()}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		e.Code, e.Message = apiErr.ErrorCode(), apiErr.ErrorMessage()
	}
	return e
}
