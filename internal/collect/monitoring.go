package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// The read-only monitoring operations CMK-MON-1 is judged on, named as IAM
// names them.
const (
	OpListRules             = "events:ListRules"
	OpListTargetsByRule     = "events:ListTargetsByRule"
	OpDescribeLogGroups     = "logs:DescribeLogGroups"
	OpDescribeMetricFilters = "logs:DescribeMetricFilters"
	OpDescribeAlarms        = "cloudwatch:DescribeAlarms"
)

// monitoringOps are the monitoring operations, for the allowlist.
var monitoringOps = []string{OpListRules, OpListTargetsByRule, OpDescribeLogGroups, OpDescribeMetricFilters, OpDescribeAlarms}

func (a *answer) events(o *eventbridge.Options)  { o.APIOptions = append(o.APIOptions, a.addTo) }
func (a *answer) logs(o *cloudwatchlogs.Options) { o.APIOptions = append(o.APIOptions, a.addTo) }

// monitoring asks EventBridge, CloudWatch Logs and CloudWatch, in the
// target's account and region, for what would notice the key's disabling,
// deletion or a new policy: every page of each. The embedded target serves
// KMS only: nothing is asked there, and CMK-MON-1 says so.
func (r *keyRun) monitoring(ctx context.Context) {
	if r.target.Kind == keystate.KindEmbedded {
		return
	}
	r.rules(ctx)
	r.logGroups(ctx)
	r.metricFilters(ctx)
	r.alarms(ctx)
}

func (r *keyRun) rules(ctx context.Context) {
	ev := eventbridge.NewFromConfig(r.cfg)
	r.list(keystate.ListRules, OpListRules, "Rules", func(token *string, a *answer) (bool, *string, error) {
		out, err := ev.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: token}, a.events)
		if err != nil {
			return false, nil, err
		}
		return aws.ToString(out.NextToken) != "", out.NextToken, nil
	})
	raw, ok := r.answers[keystate.ListRules]
	if !ok {
		r.problems[keystate.ListTargetsByRule] = fmt.Sprintf("%s not asked: %s", OpListTargetsByRule, r.problems[keystate.ListRules])
		return
	}
	var rules struct {
		Rules []struct {
			Name         string
			EventPattern string
		}
	}
	if err := json.Unmarshal(raw, &rules); err != nil {
		r.problems[keystate.ListTargetsByRule] = fmt.Sprintf("%s not asked: the ListRules answer does not read: %v", OpListTargetsByRule, err)
		return
	}
	byRule := map[string]json.RawMessage{}
	for _, rule := range rules.Rules {
		if rule.EventPattern == "" || rule.Name == "" {
			continue // a scheduled rule catches no call
		}
		// One rule's pages, kept through the same merge as the others.
		sub := &keyRun{Collector: r.Collector, answers: map[string]json.RawMessage{}, problems: map[string]string{}}
		sub.list(keystate.ListTargetsByRule, OpListTargetsByRule, "Targets", func(token *string, a *answer) (bool, *string, error) {
			out, err := ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule.Name), NextToken: token}, a.events)
			if err != nil {
				return false, nil, err
			}
			return aws.ToString(out.NextToken) != "", out.NextToken, nil
		})
		if why := sub.problems[keystate.ListTargetsByRule]; why != "" {
			r.problems[keystate.ListTargetsByRule] = fmt.Sprintf("rule %s: %s", rule.Name, why)
			return
		}
		byRule[rule.Name] = sub.answers[keystate.ListTargetsByRule]
	}
	merged, err := json.Marshal(byRule) // sorted by rule name; each answer as it came
	if err != nil {
		r.fail(keystate.ListTargetsByRule, OpListTargetsByRule, err)
		return
	}
	r.answers[keystate.ListTargetsByRule] = merged
}

func (r *keyRun) logGroups(ctx context.Context) {
	cl := cloudwatchlogs.NewFromConfig(r.cfg)
	r.list(keystate.DescribeLogGroups, OpDescribeLogGroups, "logGroups", func(token *string, a *answer) (bool, *string, error) {
		out, err := cl.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{NextToken: token}, a.logs)
		if err != nil {
			return false, nil, err
		}
		return aws.ToString(out.NextToken) != "", out.NextToken, nil
	})
}

func (r *keyRun) metricFilters(ctx context.Context) {
	cl := cloudwatchlogs.NewFromConfig(r.cfg)
	r.list(keystate.DescribeMetricFilters, OpDescribeMetricFilters, "metricFilters", func(token *string, a *answer) (bool, *string, error) {
		out, err := cl.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{NextToken: token}, a.logs)
		if err != nil {
			return false, nil, err
		}
		return aws.ToString(out.NextToken) != "", out.NextToken, nil
	})
}

// alarms asks DescribeAlarms, every page. CloudWatch answers in CBOR
// (Smithy RPC v2), which cannot be kept as JSON byte for byte: the member
// is the SDK's reading of the answer, printed as the AWS CLI prints it.
func (r *keyRun) alarms(ctx context.Context) {
	const member, op = keystate.DescribeAlarms, OpDescribeAlarms
	p := cloudwatch.NewDescribeAlarmsPaginator(cloudwatch.NewFromConfig(r.cfg), &cloudwatch.DescribeAlarmsInput{})
	metric := []cwtypes.MetricAlarm{}
	composite := []cwtypes.CompositeAlarm{}
	pages := 0
	for ; pages < maxPages && p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			r.fail(member, op, err)
			return
		}
		metric = append(metric, out.MetricAlarms...)
		composite = append(composite, out.CompositeAlarms...)
	}
	if p.HasMorePages() {
		r.fail(member, op, fmt.Errorf("still truncated after %d pages", maxPages))
		return
	}
	sort.SliceStable(metric, func(i, j int) bool { return aws.ToString(metric[i].AlarmName) < aws.ToString(metric[j].AlarmName) })
	raw, err := withoutNulls(struct {
		MetricAlarms    []cwtypes.MetricAlarm
		CompositeAlarms []cwtypes.CompositeAlarm
	}{metric, composite})
	if err != nil {
		r.problems[member] = fmt.Sprintf("%s could not be recorded: %v", member, err)
		return
	}
	r.answers[member] = raw
}
