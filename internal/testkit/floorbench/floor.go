package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// floor is the bare client: one configuration, one client a service, one
// pool of kept-alive connections as big as the parallelism, and per key
// the calls the fleet makes, in its order, every page. It keeps nothing
// and judges nothing: what is left of a fleet run is the API's time.
type floor struct {
	kms   *kms.Client
	sts   *sts.Client
	iam   *iam.Client
	ev    *eventbridge.Client
	logs  *cloudwatchlogs.Client
	cw    *cloudwatch.Client
	calls calls
}

func newFloor(_ context.Context, region, endpoint string, parallel int) (*floor, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = parallel
	})
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(targets.LocalStackDefaultAccount, "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		HTTPClient:       httpClient,
		RetryMaxAttempts: targets.MaxAttempts,
	}
	return &floor{kms: kms.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg),
		ev: eventbridge.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg),
		calls: calls{n: map[string]int{}}}, nil
}

// place is what the fleet asks once for the account and region: who the
// caller is, the region's aliases, monitoring and the account's IAM.
func (f *floor) place(ctx context.Context) error {
	f.calls.add("sts:GetCallerIdentity")
	if _, err := f.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		return err
	}
	p := kms.NewListAliasesPaginator(f.kms, &kms.ListAliasesInput{Limit: aws.Int32(100)})
	for p.HasMorePages() {
		f.calls.add("kms:ListAliases")
		if _, err := p.NextPage(ctx); err != nil {
			return err
		}
	}
	f.monitoring(ctx)
	details := iam.NewGetAccountAuthorizationDetailsPaginator(f.iam, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1000),
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup, iamtypes.EntityTypeLocalManagedPolicy}})
	for details.HasMorePages() {
		f.calls.add("iam:GetAccountAuthorizationDetails")
		if _, err := details.NextPage(ctx); err != nil {
			return err
		}
	}
	return nil
}

// key makes one key's calls. A failed call is counted and passed over, as
// the fleet records it and goes on.
func (f *floor) key(ctx context.Context, arn string) {
	f.calls.add("kms:DescribeKey")
	d, err := f.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
	if err != nil {
		return
	}
	id := d.KeyMetadata.KeyId
	f.calls.add("kms:GetKeyPolicy")
	f.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: id, PolicyName: aws.String("default")})
	f.calls.add("kms:GetKeyRotationStatus")
	f.kms.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
	tags := kms.NewListResourceTagsPaginator(f.kms, &kms.ListResourceTagsInput{KeyId: id})
	for tags.HasMorePages() {
		f.calls.add("kms:ListResourceTags")
		if _, err := tags.NextPage(ctx); err != nil {
			break
		}
	}
	grants := kms.NewListGrantsPaginator(f.kms, &kms.ListGrantsInput{KeyId: id})
	for grants.HasMorePages() {
		f.calls.add("kms:ListGrants")
		if _, err := grants.NextPage(ctx); err != nil {
			break
		}
	}
}

// monitoring asks what CMK-MON-1 is judged on, every page.
func (f *floor) monitoring(ctx context.Context) {
	var token *string
	for {
		f.calls.add("events:ListRules")
		out, err := f.ev.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: token})
		if err != nil {
			break
		}
		for _, r := range out.Rules {
			if aws.ToString(r.EventPattern) == "" {
				continue
			}
			var next *string
			for {
				f.calls.add("events:ListTargetsByRule")
				t, err := f.ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name, NextToken: next})
				if err != nil || aws.ToString(t.NextToken) == "" {
					break
				}
				next = t.NextToken
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	groups := cloudwatchlogs.NewDescribeLogGroupsPaginator(f.logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	for groups.HasMorePages() {
		f.calls.add("logs:DescribeLogGroups")
		if _, err := groups.NextPage(ctx); err != nil {
			break
		}
	}
	filters := cloudwatchlogs.NewDescribeMetricFiltersPaginator(f.logs, &cloudwatchlogs.DescribeMetricFiltersInput{})
	for filters.HasMorePages() {
		f.calls.add("logs:DescribeMetricFilters")
		if _, err := filters.NextPage(ctx); err != nil {
			break
		}
	}
	alarms := cloudwatch.NewDescribeAlarmsPaginator(f.cw, &cloudwatch.DescribeAlarmsInput{})
	for alarms.HasMorePages() {
		f.calls.add("cloudwatch:DescribeAlarms")
		if _, err := alarms.NextPage(ctx); err != nil {
			break
		}
	}
}
