// Package collect gathers one key's state from a live target, read-only.
// It keeps every answer's raw body and decodes them with
// keystate.FromAnswers, so a live run reads exactly like a snapshot.
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
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/targets"
)

// DefaultTimeout bounds one whole collection.
const DefaultTimeout = 60 * time.Second

// maxPages bounds pagination, in case an endpoint keeps answering Truncated.
const maxPages = 100

// Options tune a collection.
type Options struct {
	Roundtrip bool          // Encrypt then Decrypt (CMK-CFG-6); the profile's roundtrip
	Timeout   time.Duration // overall deadline; 0 means DefaultTimeout
}

// Record is what a collection did on the wire.
type Record struct {
	Calls   []string // every operation sent, in order
	Refused []string // operations the guard refused (none in a correct run)
}

// APICalls is the number of requests sent.
func (r *Record) APICalls() int { return len(r.Calls) }

// NoIAMReason is why CMK-PRM-1 is skipped on an emulator.
const NoIAMReason = "LocalStack/local-kms do not evaluate IAM policies, a simulation would not be faithful"

// Key gathers the state of one key (key ID, key ARN or alias/NAME) in
// inspect mode: only read-only operations go out, and the guard refuses
// anything else before it is sent. A failed call is not an error here: its
// member is left out and state.Problems says why, so the checks are ERROR.
// The error is for unusable input only.
func Key(ctx context.Context, t *targets.Target, key string, opts Options) (*keystate.State, *Record, error) {
	if t == nil {
		return nil, nil, errors.New("collect: no target")
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, nil, errors.New("collect: no key named: give a key ID, key ARN or alias/NAME")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	cfg, guard := Wrap(t.Config, ReadOnly(opts.Roundtrip))
	c := &collector{guard: guard, kms: kms.NewFromConfig(cfg), answers: map[string]json.RawMessage{}, problems: map[string]string{}}

	keyID, describeErr := c.describe(ctx, key)
	if describeErr == nil {
		c.policy(ctx, keyID)
		c.rotation(ctx, keyID)
		c.tags(ctx, keyID)
		c.aliases(ctx, keyID)
	} else {
		// Each problem names the cause: a reader of one check's ERROR
		// sees which error it was, not only that DescribeKey failed.
		for _, m := range keystate.Members[1:] {
			c.problems[m] = fmt.Sprintf("%s not asked: the key ID is unknown because %s", m, c.problems[keystate.DescribeKey])
		}
	}
	state := keystate.FromAnswers(c.answers)
	for m, p := range c.problems {
		state.Problems[m] = p
	}

	live := &keystate.Live{Target: t.Kind, Endpoint: t.Endpoint, Region: t.Region}
	caller, callerRaw, callerErr := c.caller(ctx, t, cfg)
	live.Caller = caller
	live.Access = access(t, state, caller, callerRaw, callerErr, describeErr)
	live.Permission = c.permission(ctx, t, cfg, caller)
	switch {
	case !opts.Roundtrip:
		live.Roundtrip = keystate.Skipped("roundtrip not requested in the profile")
	case describeErr != nil:
		live.Roundtrip = keystate.Failed("not run: the key ID is unknown because " + state.Problems[keystate.DescribeKey])
	default:
		live.Roundtrip = c.roundtrip(ctx, keyID)
	}
	state.Live = live
	return state, &Record{Calls: guard.Calls(), Refused: guard.Refused()}, nil
}

type collector struct {
	guard    *Guard
	kms      *kms.Client
	answers  map[string]json.RawMessage
	problems map[string]string
}

func (c *collector) fail(member, op string, err error) {
	c.problems[member] = fmt.Sprintf("%s failed: %v", op, err)
}

func (c *collector) describe(ctx context.Context, key string) (string, error) {
	out, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key)})
	if err == nil && (out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.KeyId) == "") {
		err = errors.New("the answer has no KeyMetadata.KeyId")
	}
	if err != nil {
		c.fail(keystate.DescribeKey, OpDescribeKey, fmt.Errorf("for %s: %w", key, err))
		return "", err
	}
	c.answers[keystate.DescribeKey] = c.guard.Last(OpDescribeKey)
	return aws.ToString(out.KeyMetadata.KeyId), nil
}

func (c *collector) policy(ctx context.Context, keyID string) {
	_, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default")})
	if err != nil {
		c.fail(keystate.GetKeyPolicy, OpGetKeyPolicy, err)
		return
	}
	c.answers[keystate.GetKeyPolicy] = c.guard.Last(OpGetKeyPolicy)
}

func (c *collector) rotation(ctx context.Context, keyID string) {
	_, err := c.kms.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(keyID)})
	if err != nil {
		c.fail(keystate.GetKeyRotationStatus, OpGetKeyRotationStatus, err)
		return
	}
	c.answers[keystate.GetKeyRotationStatus] = c.guard.Last(OpGetKeyRotationStatus)
}

func (c *collector) tags(ctx context.Context, keyID string) {
	c.list(keystate.ListResourceTags, OpListResourceTags, "Tags", func(marker *string) (bool, *string, error) {
		out, err := c.kms.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(keyID), Marker: marker})
		if err != nil {
			return false, nil, err
		}
		return out.Truncated, out.NextMarker, nil
	})
}

func (c *collector) aliases(ctx context.Context, keyID string) {
	c.list(keystate.ListAliases, OpListAliases, "Aliases", func(marker *string) (bool, *string, error) {
		out, err := c.kms.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(keyID), Marker: marker})
		if err != nil {
			return false, nil, err
		}
		return out.Truncated, out.NextMarker, nil
	})
}

// list asks a listing operation page by page (bounded) and keeps the pages
// merged into one answer, as the CLI prints it.
func (c *collector) list(member, op, field string, page func(marker *string) (truncated bool, next *string, err error)) {
	var pages [][]byte
	var marker *string
	for range maxPages {
		truncated, next, err := page(marker)
		if err != nil {
			c.fail(member, op, err)
			return
		}
		pages = append(pages, c.guard.Last(op))
		if !truncated || aws.ToString(next) == "" {
			c.merge(member, op, field, pages)
			return
		}
		marker = next
	}
	c.fail(member, op, fmt.Errorf("still truncated after %d pages", maxPages))
}

// merge turns the pages of a list answer into one answer, as the CLI prints
// it after paginating. A single page with a list is kept byte for byte.
// local-kms sends "Tags": null for no tags, where AWS sends []: an empty
// list is what it means.
func (c *collector) merge(member, op, list string, pages [][]byte) {
	var items []json.RawMessage
	for i, p := range pages {
		var page map[string]json.RawMessage
		if err := json.Unmarshal(p, &page); err != nil {
			c.fail(member, op, fmt.Errorf("page %d is not a JSON object: %w", i+1, err))
			return
		}
		raw, ok := page[list]
		if !ok {
			c.fail(member, op, fmt.Errorf("page %d has no %s member", i+1, list))
			return
		}
		if len(pages) == 1 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			c.answers[member] = p
			return
		}
		var pageItems []json.RawMessage
		if err := json.Unmarshal(raw, &pageItems); err != nil {
			c.fail(member, op, fmt.Errorf("page %d: %s is not a list: %w", i+1, list, err))
			return
		}
		items = append(items, pageItems...)
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	merged, err := json.Marshal(map[string]any{list: items, "Truncated": false})
	if err != nil {
		c.fail(member, op, err)
		return
	}
	c.answers[member] = merged
}

// caller is the run's one caller identity: the target's, asked when it
// opened; asked here only if the target has STS and has not asked yet.
func (c *collector) caller(ctx context.Context, t *targets.Target, cfg aws.Config) (*keystate.Caller, json.RawMessage, error) {
	if !t.HasSTS() {
		return nil, nil, nil
	}
	if t.Caller != nil {
		return t.Caller, t.CallerAnswer, nil
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s failed: %w", OpGetCallerIdentity, err)
	}
	caller := &keystate.Caller{Account: aws.ToString(out.Account), Arn: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	raw, _ := json.Marshal(map[string]string{"UserId": caller.UserID, "Account": caller.Account, "Arn": caller.Arn})
	return caller, raw, nil
}

// access is CMK-ACC-1's probe: KMS answered for the key, and the key sits in
// the caller's account (the configured account where there is no STS) and in
// the target's region.
func access(t *targets.Target, s *keystate.State, caller *keystate.Caller, callerRaw json.RawMessage, callerErr, describeErr error) keystate.Probe {
	if callerErr != nil {
		return keystate.Failed(callerErr.Error())
	}
	if describeErr != nil {
		return keystate.Failed("the KMS read failed: " + s.Problems[keystate.DescribeKey])
	}
	if s.Key == nil {
		return keystate.Failed("the KMS read gave no usable key metadata: " + s.Problems[keystate.DescribeKey])
	}
	p := keystate.Probe{Ran: true, Evidence: map[string]json.RawMessage{keystate.DescribeKey: s.Raw[keystate.DescribeKey]}}
	account, who := t.Account, ""
	if caller != nil {
		account = caller.Account
		who = fmt.Sprintf("caller %s (account %s)", caller.Arn, caller.Account)
		p.Evidence["GetCallerIdentity"] = callerRaw
	} else {
		who = fmt.Sprintf("no STS on the %s target, so no caller identity: judged from the KMS read and the configured account %s", t.Kind, t.Account)
	}
	keyAccount, keyRegion := s.Key.Account(), s.Key.Region()
	p.OK = keyAccount == account && keyRegion == t.Region
	p.Observed = fmt.Sprintf("%s; KMS answered kms:DescribeKey for %s in account %s, region %s; the target's region is %s",
		who, s.Key.Arn, keyAccount, keyRegion, t.Region)
	return p
}

// permission is CMK-PRM-1's probe: IAM policy simulation of kms:CreateKey
// and kms:Encrypt for the caller, on AWS only.
func (c *collector) permission(ctx context.Context, t *targets.Target, cfg aws.Config, caller *keystate.Caller) keystate.Probe {
	if t.Emulated() {
		return keystate.Skipped(NoIAMReason)
	}
	if caller == nil {
		return keystate.Failed("no caller identity to simulate")
	}
	principal, why := simulationPrincipal(caller.Arn)
	if principal == "" {
		return keystate.Skipped(why)
	}
	actions := []string{"kms:CreateKey", "kms:Encrypt"}
	out, err := iam.NewFromConfig(cfg).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(principal),
		ActionNames:     actions,
	})
	if err != nil {
		return keystate.Failed(fmt.Sprintf("%s for %s failed: %v", OpSimulatePrincipalPolicy, principal, err))
	}
	type decision struct{ EvalActionName, EvalDecision string }
	var decisions []decision
	var words []string
	ok := len(out.EvaluationResults) == len(actions)
	for _, r := range out.EvaluationResults {
		d := decision{aws.ToString(r.EvalActionName), string(r.EvalDecision)}
		decisions = append(decisions, d)
		words = append(words, d.EvalActionName+" "+d.EvalDecision)
		ok = ok && d.EvalDecision == "allowed"
	}
	raw, _ := json.Marshal(map[string]any{"PolicySourceArn": principal, "EvaluationResults": decisions})
	return keystate.Probe{Ran: true, OK: ok,
		Observed: fmt.Sprintf("IAM policy simulation for %s: %s", principal, strings.Join(words, ", ")),
		Evidence: map[string]json.RawMessage{"SimulatePrincipalPolicy": raw}}
}

// simulationPrincipal turns a caller ARN into the IAM user or role that
// SimulatePrincipalPolicy takes, or says why there is none.
func simulationPrincipal(arn string) (string, string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", fmt.Sprintf("caller %q is not an ARN", arn)
	}
	partition, service, account, resource := parts[1], parts[2], parts[4], parts[5]
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

// roundtrip is CMK-CFG-6's probe: Encrypt a random plaintext, Decrypt it,
// compare. A refusal by KMS is a finding (not OK); a failure to ask is Err.
func (c *collector) roundtrip(ctx context.Context, keyID string) keystate.Probe {
	plain := make([]byte, 32)
	if _, err := rand.Read(plain); err != nil {
		return keystate.Failed("no random plaintext: " + err.Error())
	}
	enc, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: plain})
	if err != nil {
		return refusedOrFailed(OpEncrypt, err)
	}
	dec, err := c.kms.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(keyID), CiphertextBlob: enc.CiphertextBlob})
	if err != nil {
		return refusedOrFailed(OpDecrypt, err)
	}
	// The blobs are left out of the evidence: sizes say enough.
	ev, _ := json.Marshal(map[string]any{
		"Encrypt": map[string]any{"KeyId": aws.ToString(enc.KeyId), "EncryptionAlgorithm": string(enc.EncryptionAlgorithm), "CiphertextBytes": len(enc.CiphertextBlob)},
		"Decrypt": map[string]any{"KeyId": aws.ToString(dec.KeyId), "PlaintextBytes": len(dec.Plaintext)},
	})
	p := keystate.Probe{Ran: true, OK: bytes.Equal(plain, dec.Plaintext), Evidence: map[string]json.RawMessage{"Roundtrip": ev}}
	if p.OK {
		p.Observed = fmt.Sprintf("Encrypt then Decrypt of %d random bytes returned the plaintext", len(plain))
	} else {
		p.Observed = fmt.Sprintf("Decrypt returned %d bytes that differ from the %d encrypted", len(dec.Plaintext), len(plain))
	}
	return p
}

// keyFindings are KMS error codes that describe the key itself (disabled,
// pending deletion or import, not for encryption): a finding, not a fault.
var keyFindings = map[string]bool{
	"DisabledException": true, "KMSInvalidStateException": true, "InvalidKeyUsageException": true,
	"KeyUnavailableException": true, "IncorrectKeyException": true, "UnsupportedOperationException": true,
}

// refusedOrFailed: KMS refusing because of the key's state or usage is a
// finding; anything else (access denied, throttling, network) means the
// probe could not complete.
func refusedOrFailed(op string, err error) keystate.Probe {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && keyFindings[apiErr.ErrorCode()] {
		return keystate.Probe{Ran: true, OK: false, Observed: fmt.Sprintf("%s was refused by KMS: %s: %s", op, apiErr.ErrorCode(), apiErr.ErrorMessage())}
	}
	return keystate.Failed(fmt.Sprintf("%s failed: %v", op, err))
}
