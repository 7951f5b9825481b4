package targets

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// A fleet run reaches many accounts and regions from one opened target:
// one client per account and region, the caller identity asked once per
// account.

// InRegion is the target in another region: the same endpoint, credentials,
// account and caller identity (asked when the account was reached, not
// again). The copy owns nothing; closing it closes nothing. The embedded
// target serves one region only.
func (t *Conn) InRegion(region string) (*Conn, error) {
	if !awsid.IsRegion(region) {
		return nil, fmt.Errorf("target: %q is not an AWS region name (like us-east-1)", region)
	}
	if t.Kind == keystate.KindEmbedded && region != t.Region {
		return nil, fmt.Errorf("target embedded: local-kms serves one region (%s), not %s", t.Region, region)
	}
	c := &Conn{TargetFacts: keystate.TargetFacts{Kind: t.Kind, Endpoint: t.Endpoint, Region: region, Account: t.Account}, Caller: t.Caller, CallerAnswer: t.CallerAnswer, Config: t.Config.Copy()}
	c.Config.Region = region
	return c, nil
}

// AssumeRole is the target as the role roleARN (an IAM role ARN) sees it:
// the role's credentials, refreshed as they expire, and its account asked
// once with sts:GetCallerIdentity, which must be the role's account.
// sts:AssumeRole and that call go through stsClient (a guard that allows
// them); the target's other requests through t's own HTTP client. Only
// targets with STS (localstack, aws) can assume roles.
func (t *Conn) AssumeRole(ctx context.Context, roleARN string, stsClient aws.HTTPClient) (*Conn, error) {
	if !t.HasSTS() {
		return nil, fmt.Errorf("target %s: has no STS to assume %s with", t.Kind, roleARN)
	}
	a, err := awsid.ParseARN(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || !awsid.IsAccountID(a.Account) {
		return nil, fmt.Errorf("target %s: %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", t.Kind, roleARN)
	}
	stsCfg := t.Config.Copy()
	if stsClient != nil {
		stsCfg.HTTPClient = stsClient
	}
	cfg := t.Config.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), roleARN,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "cmkcheck-fleet" }))
	n := &Conn{TargetFacts: keystate.TargetFacts{Kind: t.Kind, Endpoint: t.Endpoint, Region: t.Region}, Config: cfg}
	// The caller is asked through the STS client too; the answer is kept
	// on n, whose own requests go out through t's client.
	probe := &Conn{TargetFacts: keystate.TargetFacts{Kind: t.Kind, Region: t.Region}, Config: cfg.Copy()}
	if stsClient != nil {
		probe.Config.HTTPClient = stsClient
	}
	if err := probe.askCaller(ctx); err != nil {
		return nil, fmt.Errorf("target %s: as %s: %w", t.Kind, roleARN, err)
	}
	if probe.Account != a.Account {
		return nil, fmt.Errorf("target %s: assuming %s gave credentials of account %s, not the role's account %s", t.Kind, roleARN, probe.Account, a.Account)
	}
	n.Caller, n.Account, n.CallerAnswer = probe.Caller, probe.Account, probe.CallerAnswer
	return n, nil
}

// InAccount is the LocalStack target acting in another account, as
// LocalStack takes it: the access key ID is the account. Its caller is
// asked through stsClient (as AssumeRole's is) and must be that account.
// The copy owns nothing.
func (t *Conn) InAccount(ctx context.Context, account string, stsClient aws.HTTPClient) (*Conn, error) {
	if t.Kind != keystate.KindLocalStack {
		return nil, fmt.Errorf("target %s: only LocalStack acts in the account its access key names, not in %s", t.Kind, account)
	}
	if !awsid.IsAccountID(account) {
		return nil, fmt.Errorf("target %s: %q is not a 12-digit AWS account ID", t.Kind, account)
	}
	n := &Conn{TargetFacts: keystate.TargetFacts{Kind: t.Kind, Endpoint: t.Endpoint, Region: t.Region}, Config: t.Config.Copy()}
	n.Config.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(account, "test", ""))
	probe := &Conn{TargetFacts: keystate.TargetFacts{Kind: t.Kind, Region: t.Region}, Config: n.Config.Copy()}
	if stsClient != nil {
		probe.Config.HTTPClient = stsClient
	}
	if err := probe.askCaller(ctx); err != nil {
		return nil, fmt.Errorf("target %s: in account %s: %w", t.Kind, account, err)
	}
	if probe.Account != account {
		return nil, fmt.Errorf("target %s: acts in account %s, not %s", t.Kind, probe.Account, account)
	}
	n.Caller, n.Account, n.CallerAnswer = probe.Caller, probe.Account, probe.CallerAnswer
	return n, nil
}
